"""Scans over the real service: phantoms uploaded, analysed and found; idempotent retries; bad
uploads leave nothing; the verdict/inspection state machine; roles; annotations; statistics."""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from customs.common.v1 import alert_pb2, container_pb2
from customs.scanner.v1 import scanner_pb2 as pb
from customs.scanner.v1 import scanner_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from minio import Minio
from pymongo import MongoClient

from devstack.suite import Suite
from services.scanner.domain.model import Bounds
from services.scanner.domain.phantoms import Phantom, PhantomKind, make_phantom
from tests.scanner.uploads import MACHINERY, Upload, container, scanner_request, unique_id
from tests.support.stack import auth, bucket, channel, database, raises_status

Stub = scanner_pb2_grpc.ScannerServiceStub
#: Rows and columns of the large uploads: analysing one takes many unary round trips.
SIZE = (2048, 6000)


@pytest.fixture(scope="module")
def stub(suite: Suite) -> Stub:
    return scanner_pb2_grpc.ScannerServiceStub(channel(suite, "scanner"))


@pytest.fixture(scope="module")
def tokens(suite: Suite) -> dict[str, list[tuple[str, str]]]:
    return {
        role: auth(suite.token(f"{role}-1", role))
        for role in ("device", "analyst", "officer", "supervisor", "auditor")
    }


@pytest.fixture(scope="module")
def scanner(stub: Stub, tokens: dict[str, Any], phantoms: dict[PhantomKind, Phantom]) -> str:
    """A scanner fitted to the test phantoms (same rows and pixel pitch)."""
    request = scanner_request(unique_id("PH"), phantoms[PhantomKind.EMPTY])
    return stub.CreateScanner(request, metadata=tokens["supervisor"]).scanner.name


def upload(stub: Stub, tokens: dict[str, Any], up: Upload) -> pb.UploadScanResponse:
    response: pb.UploadScanResponse = stub.UploadScan(
        up.requests(), metadata=tokens["device"], timeout=60
    )
    return response


def box(b: pb.PixelBox) -> Bounds:
    return Bounds(b.top, b.bottom, b.left, b.right)


def evidence(scan: pb.Scan, rule: int) -> list[Bounds]:
    return [box(r.box) for f in scan.analysis.findings if f.rule == rule for r in f.evidence]


def rules(scan: pb.Scan) -> set[int]:
    return {f.rule for f in scan.analysis.findings}


def objects(s3: Minio, suite: Suite, prefix: str) -> list[str]:
    found = s3.list_objects(bucket(suite, "scanner"), prefix=prefix, recursive=True)
    return sorted(o.object_name for o in found)


def alert_kinds(stub: Stub, tokens: dict[str, Any], subject: str, want: str) -> list[str]:
    """Kinds (``KIND`` or ``KIND/CLOSED``) of the alerts about ``subject``, read until ``want``
    arrives."""
    kinds: list[str] = []
    watch = stub.WatchAlerts(pb.WatchAlertsRequest(), metadata=tokens["supervisor"], timeout=10)
    for item in watch:
        if item.alert.subject == subject:
            closed = item.alert.phase == alert_pb2.ALERT_PHASE_CLOSED
            kinds.append(f"{item.alert.kind}/CLOSED" if closed else item.alert.kind)
            if kinds[-1] == want:
                watch.cancel()
                break
    return kinds


