"""kill -9 of the database under a live ping stream: health goes NOT_SERVING and comes back by
itself, nothing acknowledged is lost, and re-sent pings are stored exactly once.

The database is devstack's SecantusDB, started with --sync-on-commit as every embedded run is:
without that flag a kill -9 loses the last acknowledged commits (docs/reliability.md, finding 1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
from customs.seal.v1 import seal_pb2, seal_pb2_grpc
from pymongo import MongoClient

from devstack.stores import Stores, start_mongo
from tests.reliability.faults import (
    NOT_SERVING,
    SERVING,
    durable_stack,
    wait_for_health,
)
from tests.seal import transit as t
from tests.support.stack import auth, fast_channel, raises_status


def test_database_killed_mid_stream_loses_no_acknowledged_ping(
    tmp_path: Path, stack_root: Path, stores: Stores
) -> None:
    db_process, port, uri, suite = durable_stack(tmp_path, stores, "rd")
    gateway: t.PacedPings | None = None
    try:
        seal = suite.start("seal", {"NUMBA_CACHE_DIR": str(stack_root / "numba-cache")})
        stub = seal_pb2_grpc.SealServiceStub(fast_channel(seal.address))
        places = t.create_places(stub, suite)
        tr = t.start(stub, suite, places)
        rows = t.rows(tr)
        rest = rows[20:]
        assert len(rest) >= 100, len(rest)
        t.send(stub, suite, tr.seal, [rows[:20]])

        # A gateway streams one ping per request; the database dies while it streams.
        gateway = t.PacedPings(stub, suite.token("gw", "device"), tr.seal, rest, timeout=120)
        gateway.wait_for_acks(20)
        db_process.kill()  # SIGKILL, as a crash
        db_process.stop()  # reaps it and closes its log
        wait_for_health(seal.address, NOT_SERVING, "NOT_SERVING while the database is down")
        # a read while it is down is refused as retryable, not as an internal error
        with raises_status(grpc.StatusCode.UNAVAILABLE) as refused:
            stub.GetSeal(
                seal_pb2.GetSealRequest(name=tr.seal),
                metadata=auth(suite.token("o", "officer")),
                timeout=30,
            )
        assert refused["reason"] == "DATABASE_UNAVAILABLE"

        db_process, _ = start_mongo(tmp_path / "mongo", tmp_path / "logs", port)
        wait_for_health(seal.address, SERVING, "SERVING again once the database is back")
        gateway.thread.join(150)
        assert not gateway.thread.is_alive(), "the stream neither ended nor failed"
        acknowledged = gateway.acknowledged
        assert acknowledged < len(rest) or not gateway.failed, (acknowledged, gateway.failed)

        client: MongoClient[dict[str, Any]] = MongoClient(uri, tz_aware=True)
        try:
            pings = client[seal.env["MONGODB_DATABASE"]]["pings"]

            def stored() -> list[int]:
                return sorted(d["seq"] for d in pings.find({"device": tr.seal}, {"seq": 1}))

            before = set(stored())
            # nothing acknowledged before, during or after the outage was lost
            assert {r["seq"] for r in rows[:20]} <= before
            assert {r["seq"] for r in rest[:acknowledged]} <= before, (
                acknowledged,
                gateway.failed,
            )
            # the gateway re-sends what it has no ack for, plus ten it did get acks for
            resend = [[r] for r in rest[max(0, acknowledged - 10) :]]
            replies = t.send(stub, suite, tr.seal, resend)
            assert len(replies) == len(resend)
            assert sum(r.duplicates for r in replies) >= min(10, acknowledged)
            assert stored() == sorted(r["seq"] for r in rows)  # each ping exactly once
        finally:
            client.close()
        assert t.status(stub, suite, tr.container).arrived
    finally:
        if gateway is not None:
            gateway.thread.join(150)
        suite.stop()
        db_process.stop()
