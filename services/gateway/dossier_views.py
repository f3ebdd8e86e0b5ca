"""The dossier's views of service resources: a scan with its image and finding boxes, a seal
track as points, an origin or destination as a marker. Proto in, JSON-ready dicts out."""

import json

from customs.common.v1 import geo_pb2
from customs.scanner.v1 import scanner_pb2
from customs.seal.v1 import seal_pb2

from services.gateway.context import as_dict
from services.gateway.dossier import Json


def scan_summary(scan: scanner_pb2.Scan, image_uri: str) -> Json:
    """A scan as the dossier shows it: state, verdict, inspection, the false-colour image and
    the automated findings with their boxes in image pixels (x = column, y = row)."""
    findings = []
    for finding in scan.analysis.findings:
        rule = scanner_pb2.FindingRule.Name(finding.rule).removeprefix("FINDING_RULE_")
        boxes: list[scanner_pb2.PixelBox | None] = [
            r.box for r in finding.evidence if r.HasField("box")
        ] or [None]
        for box in boxes:
            findings.append(
                {
                    "kind": rule,
                    "reason": finding.reason,
                    "weight": finding.weight,
                    "box": None
                    if box is None
                    else {
                        "x": box.left,
                        "y": box.top,
                        "width": box.right - box.left,
                        "height": box.bottom - box.top,
                    },
                }
            )
    summary = as_dict(scan)
    summary.pop("analysis", None)
    summary.update(
        {
            "image_uri": image_uri,
            "width": scan.columns,
            "height": scan.rows,
            "risk": scan.analysis.risk,
            "reasons": list(scan.analysis.reasons),
            "findings": findings,
        }
    )
    return summary


def track_points(geojson: str) -> list[Json]:
    """[{latitude, longitude, time}] from the seal service's GeoJSON track."""
    if not geojson:
        return []
    points: list[Json] = []
    for feature in json.loads(geojson).get("features", []):
        geometry = feature.get("geometry", {})
        coordinates = geometry.get("coordinates", [])
        if geometry.get("type") == "Point":
            coordinates = [coordinates]
        times = feature.get("properties", {}).get("times", [])
        for index, (lon, lat) in enumerate(coordinates):
            time = times[index] if index < len(times) else ""
            points.append({"latitude": lat, "longitude": lon, "time": time})
    return points


def place_of(role: str, site: seal_pb2.Site) -> Json:
    """An origin or destination marker: the geofence's centre (circle) or vertex mean."""
    fence = site.geofence
    if fence.HasField("circle"):
        lat, lon = fence.circle.center.latitude, fence.circle.center.longitude
    else:
        vertices = fence.polygon.vertices or [geo_pb2.GeoPoint()]
        lat = sum(v.latitude for v in vertices) / len(vertices)
        lon = sum(v.longitude for v in vertices) / len(vertices)
    return {
        "role": role,
        "name": site.name,
        "display_name": site.display_name,
        "latitude": lat,
        "longitude": lon,
    }
