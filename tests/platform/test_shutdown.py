"""SIGTERM: the service stops taking calls but finishes the one in flight before it exits."""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import grpc
from customs.seal.v1 import seal_pb2, seal_pb2_grpc
from grpc_health.v1 import health_pb2
from pymongo import MongoClient

from devstack.processes import Process, free_port, wait_until
from devstack.stores import Stores, start_mongo
from devstack.suite import REPO, Suite, health_status
from tests.support.stack import auth

NOT_SERVING = int(health_pb2.HealthCheckResponse.NOT_SERVING)


def test_call_in_flight_completes_after_sigterm(tmp_path: Path, stores: Stores) -> None:
    # A database of our own, so that it can be paused to hold a call in flight.
    db_process, uri = start_mongo(tmp_path / "mongo", tmp_path / "logs")
    own = Stores(
        uri, stores.s3_endpoint, stores.s3_access_key, stores.s3_secret_key, stores.s3_secure
    )
    suite = Suite(tmp_path, own, namespace=f"sd{uuid.uuid4().hex[:6]}")
    try:
        seal = suite.start("seal")
        stub = seal_pb2_grpc.SealServiceStub(grpc.insecure_channel(seal.address))
        officer = auth(suite.token("officer", "officer"))
        request = seal_pb2.CreateSealRequest(
            seal_id="SD-1",
            seal=seal_pb2.Seal(manufacturer="M", serial_number="S", battery_percent=80),
        )
        os.kill(db_process.pid, signal.SIGSTOP)  # the insert will wait on the database
        try:
            in_flight = stub.CreateSeal.future(request, metadata=officer, timeout=60)
            time.sleep(1.0)
            assert not in_flight.done()
            seal.process.signal(signal.SIGTERM)
            time.sleep(1.0)
            assert seal.process.alive(), "the service must drain before exiting"
        finally:
            os.kill(db_process.pid, signal.SIGCONT)
        reply = in_flight.result(timeout=30)
        assert reply.seal.name == "seals/SD-1"
        assert seal.process.wait(30) == 0
        client: MongoClient[dict[str, Any]] = MongoClient(uri)
        try:
            stored = client[seal.env["MONGODB_DATABASE"]]["seals"].find_one({"name": "seals/SD-1"})
        finally:
            client.close()
        assert stored is not None
    finally:
        suite.stop()
        db_process.stop()


def test_sigterm_during_start_up_stops_cleanly(tmp_path: Path, stores: Stores) -> None:
    """Storage that never answers keeps a service starting (NOT_SERVING); SIGTERM then ends it
    at once with status 0 instead of waiting out its start-up."""
    nowhere = Stores(
        f"mongodb://127.0.0.1:{free_port()}/?directConnection=true",
        stores.s3_endpoint,
        stores.s3_access_key,
        stores.s3_secret_key,
        stores.s3_secure,
    )
    suite = Suite(tmp_path, nowhere, namespace=f"su{uuid.uuid4().hex[:6]}")
    address = f"127.0.0.1:{free_port()}"
    process = Process(
        "seal",
        [sys.executable, "-m", "services.seal"],
        tmp_path / "seal.log",
        env=suite.service_env("seal", address),
        cwd=REPO,
    )
    try:
        wait_until(
            lambda: health_status(address) == NOT_SERVING, 60, "seal answering, not ready", process
        )
        process.signal(signal.SIGTERM)
        assert process.wait(45) == 0, process.tail()  # start-up alone would wait 60 s
        assert '"stopped"' in process.log_path.read_text()
    finally:
        process.stop()
