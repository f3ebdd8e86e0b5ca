"""Demo data of the scanner service: a drive-through scanner at Cát Lái and one scan of each
synthetic phantom (empty, organic cargo, steel in organic, lead block, dense layers against the
floor, the front wall and the roof), uploaded through the public API, analysed, one held by an
analyst. Runs once on a fresh stack."""

from __future__ import annotations

import grpc
from customs.scanner.v1 import scanner_pb2 as pb
from customs.scanner.v1 import scanner_pb2_grpc

from devstack.suite import Suite
from services.platform import iso6346
from services.scanner import sample
from services.scanner.domain.phantoms import PhantomKind, make_phantom

Metadata = tuple[tuple[str, str], ...]
ROWS, COLUMNS = 512, 1600
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


def load(suite: Suite) -> list[str]:
    channel = grpc.insecure_channel(suite.services["scanner"].address)
    stub = scanner_pb2_grpc.ScannerServiceStub(channel)
    supervisor = _auth(suite.token("demo-supervisor", "supervisor"))
    device = _auth(suite.token("demo-scanner-CL-01", "device"))
    analyst = _auth(suite.token("demo-analyst", "analyst"))
    phantoms = [make_phantom(kind, rows=ROWS, cols=COLUMNS, seed=7) for kind, _, _ in SCANS]
    scanner = stub.CreateScanner(
        sample.create_scanner("CL-01", phantoms[0], "Cát Lái gate 2 drive-through"),
        metadata=supervisor,
        timeout=10,
    ).scanner
    lines = [f"scanner: {scanner.display_name} ({scanner.name}), {len(SCANS)} scans analysed:"]
    held = ""
    for ph, (kind, serial, goods) in zip(phantoms, SCANS, strict=True):
        number = iso6346.make("CSQ", "U", serial).text
        data = sample.payload(ph)
        declared = sample.declaration(f"1045{number[4:10]}", goods, float(round(ph.cargo_mass_kg)))
        meta = sample.upload_metadata(ph, scanner.name, f"demo-{number}", [number], declared, data)
        scan = stub.UploadScan(
            sample.upload_requests(meta, data), metadata=device, timeout=120
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