def test_phantoms_are_found_and_the_empty_one_is_empty(
    stub: Stub, tokens: dict[str, Any], scanner: str, phantoms: dict[PhantomKind, Phantom]
) -> None:
    empty = upload(
        stub,
        tokens,
        Upload(phantoms[PhantomKind.EMPTY], scanner, unique_id("k"), (container(),), empty=True),
    ).scan
    assert empty.state == pb.SCAN_STATE_ANALYSED
    assert list(empty.analysis.findings) == [] and not empty.analysis.loaded
    assert empty.analysis.risk == 0.0 and empty.analysis.container_found

    steel_ph = phantoms[PhantomKind.STEEL_IN_ORGANIC]
    steel = upload(stub, tokens, Upload(steel_ph, scanner, unique_id("k"), (container(),))).scan
    block = steel_ph.objects[1].bbox
    assert any(b.overlaps(block) for b in evidence(steel, pb.FINDING_RULE_MATERIAL_INCONSISTENT))
    assert steel.analysis.dense_regions[0].dominant_material == pb.MATERIAL_INORGANIC

    lead_ph = phantoms[PhantomKind.HEAVY_METAL]
    lead = upload(
        stub, tokens, Upload(lead_ph, scanner, unique_id("k"), (container(),), goods=MACHINERY)
    ).scan
    assert any(
        b.overlaps(lead_ph.objects[0].bbox) for b in evidence(lead, pb.FINDING_RULE_HEAVY_METAL)
    )
    assert "SCAN_HIGH_RISK" in alert_kinds(stub, tokens, lead.name, "SCAN_HIGH_RISK")

    layer_ph = phantoms[PhantomKind.WALL_LAYER]
    layer = upload(
        stub, tokens, Upload(layer_ph, scanner, unique_id("k"), (container(),), goods=MACHINERY)
    ).scan
    layer_box = layer_ph.objects[1].bbox
    assert any(b.overlaps(layer_box) for b in evidence(layer, pb.FINDING_RULE_FALSE_COMPARTMENT))

    organic = upload(
        stub, tokens, Upload(phantoms[PhantomKind.ORGANIC], scanner, unique_id("k"), (container(),))
    ).scan
    assert rules(organic) == set() and organic.analysis.loaded
    assert organic.analysis.pipeline_version and organic.analysis.rules_version


def test_renderings_are_presigned_urls_of_stored_products(
    suite: Suite,
    stub: Stub,
    tokens: dict[str, Any],
    scanner: str,
    phantoms: dict[PhantomKind, Phantom],
    s3: Minio,
) -> None:
    ph = phantoms[PhantomKind.STEEL_IN_ORGANIC]
    scan = upload(stub, tokens, Upload(ph, scanner, unique_id("k"), (container(),))).scan
    urls = stub.GetScanRenderings(
        pb.GetScanRenderingsRequest(name=scan.name), metadata=tokens["officer"]
    )
    assert urls.expire_time.seconds > 0
    for url in (urls.false_colour_url, urls.thumbnail_url, urls.overlay_url):
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.read(8) == b"\x89PNG\r\n\x1a\n"
    with urllib.request.urlopen(urls.regions_url, timeout=10) as response:
        regions = json.loads(response.read())
    assert regions["rows"] == ph.scan.low.shape[0] and regions["findings"]
    stored = objects(s3, suite, f"{scan.name}/")
    assert [k.rsplit("/", 1)[1] for k in stored] == [
        "false-colour.png",
        "overlay.png",
        "raw.u16le",
        "regions.json",
        "thumbnail.png",
    ]


def test_retry_with_the_same_key_returns_the_same_scan(
    suite: Suite,
    stub: Stub,
    tokens: dict[str, Any],
    scanner: str,
    phantoms: dict[PhantomKind, Phantom],
    mongo: MongoClient[dict[str, Any]],
    s3: Minio,
) -> None:
    key = unique_id("retry")
    up = Upload(phantoms[PhantomKind.ORGANIC], scanner, key, (container(),))
    first = upload(stub, tokens, up)
    second = upload(stub, tokens, up)
    assert not first.duplicate and second.duplicate
    assert second.scan == first.scan
    db = mongo[database(suite, "scanner")]
    assert db["scans"].count_documents({"scanner": scanner, "idempotency_key": key}) == 1
    assert len(objects(s3, suite, f"{first.scan.name}/")) == 5
    other = Upload(phantoms[PhantomKind.EMPTY], scanner, key, (container(),), empty=True)
    with raises_status(grpc.StatusCode.ALREADY_EXISTS) as error:
        upload(stub, tokens, other)
    assert error["reason"] == "IDEMPOTENCY_KEY_REUSED"


def _spoiled(ph: Phantom, scanner: str) -> dict[str, Any]:
    """Bad uploads by the field they should be refused for."""

    def fresh(**kw: Any) -> Upload:
        return Upload(ph, scanner, unique_id("bad"), (container(),), **kw)

    rows = fresh()
    rows.metadata.rows += 1
    short = fresh()
    short.data = short.data[:-4096]
    checksum = fresh()
    checksum.data = bytes([checksum.data[0] ^ 1]) + checksum.data[1:]
    long = fresh()
    long.data = long.data + b"\0\0"
    unknown = fresh()
    unknown.metadata.scanner = "scanners/NO-SUCH-SCANNER"
    iso = fresh()
    iso.metadata.container_numbers[0].value = "CSQU3054384"  # check digit should be 3
    calibration = fresh()
    del calibration.metadata.calibration[1].air[5:]
    return {
        "metadata.rows": rows,
        "chunk": short,
        "metadata.sha256": checksum,
        "chunk ": long,
        "metadata.scanner": unknown,
        "metadata.container_numbers[0].value": iso,
        "metadata.calibration[1].air": calibration,
    }


