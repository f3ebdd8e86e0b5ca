"""Device-state episodes (tamper switch, low battery) raised from pings streamed over gRPC: each
episode alerts once, flicker inside it included, and is closed when it ends."""

from __future__ import annotations

from typing import Any

from customs.seal.v1 import seal_pb2_grpc
from pymongo import MongoClient

from devstack.suite import Suite
from tests.seal import transit as t

#: seconds after the start of the trip
TAMPERED = ((1000.0, 1100.0), (1115.0, 1200.0), (3000.0, 3060.0))  # 15 s clear: one episode
LOW_BATTERY = (1500.0, 2400.0)  # then a fresh battery


def _device_states(tr: t.Transit) -> list[dict[str, Any]]:
    rows = t.rows(tr)
    for r in rows:
        at = r["device_time"] - tr.trip.start_time
        r["tamper"] = any(a <= at < b for a, b in TAMPERED)
        r["battery_pct"] = 15.0 if LOW_BATTERY[0] <= at < LOW_BATTERY[1] else 90.0
    return rows


def _episodes(docs: list[dict[str, Any]], kind: str) -> dict[str, list[str]]:
    """Phases of each episode of ``kind``, in outbox order."""
    out: dict[str, list[str]] = {}
    for d in docs:
        if d["kind"] == kind:
            out.setdefault(d["episode"], []).append(d["phase"])
    return out


def test_tamper_and_low_battery_alert_once_per_episode_and_close_when_they_end(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    places: t.Places,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    tr = t.start(stub, suite, places)
    rows = _device_states(tr)
    first_half = [r for r in rows if r["device_time"] - tr.trip.start_time < 2000.0]
    t.send(stub, suite, tr.seal, t.uploads(first_half))
    # mid-trip: the first tamper episode is over, the battery is still low
    docs = t.alert_docs(mongo, suite, tr.seal)
    assert list(_episodes(docs, "SEAL_TAMPER").values()) == [["OPENED", "CLOSED"]]
    assert list(_episodes(docs, "SEAL_LOW_BATTERY").values()) == [["OPENED"]]
    status = t.status(stub, suite, tr.container)
    assert not status.intact and any("tamper" in r for r in status.reasons)
    assert "SEAL_LOW_BATTERY" in [a.kind for a in status.open_alerts]
    assert "SEAL_TAMPER" not in [a.kind for a in status.open_alerts]

    t.send(stub, suite, tr.seal, t.uploads(rows[len(first_half) :]))
    docs = t.alert_docs(mongo, suite, tr.seal)
    tamper = _episodes(docs, "SEAL_TAMPER")
    assert list(tamper.values()) == [["OPENED", "CLOSED"], ["OPENED", "CLOSED"]]
    battery = _episodes(docs, "SEAL_LOW_BATTERY")
    assert list(battery.values()) == [["OPENED", "CLOSED"]]
    opened = next(d for d in docs if d["kind"] == "SEAL_TAMPER")
    assert opened["evidence"]["seqs"] and opened["location"]
    # re-sending the whole trip (a gateway that lost its acks) raises nothing again
    before = len(docs)
    t.send(stub, suite, tr.seal, t.uploads(rows))
    assert len(t.alert_docs(mongo, suite, tr.seal)) == before
    assert [a.kind for a in t.status(stub, suite, tr.container).open_alerts] == ["SEAL_ARRIVAL"]
