"""Scan uploads under faults: kill -9 of the database, of the object store, and of the scanner
service itself while a device uploads scan after scan. The device retries every upload it got
no answer for with the same idempotency key. Afterwards every scan is stored exactly once,
analysed, with its raw planes and products, no answered scan changed or vanished, and the
bucket holds no object of a scan that does not exist."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest
from customs.scanner.v1 import scanner_pb2 as pb
from customs.scanner.v1 import scanner_pb2_grpc
from minio import Minio
from pymongo import MongoClient

from devstack.processes import Process
from devstack.stores import Stores, start_mongo, start_s3
from devstack.suite import Suite
from services.scanner.domain.phantoms import PhantomKind, make_phantom
from tests.reliability.faults import NOT_SERVING, SERVING, restart_s3, wait_for_health
from tests.scanner.uploads import Upload, container, scanner_request, unique_id
from tests.support.stack import auth, fast_channel, wait_for

UPLOADS = 24


@dataclass
class Own:
    """A scanner service on a database and an object store of its own, all killable."""

    root: Path
    suite: Suite
    mongo: Process
    mongo_port: int
    s3: Process
    s3_endpoint: str
    minio: Minio
    client: MongoClient[dict[str, Any]]
    scanner: str = ""
    stub: scanner_pb2_grpc.ScannerServiceStub = field(init=False)

    def connect(self) -> None:
        address = self.suite.services["scanner"].address
        self.stub = scanner_pb2_grpc.ScannerServiceStub(fast_channel(address))

    @property
    def db(self) -> Any:
        return self.client[self.suite.services["scanner"].env["MONGODB_DATABASE"]]

    def objects(self) -> list[str]:
        bucket = self.suite.services["scanner"].env["S3_BUCKET"]
        found = self.minio.list_objects(bucket, prefix=f"{self.scanner}/scans/", recursive=True)
        return [o.object_name for o in found]


@pytest.fixture
def own(tmp_path: Path, stack_root: Path) -> Iterator[Own]:
    mongo, uri = start_mongo(tmp_path / "mongo", tmp_path / "logs")
    s3, endpoint, access, secret = start_s3(tmp_path / "seaweedfs", tmp_path / "logs")
    suite = Suite(tmp_path, Stores(uri, endpoint, access, secret), f"ru{uuid.uuid4().hex[:6]}")
    stack = Own(
        tmp_path,
        suite,
        mongo,
        int(uri.rsplit(":", 1)[1].split("/", 1)[0]),
        s3,
        endpoint,
        Minio(endpoint, access, secret, secure=False),
        MongoClient(uri, tz_aware=True),
    )
    try:
        suite.start(
            "scanner",
            {
                "NUMBA_CACHE_DIR": str(stack_root / "numba-cache"),
                # a raw object left without its record by a crash is removed after 1 s
                "SCANNER_ORPHAN_GRACE_SECONDS": "1",
                "SCANNER_ORPHAN_SWEEP_SECONDS": "0.5",
            },
        )
        stack.connect()
        stack.scanner = stack.stub.CreateScanner(
            scanner_request(unique_id("RU"), PHANTOM),
            metadata=auth(suite.token("sup", "supervisor")),
        ).scanner.name
        yield stack
    finally:
        stack.client.close()
        suite.stop()
        stack.mongo.stop()
        stack.s3.stop()


PHANTOM = make_phantom(PhantomKind.STEEL_IN_ORGANIC, rows=256, cols=600, seed=8)


class Device:
    """Uploads scan after scan in a thread; remembers what was answered and what was not."""

    def __init__(self, own: Own) -> None:
        self.own = own
        self.uploads = [
            Upload(PHANTOM, own.scanner, unique_id("f"), (container(),)) for _ in range(UPLOADS)
        ]
        self.answered: dict[str, str] = {}  # idempotency key -> scan name
        self.refused: dict[str, grpc.StatusCode] = {}
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def send(self, up: Upload) -> pb.UploadScanResponse:
        token = auth(self.own.suite.token("scanner-gw", "device"))
        reply: pb.UploadScanResponse = self.own.stub.UploadScan(
            up.requests(), metadata=token, timeout=60
        )
        return reply

    def _run(self) -> None:
        for up in self.uploads:
            try:
                self.answered[up.key] = self.send(up).scan.name
            except grpc.RpcError as error:
                self.refused[up.key] = error.code()
            time.sleep(0.05)

    def retry_unanswered(self) -> dict[str, pb.UploadScanResponse]:
        """Sends again, with the same keys, every upload that got no answer (each until it is
        answered, within a bound)."""
        replies = {}
        for up in self.uploads:
            if up.key in self.answered:
                continue
            deadline = time.monotonic() + 120
            while True:
                try:
                    replies[up.key] = self.send(up)
                    break
                except grpc.RpcError:
                    assert time.monotonic() < deadline, f"{up.key} never answered"
                    time.sleep(0.5)
        return replies


def check_everything_stored_once(own: Own, device: Device) -> None:
    retried = device.retry_unanswered()
    # answers the device got before are kept: a retry of an answered upload is a duplicate
    for up in device.uploads[:3]:
        if up.key in device.answered:
            again = device.send(up)
            assert again.duplicate and again.scan.name == device.answered[up.key]
    names = {**device.answered, **{k: r.scan.name for k, r in retried.items()}}
    scans = own.db["scans"]
    for up in device.uploads:
        docs = list(scans.find({"idempotency_key": up.key}))
        assert len(docs) == 1, (up.key, len(docs))
        assert docs[0]["name"] == names[up.key]

    def analysed() -> bool:
        states = {d["state"] for d in scans.find({"scanner": own.scanner}, {"state": 1})}
        return states == {"ANALYSED"}

    wait_for(analysed, "every stored scan analysed", 120)
    stored = {d["name"] for d in scans.find({"scanner": own.scanner}, {"name": 1})}
    assert stored == set(names.values())

    def orphans() -> list[str]:
        return [k for k in own.objects() if k.rsplit("/", 1)[0] not in stored]

    # an object whose upload died before its record is swept away (after its grace period)
    wait_for(lambda: orphans() == [], f"no object without its scan: {orphans()}", 60)
    objects = own.objects()
    for name in stored:
        assert len([k for k in objects if k.startswith(f"{name}/")]) == 5, name


def run_with_fault(own: Own, fault: Callable[[], None]) -> Device:
    device = Device(own)
    wait_for(lambda: len(device.answered) >= 3 or not device.thread.is_alive(), "3 answers")
    assert device.thread.is_alive(), "the uploads ended before the fault"
    fault()
    device.thread.join(300)
    assert not device.thread.is_alive()
    return device


def test_database_killed_during_uploads(own: Own) -> None:
    address = own.suite.services["scanner"].address

    def crash() -> None:
        own.mongo.kill()
        own.mongo.stop()
        wait_for_health(address, NOT_SERVING, "NOT_SERVING while the database is down")
        time.sleep(1.0)  # uploads keep arriving while it is down
        own.mongo, _ = start_mongo(own.root / "mongo", own.root / "logs", own.mongo_port)
        wait_for_health(address, SERVING, "SERVING again once the database is back")

    device = run_with_fault(own, crash)
    assert set(device.refused.values()) <= {grpc.StatusCode.UNAVAILABLE}, device.refused
    check_everything_stored_once(own, device)


def test_object_store_killed_during_uploads(own: Own) -> None:
    address = own.suite.services["scanner"].address

    def crash() -> None:
        own.s3.kill()
        own.s3.stop()
        wait_for_health(address, NOT_SERVING, "NOT_SERVING while the object store is down")
        time.sleep(1.0)
        own.s3 = restart_s3(own.s3, own.s3_endpoint)
        wait_for_health(address, SERVING, "SERVING again once the object store is back")

    device = run_with_fault(own, crash)
    assert set(device.refused.values()) <= {grpc.StatusCode.UNAVAILABLE}, device.refused
    check_everything_stored_once(own, device)


def test_scanner_killed_during_uploads(own: Own) -> None:
    def crash() -> None:
        killed = own.suite.services["scanner"].process
        killed.kill()
        killed.stop()
        time.sleep(1.0)
        own.suite.start("scanner", own.suite.services["scanner"].env)
        own.connect()

    device = run_with_fault(own, crash)
    check_everything_stored_once(own, device)