def test_bad_uploads_name_the_field_and_leave_nothing(
    suite: Suite,
    stub: Stub,
    tokens: dict[str, Any],
    phantoms: dict[PhantomKind, Phantom],
    mongo: MongoClient[dict[str, Any]],
    s3: Minio,
) -> None:
    ph = phantoms[PhantomKind.ORGANIC]
    name = stub.CreateScanner(
        scanner_request(unique_id("BAD"), ph), metadata=tokens["supervisor"]
    ).scanner.name
    db = mongo[database(suite, "scanner")]
    spoiled = _spoiled(ph, name)
    for field, up in spoiled.items():
        with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
            upload(stub, tokens, up)
        assert field.strip() in error["violations"], (field, error["message"])
        assert db["scans"].count_documents({"idempotency_key": up.key}) == 0
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.UploadScan(iter([pb.UploadScanRequest(chunk=b"12")]), metadata=tokens["device"])
    assert error["violations"] == ["metadata"]
    assert db["scans"].count_documents({"scanner": name}) == 0
    assert objects(s3, suite, f"{name}/scans/") == []
    unknown = spoiled["metadata.scanner"].metadata.scanner
    assert db["scans"].count_documents({"scanner": unknown}) == 0
    assert db["scanners"].count_documents({"name": unknown}) == 0
    assert objects(s3, suite, f"{unknown}/") == []


def test_an_upload_aborted_by_the_client_leaves_nothing(
    suite: Suite,
    stub: Stub,
    tokens: dict[str, Any],
    mongo: MongoClient[dict[str, Any]],
    s3: Minio,
) -> None:
    """The device cancels the call after part of the payload: no record, no object; a retry
    with the same key is then a new scan, and the only one stored."""
    ph = make_phantom(PhantomKind.ORGANIC, rows=256, cols=2400, seed=4)  # 2.4 MB of planes
    name = stub.CreateScanner(
        scanner_request(unique_id("AB"), ph), metadata=tokens["supervisor"]
    ).scanner.name
    up = Upload(ph, name, unique_id("abort"), (container(),), chunk=64 * 1024)
    chunks = len(up.data) // up.chunk
    handed_over, release = threading.Event(), threading.Event()

    def part_of_the_stream() -> Iterator[pb.UploadScanRequest]:
        for i, request in enumerate(up.requests()):
            if i == 1 + chunks // 2:  # metadata and half of the chunks are with gRPC
                handed_over.set()
                release.wait(60)
                return
            yield request

    call = stub.UploadScan.future(part_of_the_stream(), metadata=tokens["device"], timeout=60)
    try:
        assert handed_over.wait(60)
        assert call.cancel()
    finally:
        release.set()
    assert call.cancelled()
    db = mongo[database(suite, "scanner")]
    assert db["scans"].count_documents({"scanner": name}) == 0
    assert objects(s3, suite, f"{name}/scans/") == []
    # the retry follows the cancellation on the same connection; once it is stored, the
    # aborted stream has long been handled
    retry = upload(stub, tokens, up)
    assert not retry.duplicate and retry.scan.state == pb.SCAN_STATE_ANALYSED
    assert db["scans"].count_documents({"scanner": name}) == 1
    stored = objects(s3, suite, f"{name}/scans/")
    assert len(stored) == 5 and all(k.startswith(f"{retry.scan.name}/") for k in stored)


