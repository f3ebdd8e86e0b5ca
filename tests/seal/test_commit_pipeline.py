"""The committer prepares the next group of uploads while the transaction before it is written.
With many streams at once and another writer changing the trips meanwhile (each change makes
the cache stale, fails a transaction and discards the group prepared behind it), every ping is
still stored exactly once and every trip raises its alerts once."""

from __future__ import annotations

import threading
import time
from typing import Any

import grpc
from customs.seal.v1 import seal_pb2_grpc
from pymongo import MongoClient

from devstack.suite import Suite
from services.seal import sample
from tests.seal import transit as t
from tests.support.stack import auth, database

STREAMS = 6


def send_until_acknowledged(
    stub: seal_pb2_grpc.SealServiceStub, suite: Suite, seal: str, groups: list[Any]
) -> int:
    """Sends every upload, again from the first unacknowledged one after a refusal (as a gateway
    does); returns how many times the stream was refused."""
    refusals, done = 0, 0
    while done < len(groups):
        acknowledged = 0
        try:
            for ack in stub.StreamPings(
                iter(sample.requests(seal, groups[done:])),
                metadata=auth(suite.token(f"gateway-{seal}", "device")),
                timeout=60,
            ):
                acknowledged = ack.acknowledged_requests
            assert acknowledged == len(groups) - done, "the stream ended unacknowledged"
        except grpc.RpcError as error:
            assert error.code() is grpc.StatusCode.UNAVAILABLE, error
            refusals += 1
        done += acknowledged
    return refusals


def test_concurrent_streams_with_a_second_writer_store_each_ping_once(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    places: t.Places,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    trips = [t.start(stub, suite, places) for _ in range(STREAMS)]
    rows = {tr.seal: t.rows(tr) for tr in trips}
    log = suite.root / "logs" / "seal.log"
    retries_before = log.read_text().count("retrying a ping commit after StaleState")
    attachments = mongo[database(suite, "seal")]["attachments"]
    stop = threading.Event()
    bumps = 0

    def other_writer() -> None:
        nonlocal bumps
        while not stop.is_set():
            for tr in trips:
                attachments.update_one({"name": tr.attachment}, {"$inc": {"version": 1}})
                bumps += 1
            time.sleep(0.15)

    writer = threading.Thread(target=other_writer)
    writer.start()
    results: dict[str, int] = {}
    try:
        streams = [
            threading.Thread(
                target=lambda tr=tr: results.__setitem__(
                    tr.seal,
                    send_until_acknowledged(
                        stub, suite, tr.seal, t.uploads(rows[tr.seal], window_s=20.0)
                    ),
                )
            )
            for tr in trips
        ]
        for thread in streams:
            thread.start()
        for thread in streams:
            thread.join(timeout=240)
    finally:
        stop.set()
        writer.join()
    assert sorted(results) == sorted(tr.seal for tr in trips), "a stream did not finish"
    assert bumps > 0
    retries = log.read_text().count("retrying a ping commit after StaleState") - retries_before
    assert retries > 0, "the second writer never made a transaction stale"
    for tr in trips:
        assert t.stored_seqs(mongo, suite, tr.seal) == sorted({r["seq"] for r in rows[tr.seal]})
        found = t.alerts(mongo, suite, tr.seal)
        assert found.count(("OPENED", "SEAL_ARRIVAL")) == 1, found
        assert len(found) == len(set(found)), found
