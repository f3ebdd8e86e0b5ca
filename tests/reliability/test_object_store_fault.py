"""The scanner against an object store of its own: kill -9 of the store, an upload refused while
it is down (no record, no object), the same idempotency key stored once after it returns; limits
on message size; presigned URLs that expire."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from customs.scanner.v1 import scanner_pb2 as pb
from customs.scanner.v1 import scanner_pb2_grpc
from minio import Minio
from pymongo import MongoClient

from devstack.processes import Process
from devstack.stores import Stores, start_s3
from devstack.suite import Suite, health_status
from services.scanner.domain.phantoms import Phantom, PhantomKind, make_phantom
from tests.reliability.faults import (
    NOT_SERVING,
    SERVING,
    restart_s3,
    wait_for_health,
)
from tests.scanner.uploads import Upload, container, scanner_request, unique_id
from tests.support.stack import auth, fast_channel, raises_status, wait_for

URL_TTL_SECONDS = 3
MAX_MESSAGE_BYTES = 512 * 1024
MAX_SCAN_BYTES = 1_000_000  # the module's phantom needs 614,400


@dataclass
class Own:
    """A scanner service on an object store this module may kill."""

    suite: Suite
    s3: Process
    endpoint: str
    minio: Minio
    stub: scanner_pb2_grpc.ScannerServiceStub
    scanner: str
    phantom: Phantom

    def token(self, role: str) -> list[tuple[str, str]]:
        return auth(self.suite.token(f"{role}-r", role))

    def upload(self, up: Upload) -> pb.UploadScanResponse:
        reply: pb.UploadScanResponse = self.stub.UploadScan(
            up.requests(), metadata=self.token("device"), timeout=90
        )
        return reply

    def objects(self, prefix: str) -> list[str]:
        bucket = self.suite.services["scanner"].env["S3_BUCKET"]
        found = self.minio.list_objects(bucket, prefix=prefix, recursive=True)
        return sorted(o.object_name for o in found)


@pytest.fixture(scope="module")
def own(
    tmp_path_factory: pytest.TempPathFactory, stack_root: Path, stores: Stores
) -> Iterator[Own]:
    root = tmp_path_factory.mktemp("reliability-s3")
    s3, endpoint, access, secret = start_s3(root / "seaweedfs", root / "logs")
    running: list[Own] = []
    suite = Suite(
        root, Stores(stores.mongodb_uri, endpoint, access, secret), f"rs{uuid.uuid4().hex[:6]}"
    )
    try:
        service = suite.start(
            "scanner",
            {
                "SCANNER_URL_TTL_SECONDS": str(URL_TTL_SECONDS),
                "GRPC_MAX_MESSAGE_BYTES": str(MAX_MESSAGE_BYTES),
                "SCANNER_MAX_SCAN_BYTES": str(MAX_SCAN_BYTES),
                "NUMBA_CACHE_DIR": str(stack_root / "numba-cache"),
            },
        )
        stub = scanner_pb2_grpc.ScannerServiceStub(fast_channel(service.address))
        phantom = make_phantom(PhantomKind.STEEL_IN_ORGANIC, rows=256, cols=600, seed=5)
        name = stub.CreateScanner(
            scanner_request(unique_id("RS"), phantom),
            metadata=auth(suite.token("sup-r", "supervisor")),
        ).scanner.name
        running.append(
            Own(
                suite,
                s3,
                endpoint,
                Minio(endpoint, access, secret, secure=False),
                stub,
                name,
                phantom,
            )
        )
        yield running[0]
    finally:
        suite.stop()
        (running[0].s3 if running else s3).stop()  # the store as restarted by a test


def test_upload_while_the_object_store_is_down_leaves_nothing_and_a_retry_stores_once(
    own: Own, mongo: MongoClient[dict[str, Any]]
) -> None:
    address = own.suite.services["scanner"].address
    scans = mongo[own.suite.services["scanner"].env["MONGODB_DATABASE"]]["scans"]
    key = unique_id("s3down")
    up = Upload(own.phantom, own.scanner, key, (container(),))

    own.s3.kill()  # SIGKILL, as a crash
    own.s3.stop()
    try:
        wait_for_health(address, NOT_SERVING, "NOT_SERVING while the object store is down")
        with raises_status(grpc.StatusCode.UNAVAILABLE) as refused:  # retryable, not INTERNAL
            own.upload(up)
        assert refused["reason"] == "OBJECT_STORE_UNAVAILABLE"
        assert scans.count_documents({"idempotency_key": key}) == 0
    finally:
        own.s3 = restart_s3(own.s3, own.endpoint)
    wait_for_health(address, SERVING, "SERVING again once the object store is back")

    first = own.upload(up)
    second = own.upload(up)  # the client did not see the first answer and retries
    assert not first.duplicate and second.duplicate
    assert second.scan.name == first.scan.name
    assert first.scan.state == pb.SCAN_STATE_ANALYSED
    assert scans.count_documents({"idempotency_key": key}) == 1
    # the refused attempt left no object; the stored scan has its raw planes and 4 products
    assert [
        k for k in own.objects(f"{own.scanner}/scans/") if not k.startswith(first.scan.name)
    ] == []
    assert len(own.objects(f"{first.scan.name}/")) == 5


def test_messages_over_the_configured_limit_are_refused_and_the_service_stays_up(
    own: Own, mongo: MongoClient[dict[str, Any]]
) -> None:
    address = own.suite.services["scanner"].address
    scans = mongo[own.suite.services["scanner"].env["MONGODB_DATABASE"]]["scans"]
    big = scanner_request(unique_id("BIG"), own.phantom)
    big.scanner.display_name = "x" * (MAX_MESSAGE_BYTES + 1)
    with raises_status(grpc.StatusCode.RESOURCE_EXHAUSTED):
        own.stub.CreateScanner(big, metadata=own.token("supervisor"), timeout=30)

    up = Upload(own.phantom, own.scanner, unique_id("bigchunk"), (container(),))
    up.chunk = len(up.data)  # the whole payload in one message, over the limit
    assert len(up.data) > MAX_MESSAGE_BYTES
    with raises_status(grpc.StatusCode.RESOURCE_EXHAUSTED):
        own.upload(up)
    assert scans.count_documents({"idempotency_key": up.key}) == 0

    assert health_status(address, timeout=10) == SERVING
    got = own.stub.GetScanner(pb.GetScannerRequest(name=own.scanner), metadata=own.token("officer"))
    assert got.scanner.name == own.scanner
    up.chunk = 256 * 1024  # the same upload in chunks under the limit is accepted
    assert own.upload(up).scan.state == pb.SCAN_STATE_ANALYSED


def test_a_scan_announced_over_the_size_limit_is_refused_before_its_payload(
    own: Own, mongo: MongoClient[dict[str, Any]]
) -> None:
    """The metadata announces 2 x 256 x 1200 uint16 (1.2 MB > SCANNER_MAX_SCAN_BYTES): the
    answer comes while the device still holds back every chunk, names the field, and nothing
    is stored."""
    scans = mongo[own.suite.services["scanner"].env["MONGODB_DATABASE"]]["scans"]
    big = make_phantom(PhantomKind.ORGANIC, rows=256, cols=1200, seed=6)
    up = Upload(big, own.scanner, unique_id("huge"), (container(),))
    assert len(up.data) > MAX_SCAN_BYTES
    objects_before = own.objects(f"{own.scanner}/scans/")
    released = threading.Event()

    def held_back() -> Iterator[pb.UploadScanRequest]:
        requests = up.requests()
        yield next(requests)  # the metadata alone
        released.wait(60)  # the payload only once the test lets it go
        yield from requests

    outcome: list[grpc.RpcError | pb.UploadScanResponse] = []

    def call() -> None:
        try:
            outcome.append(
                own.stub.UploadScan(held_back(), metadata=own.token("device"), timeout=90)
            )
        except grpc.RpcError as error:
            outcome.append(error)

    caller = threading.Thread(target=call)
    caller.start()
    try:
        wait_for(lambda: bool(outcome), "an answer to the announced size", 30)
    finally:
        released.set()
        caller.join(60)
    (answer,) = outcome
    assert isinstance(answer, grpc.RpcError), answer
    assert answer.code() == grpc.StatusCode.INVALID_ARGUMENT, answer.details()
    assert "metadata.columns" in (answer.details() or "")
    assert scans.count_documents({"idempotency_key": up.key}) == 0
    assert own.objects(f"{own.scanner}/scans/") == objects_before


def _fetch(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_presigned_urls_work_then_expire(own: Own) -> None:
    scan = own.upload(Upload(own.phantom, own.scanner, unique_id("ttl"), (container(),))).scan
    request = pb.GetScanRenderingsRequest(name=scan.name)
    urls = own.stub.GetScanRenderings(request, metadata=own.token("officer"))
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(urls.thumbnail_url).query)
    assert query["X-Amz-Expires"] == [str(URL_TTL_SECONDS)]
    # Fresh URLs work. On a busy machine a URL may already be stale when fetched: ask again.
    statuses = []
    for _ in range(5):
        urls = own.stub.GetScanRenderings(request, metadata=own.token("officer"))
        statuses.append(_fetch(urls.thumbnail_url))
        if statuses[-1] == 200:
            break
    assert statuses[-1] == 200, statuses
    expired = urls.thumbnail_url
    # after its lifetime the store refuses the same URL
    wait_for(lambda: _fetch(expired) == 403, "the URL refused after it expired", 30)