def test_verdict_and_inspection_follow_the_state_machine(
    stub: Stub, tokens: dict[str, Any], scanner: str, phantoms: dict[PhantomKind, Phantom]
) -> None:
    number = container()
    ph = phantoms[PhantomKind.STEEL_IN_ORGANIC]
    scan = upload(stub, tokens, Upload(ph, scanner, unique_id("k"), (number,))).scan
    check = pb.CheckContainerHoldRequest(
        container_number=container_pb2.ContainerNumber(value=number)
    )
    answer = stub.CheckContainerHold(check, metadata=tokens["officer"])
    assert not answer.open_hold and answer.latest_scan == scan.name
    assert list(answer.undecided_scans) == [scan.name]

    inspect = pb.RecordInspectionRequest(name=scan.name, outcome=pb.InspectionOutcome())
    with raises_status(grpc.StatusCode.FAILED_PRECONDITION) as error:
        stub.RecordInspection(inspect, metadata=tokens["officer"])  # ANALYSED -> INSPECTED
    assert error["preconditions"] == [("STATE", scan.name)]

    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.DecideScan(
            pb.DecideScanRequest(name=scan.name, decision=pb.DECISION_HOLD),
            metadata=tokens["analyst"],
        )
    assert error["violations"] == ["note"]
    held = stub.DecideScan(
        pb.DecideScanRequest(name=scan.name, decision=pb.DECISION_HOLD, note="steel in textiles"),
        metadata=tokens["analyst"],
    ).scan
    assert held.state == pb.SCAN_STATE_HOLD and held.verdict.analyst == "analyst-1"
    with raises_status(grpc.StatusCode.FAILED_PRECONDITION) as error:
        stub.DecideScan(
            pb.DecideScanRequest(name=scan.name, decision=pb.DECISION_CLEAR),
            metadata=tokens["analyst"],
        )
    assert (
        error["preconditions"] == [("STATE", scan.name)] and error["reason"] == "ILLEGAL_TRANSITION"
    )

    answer = stub.CheckContainerHold(check, metadata=tokens["officer"])
    assert answer.open_hold and list(answer.held_scans) == [scan.name]
    assert "steel in textiles" in answer.reasons[0]
    assert "SCAN_HOLD" in alert_kinds(stub, tokens, scan.name, "SCAN_HOLD")

    done = stub.RecordInspection(
        pb.RecordInspectionRequest(
            name=scan.name,
            outcome=pb.InspectionOutcome(
                violation_found=False, description="machine parts, declared by mistake"
            ),
        ),
        metadata=tokens["officer"],
    ).scan
    assert done.state == pb.SCAN_STATE_INSPECTED and done.inspection.officer == "officer-1"
    assert not stub.CheckContainerHold(check, metadata=tokens["officer"]).open_hold
    assert alert_kinds(stub, tokens, scan.name, "SCAN_HOLD/CLOSED") == [
        "SCAN_HIGH_RISK",  # material inconsistent: risk 0.5, the default SCANNER_ALERT_RISK
        "SCAN_HOLD",
        "SCAN_HOLD/CLOSED",
    ]
    with raises_status(grpc.StatusCode.FAILED_PRECONDITION):
        stub.RecordInspection(inspect, metadata=tokens["officer"])  # INSPECTED is final
    fetched = stub.GetScan(pb.GetScanRequest(name=scan.name), metadata=tokens["auditor"]).scan
    assert fetched == done


def test_violation_found_keeps_the_container_held(
    stub: Stub, tokens: dict[str, Any], scanner: str, phantoms: dict[PhantomKind, Phantom]
) -> None:
    number = container()
    ph = phantoms[PhantomKind.ORGANIC]
    scan = upload(stub, tokens, Upload(ph, scanner, unique_id("k"), (number,))).scan
    stub.DecideScan(
        pb.DecideScanRequest(name=scan.name, decision=pb.DECISION_CLEAR), metadata=tokens["analyst"]
    )
    stub.RecordInspection(
        pb.RecordInspectionRequest(
            name=scan.name,
            outcome=pb.InspectionOutcome(
                violation_found=True, description="cigarettes behind the t-shirts"
            ),
        ),
        metadata=tokens["officer"],
    )
    check = pb.CheckContainerHoldRequest(
        container_number=container_pb2.ContainerNumber(value=number)
    )
    answer = stub.CheckContainerHold(check, metadata=tokens["officer"])
    assert answer.open_hold and "cigarettes" in answer.reasons[0]
    assert alert_kinds(stub, tokens, scan.name, "SCAN_VIOLATION_FOUND") == ["SCAN_VIOLATION_FOUND"]
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        bad = pb.CheckContainerHoldRequest(
            container_number=container_pb2.ContainerNumber(value="CSQU3054384")
        )
        stub.CheckContainerHold(bad, metadata=tokens["officer"])
    assert error["violations"] == ["container_number.value"]


