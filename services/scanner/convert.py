"""Stored scan documents to proto messages (and the few enums the other way)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from customs.common.v1 import container_pb2
from customs.scanner.v1 import scanner_pb2 as pb
from google.protobuf import timestamp_pb2

from services.platform.enums import enum_name
from services.scanner.domain.workflow import Decision, ScanState


def _ts(value: datetime) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value)
    return ts


def box(doc: dict[str, int]) -> pb.PixelBox:
    return pb.PixelBox(top=doc["top"], bottom=doc["bottom"], left=doc["left"], right=doc["right"])


def region(doc: dict[str, Any]) -> pb.Region:
    return pb.Region(
        kind=pb.RegionKind.Value(f"REGION_KIND_{doc['kind']}"),
        box=box(doc["box"]),
        area_px=doc["area_px"],
        centroid_row=doc["centroid_row"],
        centroid_column=doc["centroid_column"],
        mean_attenuation=doc["mean_attenuation"],
        dominant_material=pb.Material.Value(f"MATERIAL_{doc['dominant_material']}"),
        mass_kg=doc["mass_kg"],
    )


def analysis(doc: dict[str, Any]) -> pb.ScanAnalysis:
    return pb.ScanAnalysis(
        container_found=doc["container_found"],
        interior=box(doc["interior"]),
        loaded=doc["loaded"],
        cargo_fraction=doc["cargo_fraction"],
        estimated_mass_kg=doc["estimated_mass_kg"],
        material_fractions=[
            pb.MaterialFraction(material=pb.Material.Value(f"MATERIAL_{m}"), fraction=f)
            for m, f in doc["material_fractions"].items()
        ],
        findings=[
            pb.Finding(
                rule=pb.FindingRule.Value(f"FINDING_RULE_{f['rule']}"),
                reason=f["reason"],
                weight=f["weight"],
                evidence=[region(r) for r in f["evidence"]],
            )
            for f in doc["findings"]
        ],
        risk=doc["risk"],
        reasons=doc["reasons"],
        dense_regions=[region(r) for r in doc["dense_regions"]],
        material_regions=[region(r) for r in doc["material_regions"]],
        pipeline_version=doc["pipeline_version"],
        rules_version=doc["rules_version"],
        analyse_time=_ts(doc["analyse_time"]),
        analysis_ms=doc["analysis_ms"],
    )


def declaration(doc: dict[str, Any]) -> pb.Declaration:
    return pb.Declaration(
        reference=doc["reference"],
        goods=[
            pb.GoodsLine(
                hs_code=g["hs_code"],
                description=g["description"],
                category=pb.GoodsCategory.Value(f"GOODS_CATEGORY_{g['category']}"),
            )
            for g in doc["goods"]
        ],
        gross_weight_kg=doc["gross_weight_kg"],
        declared_empty=doc["declared_empty"],
    )


def scan_to_proto(doc: dict[str, Any]) -> pb.Scan:
    scan = pb.Scan(
        name=doc["name"],
        scanner=doc["scanner"],
        site=doc["site"],
        container_numbers=[
            container_pb2.ContainerNumber(value=n) for n in doc["container_numbers"]
        ],
        declaration=declaration(doc["declaration"]),
        state=pb.ScanState.Value(f"SCAN_STATE_{doc['state']}"),
        rows=doc["rows"],
        columns=doc["columns"],
        raw_sha256=doc["raw"]["sha256"],
        idempotency_key=doc["idempotency_key"],
        analysis_error=doc.get("analysis_error", ""),
        scan_time=_ts(doc["scan_time"]),
        create_time=_ts(doc["create_time"]),
        update_time=_ts(doc["update_time"]),
    )
    if doc.get("analysis"):
        scan.analysis.CopyFrom(analysis(doc["analysis"]))
    if verdict := doc.get("verdict"):
        scan.verdict.CopyFrom(
            pb.ScanVerdict(
                decision=pb.Decision.Value(f"DECISION_{verdict['decision']}"),
                note=verdict["note"],
                analyst=verdict["analyst"],
                decide_time=_ts(verdict["decide_time"]),
            )
        )
    if inspection := doc.get("inspection"):
        scan.inspection.CopyFrom(
            pb.InspectionOutcome(
                violation_found=inspection["violation_found"],
                description=inspection["description"],
                officer=inspection["officer"],
                inspect_time=_ts(inspection["inspect_time"]),
            )
        )
    return scan


def annotation_to_proto(doc: dict[str, Any]) -> pb.Annotation:
    out = pb.Annotation(
        name=doc["name"],
        label=doc["label"],
        note=doc["note"],
        author=doc["author"],
        create_time=_ts(doc["create_time"]),
    )
    if doc.get("rectangle"):
        top, bottom, left, right = doc["rectangle"]
        out.rectangle.CopyFrom(pb.PixelBox(top=top, bottom=bottom, left=left, right=right))
    else:
        out.polygon.CopyFrom(
            pb.PixelPolygon(points=[pb.PixelPoint(row=r, column=c) for r, c in doc["polygon"]])
        )
    return out


def scan_state(value: pb.ScanState.ValueType) -> ScanState | None:
    """The domain state of a proto filter value (None for UNSPECIFIED)."""
    if value == pb.SCAN_STATE_UNSPECIFIED:
        return None
    return ScanState(enum_name(pb.ScanState, value, "state", "SCAN_STATE_"))


def decision(value: pb.Decision.ValueType) -> Decision | None:
    if value == pb.DECISION_UNSPECIFIED or value not in pb.Decision.values():
        return None
    return Decision(pb.Decision.Name(value).removeprefix("DECISION_"))
