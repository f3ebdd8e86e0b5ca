"""Demo data of the scanner service: a drive-through scanner at Cát Lái and one scan of each
synthetic phantom (empty, organic cargo, steel in organic, lead block, dense layers against the
floor, the front wall and the roof), uploaded through the public API, analysed, one held by an
analyst. Runs once on a fresh stack."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import grpc
import numpy as np
from customs.common.v1 import container_pb2
from customs.scanner.v1 import scanner_pb2 as pb
from customs.scanner.v1 import scanner_pb2_grpc

from devstack.suite import Suite
from services.platform import iso6346
from services.scanner.domain.phantoms import Phantom, PhantomKind, make_phantom

Metadata = tuple[tuple[str, str], ...]
ROWS, COLUMNS = 512, 1600
ENERGIES = (4000, 6000)
CHUNK = 1024 * 1024
_TEXTILES = pb.GoodsLine(
    hs_code="610910", description="cotton t-shirts", category=pb.GOODS_CATEGORY_TEXTILES
)
_MACHINERY = pb.GoodsLine(
    hs_code="842952", description="excavator parts", category=pb.GOODS_CATEGORY_MACHINERY
)
#: Phantom, container serial (owner CSQ), declared goods (none: declared empty).
SCANS: tuple[tuple[PhantomKind, str, tuple[pb.GoodsLine, ...]], ...] = (
    (PhantomKind.EMPTY, "210001", ()),
    (PhantomKind.ORGANIC, "210002", (_TEXTILES,)),
    # the container the camera demo sees leaving Cát Lái: held here, so its exit is held too
    (PhantomKind.STEEL_IN_ORGANIC, "305438", (_TEXTILES,)),
    (PhantomKind.HEAVY_METAL, "210004", (_MACHINERY,)),
    (PhantomKind.WALL_LAYER, "210005", (_MACHINERY,)),
    (PhantomKind.FRONT_WALL_LAYER, "210006", (_MACHINERY,)),
    (PhantomKind.ROOF_LAYER, "210007", (_MACHINERY,)),
)


def _auth(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


def _calibration(ph: Phantom) -> list[pb.CalibrationLines]:
    s = ph.scan
    return [
        pb.CalibrationLines(
            energy_kev=energy,
            dark=[int(v) for v in np.rint(dark)],
            air=[int(v) for v in np.rint(air)],
        )
        for energy, dark, air in (
            (ENERGIES[0], s.dark_low, s.air_low),
            (ENERGIES[1], s.dark_high, s.air_high),
        )
    ]


def _requests(
    ph: Phantom, scanner: str, number: str, goods: tuple[pb.GoodsLine, ...]
) -> Iterator[pb.UploadScanRequest]:
    data = ph.scan.low.astype("<u2").tobytes() + ph.scan.high.astype("<u2").tobytes()
    yield pb.UploadScanRequest(
        metadata=pb.UploadScanMetadata(
            scanner=scanner,
            idempotency_key=f"demo-{number}",
            container_numbers=[container_pb2.ContainerNumber(value=number)],
            declaration=pb.Declaration(
                reference=f"1045{number[4:10]}",
                goods=list(goods),
                gross_weight_kg=float(round(ph.cargo_mass_kg)) if goods else 0.0,
                declared_empty=not goods,
            ),
            rows=ROWS,
            columns=COLUMNS,
            calibration=_calibration(ph),
            sha256=hashlib.sha256(data).hexdigest(),
            line_pitch_mm=ph.geometry.pixel_pitch_col_mm,
        )
    )
    for start in range(0, len(data), CHUNK):
        yield pb.UploadScanRequest(chunk=data[start : start + CHUNK])


def load(suite: Suite) -> list[str]:
    channel = grpc.insecure_channel(suite.services["scanner"].address)
    stub = scanner_pb2_grpc.ScannerServiceStub(channel)
    supervisor = _auth(suite.token("demo-supervisor", "supervisor"))
    device = _auth(suite.token("demo-scanner-CL-01", "device"))
    analyst = _auth(suite.token("demo-analyst", "analyst"))
    phantoms = [make_phantom(kind, rows=ROWS, cols=COLUMNS, seed=7) for kind, _, _ in SCANS]
    scanner = stub.CreateScanner(
        pb.CreateScannerRequest(
            scanner_id="CL-01",
            scanner=pb.Scanner(
                display_name="Cát Lái gate 2 drive-through",
                site="sites/cat-lai",
                kind=pb.SCANNER_KIND_CONTAINER,
                energies_kev=list(ENERGIES),
                pixel_pitch_mm=phantoms[0].geometry.pixel_pitch_row_mm,
                detector_rows=ROWS,
            ),
            calibration=_calibration(phantoms[0]),
        ),
        metadata=supervisor,
        timeout=10,
    ).scanner
    lines = [f"scanner: {scanner.display_name} ({scanner.name}), {len(SCANS)} scans analysed:"]
    held = ""
    for ph, (kind, serial, goods) in zip(phantoms, SCANS, strict=True):
        number = iso6346.make("CSQ", "U", serial).text
        scan = stub.UploadScan(
            _requests(ph, scanner.name, number, goods), metadata=device, timeout=120
        ).scan
        rules = [
            pb.FindingRule.Name(f.rule).removeprefix("FINDING_RULE_")
            for f in scan.analysis.findings
        ]
        lines.append(
            f"  {kind.value:<17} {number}  risk {scan.analysis.risk:.2f}  "
            f"{', '.join(rules) or 'no findings'}  ({scan.name})"
        )
        if kind is PhantomKind.STEEL_IN_ORGANIC:
            held = stub.DecideScan(
                pb.DecideScanRequest(
                    name=scan.name,
                    decision=pb.DECISION_HOLD,
                    note="steel block inside declared t-shirts: open and inspect",
                ),
                metadata=analyst,
                timeout=10,
            ).scan.name
    urls = stub.GetScanRenderings(
        pb.GetScanRenderingsRequest(name=held), metadata=supervisor, timeout=10
    )
    channel.close()
    lines += [
        f"  {held} is on HOLD (analyst): CheckContainerHold / the Cát Lái exit hold its container",
        f"  false colour of the held scan (valid 10 min; GetScanRenderings for fresh URLs):"
        f"\n    {urls.false_colour_url}",
    ]
    return lines
