"""Watchlists over the real API: management, roles, hits at entry and exit."""

from __future__ import annotations

import uuid
from datetime import timedelta

import grpc
import pytest
from customs.camera.v1 import camera_pb2, camera_pb2_grpc

from devstack.suite import Suite
from tests.camera.gates import (
    alerts_about,
    container_number,
    make_gate,
    now,
    plate_number,
    reason_codes,
    unique,
)
from tests.support.stack import auth, channel, raises_status


@pytest.fixture(scope="module")
def stub(suite: Suite) -> camera_pb2_grpc.CameraServiceStub:
    return camera_pb2_grpc.CameraServiceStub(channel(suite, "camera"))


def listing(
    kind: camera_pb2.WatchKind.ValueType, value: str, action: camera_pb2.WatchAction.ValueType
) -> camera_pb2.CreateWatchlistEntryRequest:
    return camera_pb2.CreateWatchlistEntryRequest(
        watchlist_entry_id=unique("w"),
        watchlist_entry=camera_pb2.WatchlistEntry(
            kind=kind, value=value, reason="Risk management target", action=action
        ),
    )


def test_listed_plate_holds_the_exit_and_alerts(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    plate = plate_number()
    entry = stub.CreateWatchlistEntry(
        listing(camera_pb2.WATCH_KIND_PLATE, plate.replace("-", "").lower(), 0),
        metadata=gate.supervisor(),
    ).watchlist_entry
    assert entry.key == plate.replace("-", "").replace(".", "")
    assert entry.action == camera_pb2.WATCH_ACTION_HOLD and entry.listed_by == "sup-1"
    passage = gate.read(gate.exit, now(), plate, [(container_number(), 0.97)]).passage
    closed = gate.close(passage.name)
    assert reason_codes(closed) == ["WATCHLIST_PLATE"]
    hit = alerts_about(stub, suite, closed.name, {"WATCHLIST_HIT"})["WATCHLIST_HIT"].alert
    assert hit.evidence["listed_value"] == entry.value


def test_listed_container_and_declarant_at_entry_alert_without_holding(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    number = container_number()
    tax = f"03{uuid.uuid4().int % 10**8:08d}"
    for kind, value in (
        (camera_pb2.WATCH_KIND_CONTAINER, number),
        (camera_pb2.WATCH_KIND_DECLARANT, tax),
    ):
        stub.CreateWatchlistEntry(
            listing(kind, value, camera_pb2.WATCH_ACTION_ALERT), metadata=gate.supervisor()
        )
    declaration = camera_pb2.Declaration(reference="104000000002", declarant_tax_code=tax + "-001")
    passage = gate.read(
        gate.entry, now(), plate_number(), [(number, 0.97)], declaration=declaration
    )
    closed = gate.close(passage.passage.name)
    assert closed.state == camera_pb2.PASSAGE_STATE_PROCESSED
    assert not closed.HasField("decision")
    listed = set()
    stream = stub.WatchAlerts(
        camera_pb2.WatchAlertsRequest(), metadata=auth(suite.token("w", "auditor")), timeout=30
    )
    try:
        for response in stream:
            if response.alert.subject == closed.name:
                listed.add(response.alert.evidence["watch_kind"])
            if listed == {"CONTAINER", "DECLARANT"}:
                break
    finally:
        stream.cancel()
    assert listed == {"CONTAINER", "DECLARANT"}


def test_watchlist_management_roles_and_validation(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    officer = auth(suite.token("o", "officer"))
    supervisor = auth(suite.token("sup", "supervisor"))
    with raises_status(grpc.StatusCode.PERMISSION_DENIED):
        stub.CreateWatchlistEntry(
            listing(camera_pb2.WATCH_KIND_PLATE, plate_number(), 0), metadata=officer
        )
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.CreateWatchlistEntry(
            listing(camera_pb2.WATCH_KIND_CONTAINER, "CSQU3054384", 0), metadata=supervisor
        )
    assert error["violations"] == ["watchlist_entry.value"]
    created = stub.CreateWatchlistEntry(
        listing(camera_pb2.WATCH_KIND_CONTAINER, container_number(), 0), metadata=supervisor
    ).watchlist_entry
    names = [
        e.name
        for e in stub.ListWatchlistEntries(
            camera_pb2.ListWatchlistEntriesRequest(
                kind=camera_pb2.WATCH_KIND_CONTAINER, page_size=1000
            ),
            metadata=officer,
        ).watchlist_entries
    ]
    assert created.name in names
    with raises_status(grpc.StatusCode.PERMISSION_DENIED):
        stub.DeleteWatchlistEntry(
            camera_pb2.DeleteWatchlistEntryRequest(name=created.name), metadata=officer
        )
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.DeleteWatchlistEntry(
            camera_pb2.DeleteWatchlistEntryRequest(name="entries/x"), metadata=supervisor
        )
    assert error["violations"] == ["name"]


def _listed(
    stub: camera_pb2_grpc.CameraServiceStub, metadata: list[tuple[str, str]], show_deleted: bool
) -> dict[str, camera_pb2.WatchlistEntry]:
    reply = stub.ListWatchlistEntries(
        camera_pb2.ListWatchlistEntriesRequest(
            kind=camera_pb2.WATCH_KIND_PLATE, page_size=1000, show_deleted=show_deleted
        ),
        metadata=metadata,
    )
    return {e.name: e for e in reply.watchlist_entries}


def test_taking_an_entry_off_is_recorded_alerted_and_stops_the_hits(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    auditor = auth(suite.token("aud", "auditor"))
    plate = plate_number()
    request = listing(camera_pb2.WATCH_KIND_PLATE, plate, camera_pb2.WATCH_ACTION_HOLD)
    entry = stub.CreateWatchlistEntry(request, metadata=gate.supervisor()).watchlist_entry
    held = gate.close(gate.read(gate.exit, now() - timedelta(minutes=10), plate).passage.name)
    assert "WATCHLIST_PLATE" in reason_codes(held)

    removed = stub.DeleteWatchlistEntry(
        camera_pb2.DeleteWatchlistEntryRequest(name=entry.name, reason="  case 12/2026 closed "),
        metadata=gate.supervisor(),
    ).watchlist_entry
    assert (removed.name, removed.value) == (entry.name, entry.value)
    assert (removed.deleted_by, removed.delete_reason) == ("sup-1", "case 12/2026 closed")
    assert removed.HasField("delete_time") and not entry.HasField("delete_time")
    assert entry.name not in _listed(stub, auditor, show_deleted=False)
    assert _listed(stub, auditor, show_deleted=True)[entry.name] == removed
    found = alerts_about(stub, suite, entry.name, {"WATCHLIST_ENTRY_REMOVED"})
    alert = found["WATCHLIST_ENTRY_REMOVED"].alert
    assert alert.evidence["deleted_by"] == "sup-1"
    assert alert.evidence["listed_value"] == entry.value
    assert "case 12/2026 closed" in alert.message

    passed = gate.close(gate.read(gate.exit, now(), plate).passage.name)
    assert "WATCHLIST_PLATE" not in reason_codes(passed)
    with raises_status(grpc.StatusCode.NOT_FOUND) as error:
        stub.DeleteWatchlistEntry(
            camera_pb2.DeleteWatchlistEntryRequest(name=entry.name), metadata=gate.supervisor()
        )
    assert "taken off at" in error["message"]
    with raises_status(grpc.StatusCode.ALREADY_EXISTS):  # names are not reused
        stub.CreateWatchlistEntry(request, metadata=gate.supervisor())
    with raises_status(grpc.StatusCode.NOT_FOUND):
        stub.DeleteWatchlistEntry(
            camera_pb2.DeleteWatchlistEntryRequest(name="watchlistEntries/never-listed"),
            metadata=gate.supervisor(),
        )