def test_roles(
    stub: Stub, tokens: dict[str, Any], scanner: str, phantoms: dict[PhantomKind, Phantom]
) -> None:
    up = Upload(phantoms[PhantomKind.EMPTY], scanner, unique_id("k"), (container(),), empty=True)
    for role in ("officer", "analyst", "supervisor"):
        with raises_status(grpc.StatusCode.PERMISSION_DENIED):
            stub.UploadScan(up.requests(), metadata=tokens[role])
    name = upload(stub, tokens, up).scan.name
    decide = pb.DecideScanRequest(name=name, decision=pb.DECISION_CLEAR)
    for role in ("officer", "device", "supervisor"):
        with raises_status(grpc.StatusCode.PERMISSION_DENIED):
            stub.DecideScan(decide, metadata=tokens[role])
    stub.DecideScan(decide, metadata=tokens["analyst"])
    inspect = pb.RecordInspectionRequest(name=name, outcome=pb.InspectionOutcome())
    for role in ("analyst", "device"):
        with raises_status(grpc.StatusCode.PERMISSION_DENIED):
            stub.RecordInspection(inspect, metadata=tokens[role])
    stub.RecordInspection(inspect, metadata=tokens["officer"])
    with raises_status(grpc.StatusCode.PERMISSION_DENIED):
        stub.GetScan(pb.GetScanRequest(name=name), metadata=tokens["device"])


def test_annotations(
    stub: Stub, tokens: dict[str, Any], scanner: str, phantoms: dict[PhantomKind, Phantom]
) -> None:
    ph = phantoms[PhantomKind.STEEL_IN_ORGANIC]
    scan = upload(stub, tokens, Upload(ph, scanner, unique_id("k"), (container(),))).scan
    b = ph.objects[1].bbox
    rect = pb.Annotation(
        rectangle=pb.PixelBox(top=b.top, bottom=b.bottom, left=b.left, right=b.right),
        label="steel block",
        note="dense",
    )
    poly = pb.Annotation(
        polygon=pb.PixelPolygon(
            points=[pb.PixelPoint(row=r, column=c) for r, c in ((10, 10), (10, 40), (30, 25))]
        ),
        label="shadow",
    )
    for a in (rect, poly):
        made = stub.CreateAnnotation(
            pb.CreateAnnotationRequest(parent=scan.name, annotation=a), metadata=tokens["analyst"]
        ).annotation
        assert made.name.startswith(f"{scan.name}/annotations/") and made.author == "analyst-1"
    listed = stub.ListAnnotations(
        pb.ListAnnotationsRequest(parent=scan.name), metadata=tokens["officer"]
    ).annotations
    assert [a.label for a in listed] == ["steel block", "shadow"]
    assert listed[0].rectangle.bottom == b.bottom and len(listed[1].polygon.points) == 3
    outside = pb.Annotation(rectangle=pb.PixelBox(top=0, bottom=9999, left=0, right=5), label="x")
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.CreateAnnotation(
            pb.CreateAnnotationRequest(parent=scan.name, annotation=outside),
            metadata=tokens["analyst"],
        )
    assert error["violations"] == ["annotation.rectangle"]
    stub.DecideScan(
        pb.DecideScanRequest(name=scan.name, decision=pb.DECISION_CLEAR), metadata=tokens["analyst"]
    )
    with raises_status(grpc.StatusCode.FAILED_PRECONDITION):
        stub.CreateAnnotation(
            pb.CreateAnnotationRequest(parent=scan.name, annotation=rect),
            metadata=tokens["analyst"],
        )


