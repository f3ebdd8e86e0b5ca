"""kill -9 of the database shared by the seal service and the duty log while alerts are being
raised and captured: both report NOT_SERVING, both recover by themselves, and every alert the
seal service committed is recorded in the duty log exactly once.

The database is devstack's SecantusDB (--sync-on-commit: acknowledged commits are durable)."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import grpc
from pymongo import MongoClient

from devstack.stores import Stores, start_mongo
from tests.dutylog.service_helpers import low_battery_seal
from tests.reliability.faults import (
    NOT_SERVING,
    SERVING,
    durable_stack,
    wait_for_health,
)
from tests.support.stack import wait_for

DUTYLOG_ENV = {
    "DUTYLOG_DEFAULT_ROOM": "rooms/fault",
    "DUTYLOG_CAPTURE_BACKOFF_MAX_SECONDS": "1",
}


def test_alert_capture_across_a_database_crash_records_every_alert_once(
    tmp_path: Path, stack_root: Path, stores: Stores
) -> None:
    db_process, port, uri, suite = durable_stack(tmp_path, stores, "rc")
    client: MongoClient[dict[str, Any]] = MongoClient(uri, tz_aware=True)
    prefix = f"F{uuid.uuid4().hex[:6]}"
    registered: list[str] = []
    refused: list[grpc.RpcError] = []
    stop = threading.Event()

    def register() -> None:
        for i in range(1000):
            if stop.is_set():
                return
            seal_id = f"{prefix}-{i:03d}"
            try:
                low_battery_seal(suite, seal_id)
                registered.append(seal_id)
            except grpc.RpcError as exc:  # the database is down: not acknowledged
                refused.append(exc)
            time.sleep(0.05)

    registrar = threading.Thread(target=register)
    try:
        suite.start("seal", {"NUMBA_CACHE_DIR": str(stack_root / "numba-cache")})
        suite.start("dutylog", DUTYLOG_ENV)
        seal_db = client[suite.services["seal"].env["MONGODB_DATABASE"]]
        log_db = client[suite.services["dutylog"].env["MONGODB_DATABASE"]]

        def recorded() -> Counter[str]:
            alarms = log_db["alarms"].find({"source": "seal"}, {"alert": 1})
            return Counter(doc["alert"] for doc in alarms)

        registrar.start()
        wait_for(lambda: len(recorded()) >= 5, "alerts captured before the crash")
        db_process.kill()  # SIGKILL, as a crash
        db_process.stop()
        for name in ("seal", "dutylog"):
            wait_for_health(suite.services[name].address, NOT_SERVING, f"{name} NOT_SERVING")
        db_process, _ = start_mongo(tmp_path / "mongo", tmp_path / "logs", port)
        for name in ("seal", "dutylog"):
            wait_for_health(suite.services[name].address, SERVING, f"{name} SERVING again")
        count = len(registered)
        wait_for(lambda: len(registered) >= count + 5, "seals registered after the restart")
        stop.set()
        registrar.join(60)

        # a registration refused during the outage said so in a retryable way
        assert {e.code() for e in refused} <= {grpc.StatusCode.UNAVAILABLE}, refused
        # every acknowledged registration raised an alert that survived the crash ...
        outbox = {doc["subject"]: doc["_id"] for doc in seal_db["outbox_alerts"].find()}
        assert {f"seals/{s}" for s in registered} <= set(outbox), "an acknowledged alert is lost"
        expected = {f"alerts/{i}" for i in outbox.values()}
        # ... and the duty log records each of them exactly once
        wait_for(lambda: set(recorded()) == expected, "every alert recorded", 120)
        assert max(recorded().values()) == 1
        entries = Counter(
            doc["content"]["references"]["alert_ids"][0]
            for doc in log_db["entries"].find({"kind": "ALERT"})
        )
        assert set(entries) == {f"seal-{i}" for i in outbox.values()}
        assert max(entries.values()) == 1
    finally:
        stop.set()
        if registrar.is_alive():
            registrar.join(60)
        client.close()
        suite.stop()
        db_process.stop()