def test_list_scans_by_container_and_state(
    stub: Stub, tokens: dict[str, Any], scanner: str, phantoms: dict[PhantomKind, Phantom]
) -> None:
    number = container()
    ph = phantoms[PhantomKind.EMPTY]
    names = [
        upload(stub, tokens, Upload(ph, scanner, unique_id("k"), (number,), empty=True)).scan.name
        for _ in range(3)
    ]
    stub.DecideScan(
        pb.DecideScanRequest(name=names[0], decision=pb.DECISION_CLEAR), metadata=tokens["analyst"]
    )
    by_number = pb.ListScansRequest(
        parent="scanners/-",
        page_size=2,
        container_number=container_pb2.ContainerNumber(value=number),
    )
    first = stub.ListScans(by_number, metadata=tokens["officer"])
    by_number.page_token = first.next_page_token
    second = stub.ListScans(by_number, metadata=tokens["officer"])
    assert [s.name for s in (*first.scans, *second.scans)] == sorted(names)
    assert second.next_page_token == ""
    cleared = stub.ListScans(
        pb.ListScansRequest(parent=scanner, state=pb.SCAN_STATE_CLEARED), metadata=tokens["officer"]
    )
    assert names[0] in [s.name for s in cleared.scans]
    assert not {names[1], names[2]} & {s.name for s in cleared.scans}


def test_rule_statistics_count_flags_and_confirmations(
    stub: Stub, tokens: dict[str, Any], phantoms: dict[PhantomKind, Phantom]
) -> None:
    ph = phantoms[PhantomKind.STEEL_IN_ORGANIC]
    name = stub.CreateScanner(
        scanner_request(unique_id("ST"), ph), metadata=tokens["supervisor"]
    ).scanner.name
    scans = [
        upload(stub, tokens, Upload(ph, name, unique_id("k"), (container(),))).scan.name
        for _ in range(3)
    ]
    for scan, decision, violation in (
        (scans[0], pb.DECISION_HOLD, True),
        (scans[1], pb.DECISION_CLEAR, False),
    ):
        stub.DecideScan(
            pb.DecideScanRequest(name=scan, decision=decision, note="look"),
            metadata=tokens["analyst"],
        )
        stub.RecordInspection(
            pb.RecordInspectionRequest(
                name=scan,
                outcome=pb.InspectionOutcome(
                    violation_found=violation, description="found it" if violation else ""
                ),
            ),
            metadata=tokens["officer"],
        )
    stats = stub.GetRuleStatistics(
        pb.GetRuleStatisticsRequest(scanner=name), metadata=tokens["auditor"]
    )
    by_rule = {r.rule: r for r in stats.rules}
    steel = by_rule[pb.FINDING_RULE_MATERIAL_INCONSISTENT]
    assert (steel.flagged, steel.held, steel.inspected, steel.confirmed) == (3, 1, 2, 1)
    assert steel.confirmation_rate == 0.5
    assert by_rule[pb.FINDING_RULE_HEAVY_METAL].flagged == 0
    assert (stats.analysed_scans, stats.inspected_scans, stats.missed_violations) == (3, 2, 0)
    with raises_status(grpc.StatusCode.PERMISSION_DENIED):
        stub.GetRuleStatistics(pb.GetRuleStatisticsRequest(), metadata=tokens["device"])


def test_other_rpcs_answer_while_two_large_uploads_are_processed(
    suite: Suite, stub: Stub, tokens: dict[str, Any]
) -> None:
    """Two devices stream 48 MB uploads at once and end them together. From the moment both
    have handed gRPC their last chunk until the first reply (transfer, checks, storage in the
    S3 threads, analyses one after the other in the engine's one thread), GetScanner, health
    and ListScans keep answering; some rounds find a scan stored but not yet analysed, so they
    were answered while its analysis was under way."""
    rows, cols = SIZE
    big = [
        make_phantom(kind, rows=rows, cols=cols, seed=i)
        for i, kind in enumerate((PhantomKind.STEEL_IN_ORGANIC, PhantomKind.HEAVY_METAL))
    ]
    name = stub.CreateScanner(
        scanner_request(unique_id("BIG"), big[0]), metadata=tokens["supervisor"]
    ).scanner.name
    # in the order it happened: ("reply", response), or ("round", (whether both last chunks
    # were with gRPC when the round began, {scan: state} as ListScans found them))
    events: list[tuple[str, Any]] = []
    errors: list[BaseException] = []
    together = threading.Barrier(2, timeout=120)
    ended = [threading.Event() for _ in big]

    def send(ph: Phantom, done: threading.Event) -> None:
        try:
            up = Upload(
                ph, name, unique_id("big"), (container(),), goods=MACHINERY, chunk=1024 * 1024
            )
            requests = list(up.requests())

            def in_step() -> Iterator[pb.UploadScanRequest]:
                yield from requests[:-1]
                together.wait()  # both streams end together
                yield requests[-1]
                done.set()  # gRPC has taken the last chunk and asks for more

            reply = stub.UploadScan(in_step(), metadata=tokens["device"], timeout=120)
            events.append(("reply", reply))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    health = health_pb2_grpc.HealthStub(channel(suite, "scanner"))
    threads = [threading.Thread(target=send, args=pair) for pair in zip(big, ended, strict=True)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        after_end = all(e.is_set() for e in ended)
        got = stub.GetScanner(pb.GetScannerRequest(name=name), metadata=tokens["officer"])
        status = health.Check(health_pb2.HealthCheckRequest(), timeout=30).status
        assert got.scanner.name == name and status == health_pb2.HealthCheckResponse.SERVING
        # Recorded before ListScans is sent: if ListScans then finds a scan RECEIVED, the two
        # calls above were answered before that scan's analysis was stored, so before its reply.
        at = len(events)
        events.append(("round", (after_end, {})))
        listed = stub.ListScans(pb.ListScansRequest(parent=name), metadata=tokens["officer"])
        events[at] = ("round", (after_end, {s.name: s.state for s in listed.scans}))
    for t in threads:
        t.join()
    assert errors == []
    first_reply = next(i for i, (kind, _) in enumerate(events) if kind == "reply")
    results = [r for kind, r in events if kind == "reply"]
    assert len(results) == 2 and all(r.scan.state == pb.SCAN_STATE_ANALYSED for r in results)
    rounds = [(i, *r) for i, (kind, r) in enumerate(events) if kind == "round"]
    seen = [(after_end, sorted(states.values())) for _, after_end, states in rounds]
    processing = [i for i, after_end, _ in rounds if after_end and i < first_reply]
    assert len(processing) >= 3, (first_reply, seen)
    pending = [
        (i, scan)
        for i, _, states in rounds
        for scan, state in states.items()
        if state == pb.SCAN_STATE_RECEIVED
    ]
    reply_at = {r.scan.name: j for j, (kind, r) in enumerate(events) if kind == "reply"}
    assert pending and all(i < reply_at[scan] for i, scan in pending), (first_reply, seen)
    heavy = next(r.scan for r in results if pb.FINDING_RULE_HEAVY_METAL in rules(r.scan))
    assert (heavy.rows, heavy.columns) == SIZE


def test_a_scan_left_received_is_analysed_after_a_restart(
    suite: Suite,
    stub: Stub,
    tokens: dict[str, Any],
    scanner: str,
    phantoms: dict[PhantomKind, Phantom],
    mongo: MongoClient[dict[str, Any]],
    s3: Minio,
) -> None:
    """A scan stored (acknowledged RECEIVED) whose analysis never completed, as when the
    process dies mid-analysis, is analysed when the service starts again."""
    done = upload(
        stub,
        tokens,
        Upload(
            phantoms[PhantomKind.HEAVY_METAL],
            scanner,
            unique_id("k"),
            (container(),),
            goods=MACHINERY,
        ),
    ).scan
    db = mongo[database(suite, "scanner")]
    doc = db["scans"].find_one({"name": done.name})
    assert doc is not None
    name = f"{scanner}/scans/{unique_id('interrupted')}"
    raw = s3.get_object(bucket(suite, "scanner"), doc["raw"]["key"]).read()
    s3.put_object(bucket(suite, "scanner"), f"{name}/raw.u16le", io.BytesIO(raw), len(raw))
    doc.pop("_id")
    doc.update(
        name=name,
        idempotency_key=unique_id("k"),
        state="RECEIVED",
        analysis=None,
        products={},
        rules=[],
        raw={**doc["raw"], "key": f"{name}/raw.u16le"},
    )
    db["scans"].insert_one(doc)
    suite.stop_service("scanner")
    suite.start("scanner")
    deadline = time.monotonic() + 60
    scan = stub.GetScan(pb.GetScanRequest(name=name), metadata=tokens["officer"]).scan
    while scan.state == pb.SCAN_STATE_RECEIVED and time.monotonic() < deadline:
        time.sleep(0.2)
        scan = stub.GetScan(pb.GetScanRequest(name=name), metadata=tokens["officer"]).scan
    assert scan.state == pb.SCAN_STATE_ANALYSED
    assert rules(scan) == rules(done) and scan.analysis.risk == done.analysis.risk
    assert len(objects(s3, suite, f"{name}/")) == 5
