"""Simulated transits through the real seal service (gRPC, embedded MongoDB-compatible store)."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from typing import Any

import grpc
from customs.seal.v1 import seal_pb2, seal_pb2_grpc
from pymongo import MongoClient

from devstack.suite import Suite
from services.seal.domain.pings import LockState
from services.seal.domain.simulator import Detour, Scenario, Stop
from tests.seal import transit as t
from tests.support.stack import auth, database, raises_status


def kinds(found: list[tuple[str, str]]) -> set[str]:
    return {kind for _, kind in found}


def test_on_route_trip_arrives_acks_everything_and_is_removed_at_destination(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    places: t.Places,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    tr = t.start(stub, suite, places)
    rows = t.rows(tr, Scenario(duplicate_seqs=(7, 40)))
    groups = t.uploads(rows)
    acks = t.send(stub, suite, tr.seal, groups)
    assert [a.acknowledged_requests for a in acks] == list(range(1, len(groups) + 1))
    seqs = sorted({r["seq"] for r in rows})
    assert acks[-1].highest_seq == seqs[-1]
    assert sum(a.accepted for a in acks) == len(seqs)
    assert sum(a.duplicates for a in acks) == 2
    assert t.stored_seqs(mongo, suite, tr.seal) == seqs
    assert t.alerts(mongo, suite, tr.seal) == [("OPENED", "SEAL_ARRIVAL")]
    status = t.status(stub, suite, tr.container)
    assert status.sealed and status.intact and status.arrived
    assert status.state == seal_pb2.SEAL_STATE_ARRIVED and status.seal == tr.seal
    assert [a.kind for a in status.open_alerts] == ["SEAL_ARRIVAL"]
    # the track, simplified
    officer = auth(suite.token("officer-1", "officer"))
    full = stub.GetTrack(seal_pb2.GetTrackRequest(attachment=tr.attachment), metadata=officer)
    simple = stub.GetTrack(
        seal_pb2.GetTrackRequest(attachment=tr.attachment, tolerance_m=50.0), metadata=officer
    )
    assert full.total_points == full.returned_points == len(seqs)
    assert 2 <= simple.returned_points < full.returned_points / 3
    geo = json.loads(simple.geojson)
    line = geo["features"][0]
    assert line["geometry"]["type"] == "LineString"
    assert len(line["geometry"]["coordinates"]) == len(line["properties"]["seqs"])
    lon, lat = line["geometry"]["coordinates"][0]
    assert abs(lat - 10.757) < 0.01 and abs(lon - 106.790) < 0.01
    window = seal_pb2.GetTrackRequest(attachment=tr.attachment)
    start_ns = round(tr.trip.start_time * 1e3) * 1_000_000  # device times: start + 15 s * k
    window.start_time.FromNanoseconds(start_ns + 307_500_000_000)
    window.end_time.FromNanoseconds(start_ns + 607_500_000_000)
    part = stub.GetTrack(window, metadata=officer)
    times = json.loads(part.geojson)["features"][0]["properties"]["seqs"]
    assert part.total_points == part.returned_points == 20 == len(times)
    assert times == list(range(22, 42))  # k = 21..40, seq = k + 1
    # removal at the destination closes the transit and its open episodes
    removed = t.remove(stub, suite, tr.seal)
    assert removed.seal.state == seal_pb2.SEAL_STATE_REMOVED and removed.attachment.closed
    assert t.alerts(mongo, suite, tr.seal)[-1] == ("CLOSED", "SEAL_ARRIVAL")
    assert not t.status(stub, suite, tr.container).sealed
    back = stub.ReturnSealToStock(seal_pb2.ReturnSealToStockRequest(name=tr.seal), metadata=officer)
    assert back.seal.state == seal_pb2.SEAL_STATE_IN_STOCK and not back.seal.attachment


def test_deviation_alerts_once_on_the_live_feed_and_closes_when_back(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    places: t.Places,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    tr = t.start(stub, suite, places)
    t.send(
        stub,
        suite,
        tr.seal,
        t.uploads(t.rows(tr, Scenario(detours=(Detour(30_000, 36_000, 800.0),)))),
    )
    found = t.alerts(mongo, suite, tr.seal)
    assert found.count(("OPENED", "SEAL_CORRIDOR_DEVIATION")) == 1
    assert found.count(("CLOSED", "SEAL_CORRIDOR_DEVIATION")) == 1
    assert kinds(found) == {"SEAL_CORRIDOR_DEVIATION", "SEAL_ARRIVAL"}
    opened = next(
        d for d in t.alert_docs(mongo, suite, tr.seal) if d["kind"] == "SEAL_CORRIDOR_DEVIATION"
    )
    assert opened["severity"] == "CRITICAL" and opened["container_number"] == tr.container
    assert opened["episode"].startswith(tr.attachment.split("/")[1] + "/CORRIDOR_DEVIATION/")
    assert len(opened["evidence"]["seqs"].split(",")) >= 3 and opened["location"]
    # the same alert reaches a WatchAlerts consumer
    watcher = auth(suite.token("room", "supervisor"))
    for reply in stub.WatchAlerts(seal_pb2.WatchAlertsRequest(), metadata=watcher, timeout=20):
        if reply.alert.episode == opened["episode"]:
            assert reply.alert.kind == "SEAL_CORRIDOR_DEVIATION"
            break


def test_jitter_along_the_corridor_edge_does_not_alert(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    places: t.Places,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    tr = t.start(stub, suite, places)
    t.send(
        stub, suite, tr.seal, t.uploads(t.rows(tr, Scenario(offset_m=150.0, noise_m=20.0, seed=3)))
    )
    assert t.alerts(mongo, suite, tr.seal) == [("OPENED", "SEAL_ARRIVAL")]


def test_long_stop_on_the_road_alerts(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    places: t.Places,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    tr = t.start(stub, suite, places)
    t.send(
        stub, suite, tr.seal, t.uploads(t.rows(tr, Scenario(stops=(Stop(20_000, 1800.0, 20.0),))))
    )
    found = t.alerts(mongo, suite, tr.seal)
    assert found.count(("OPENED", "SEAL_UNPLANNED_STOP")) == 1
    assert found.count(("CLOSED", "SEAL_UNPLANNED_STOP")) == 1


def test_lock_opened_on_the_road_breaks_integrity_but_not_at_destination(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    places: t.Places,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    road = t.start(stub, suite, places)
    sc = Scenario(lock_changes=((2000.0, LockState.OPENED), (2300.0, LockState.CLOSED)))
    rows = t.rows(road, sc)
    half = [r for r in rows if r["device_time"] - road.trip.start_time < 2600.0]
    t.send(stub, suite, road.seal, t.uploads(half))
    assert ("OPENED", "SEAL_LOCK_OPENED") in t.alerts(mongo, suite, road.seal)
    on_road = t.status(stub, suite, road.container)
    assert on_road.sealed and not on_road.intact and not on_road.arrived
    assert on_road.state == seal_pb2.SEAL_STATE_IN_TRANSIT
    assert any("lock opened" in r for r in on_road.reasons)
    assert any("not arrived" in r for r in on_road.reasons)

    dest = t.start(stub, suite, places)
    t.send(
        stub,
        suite,
        dest.seal,
        t.uploads(
            t.rows(dest, Scenario(lock_changes=((4900.0, LockState.OPENED),), dwell_s=900.0))
        ),
    )
    assert t.alerts(mongo, suite, dest.seal) == [("OPENED", "SEAL_ARRIVAL")]
    at_dest = t.status(stub, suite, dest.container)
    assert at_dest.sealed and at_dest.intact and at_dest.arrived and not at_dest.reasons


def test_late_buffered_batch_after_reconnect_raises_no_false_alert(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    places: t.Places,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    tr = t.start(stub, suite, places)
    rows = t.rows(tr, Scenario(outages=((2000.0, 3000.0),)))
    # delivery order: the live ping after reconnect comes before the buffered ones
    assert any(a["seq"] > b["seq"] for a, b in itertools.pairwise(rows))
    groups = t.uploads(rows, 30.0)
    acks = t.send(stub, suite, tr.seal, groups)
    assert t.alerts(mongo, suite, tr.seal) == [("OPENED", "SEAL_ARRIVAL")]
    seqs = sorted(r["seq"] for r in rows)
    assert t.stored_seqs(mongo, suite, tr.seal) == seqs
    # a gateway that did not see the acks sends everything again: all duplicates
    again = t.send(stub, suite, tr.seal, groups)
    assert sum(a.accepted for a in again) == 0 and sum(a.duplicates for a in again) == len(seqs)
    assert again[-1].highest_seq == acks[-1].highest_seq == seqs[-1]
    assert t.alerts(mongo, suite, tr.seal) == [("OPENED", "SEAL_ARRIVAL")]


def test_removal_on_the_road_is_refused_and_alerted(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    places: t.Places,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    tr = t.start(stub, suite, places)
    rows = t.rows(tr)
    road = t.drive_to(stub, suite, tr, rows, 100)
    with raises_status(grpc.StatusCode.FAILED_PRECONDITION) as error:
        t.remove(stub, suite, tr.seal, road)
    assert error["preconditions"] == [("STATE", tr.seal)]
    assert "outside the destination" in error["message"]
    assert t.alerts(mongo, suite, tr.seal) == [("OPENED", "SEAL_UNAUTHORISED_REMOVAL")]
    status = t.status(stub, suite, tr.container)
    assert status.sealed and not status.intact and status.state == seal_pb2.SEAL_STATE_IN_TRANSIT
    assert [a.kind for a in status.open_alerts] == ["SEAL_UNAUTHORISED_REMOVAL"]
    # the seal did not change: still in transit, still supervised
    officer = auth(suite.token("officer-1", "officer"))
    seal = stub.GetSealStatus(seal_pb2.GetSealStatusRequest(name=tr.seal), metadata=officer)
    assert seal.seal.state == seal_pb2.SEAL_STATE_IN_TRANSIT
    assert seal.attachment.last_ping.ping.seq == rows[99]["seq"]
    assert seal.attachment.last_ping.HasField("server_time")
    # the simulated device clock runs ahead of the server's: both kept, drift flagged
    last = seal.attachment.last_ping
    assert last.ping.device_time.ToSeconds() - last.server_time.ToSeconds() > 120
    assert last.clock_drift and seal.attachment.clock_drift_pings > 0


def test_illegal_transitions_are_failed_precondition_with_the_reason(
    stub: seal_pb2_grpc.SealServiceStub, suite: Suite, places: t.Places
) -> None:
    tr = t.attach(stub, suite, places)
    officer = auth(suite.token("officer-1", "officer"))
    with raises_status(grpc.StatusCode.FAILED_PRECONDITION) as error:
        t.remove(stub, suite, tr.seal)  # ATTACHED, inside the destination: wrong order
    assert error["preconditions"] == [("STATE", tr.seal)]
    assert "allowed: FAULTY, IN_TRANSIT" in error["message"]
    far = seal_pb2.ArmSealRequest(name=tr.seal, position=t.sample.geo(t.MOC_BAI))
    with raises_status(grpc.StatusCode.FAILED_PRECONDITION) as error:
        stub.ArmSeal(far, metadata=officer)
    assert "at the origin" in error["message"]
    t.arm(stub, suite, tr)
    with raises_status(grpc.StatusCode.FAILED_PRECONDITION) as error:
        stub.ReturnSealToStock(seal_pb2.ReturnSealToStockRequest(name=tr.seal), metadata=officer)
    assert error["reason"] == "ILLEGAL_TRANSITION"
    faulty = stub.ReportSealFault(
        seal_pb2.ReportSealFaultRequest(name=tr.seal, reason="GPS module dead"), metadata=officer
    )
    assert faulty.seal.state == seal_pb2.SEAL_STATE_FAULTY
    status = t.status(stub, suite, tr.container)
    assert status.sealed and not status.intact
    assert any("faulty" in r for r in status.reasons)


def test_roles_are_checked_per_rpc(
    stub: seal_pb2_grpc.SealServiceStub, suite: Suite, places: t.Places
) -> None:
    officer = auth(suite.token("officer-1", "officer"))
    device = auth(suite.token("gw", "device"))
    analyst = auth(suite.token("an", "analyst"))
    with raises_status(grpc.StatusCode.PERMISSION_DENIED):
        list(
            stub.StreamPings(iter([seal_pb2.StreamPingsRequest(seal="seals/x")]), metadata=officer)
        )
    with raises_status(grpc.StatusCode.PERMISSION_DENIED):
        stub.AttachSeal(seal_pb2.AttachSealRequest(name="seals/x"), metadata=device)
    with raises_status(grpc.StatusCode.PERMISSION_DENIED):
        stub.CreateSite(seal_pb2.CreateSiteRequest(site_id="x"), metadata=officer)
    with raises_status(grpc.StatusCode.PERMISSION_DENIED):
        stub.GetContainerSealStatus(seal_pb2.GetContainerSealStatusRequest(), metadata=device)
    with raises_status(grpc.StatusCode.PERMISSION_DENIED):
        stub.ArmSeal(seal_pb2.ArmSealRequest(name="seals/x"), metadata=analyst)
    assert stub.ListAttachments(seal_pb2.ListAttachmentsRequest(), metadata=analyst) is not None


def test_invalid_arguments_name_the_fields(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    places: t.Places,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    officer = auth(suite.token("officer-1", "officer"))
    supervisor = auth(suite.token("sup-1", "supervisor"))
    tr = t.start(stub, suite, places)
    bad = seal_pb2.AttachSealRequest(name=tr.seal, attachment_id="bad id!")
    bad.attachment.container_number.value = "MSCU1234560"  # wrong check digit
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.AttachSeal(bad, metadata=officer)
    assert error["violations"] == [
        "attachment_id",
        "attachment.container_number.value",
        "attachment.transit_declaration",
        "attachment.deadline",
        "position",
    ]
    route = seal_pb2.Route(display_name="", corridor_width_m=-1)
    route.polyline.add(latitude=10.0, longitude=106.0)
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.CreateRoute(
            seal_pb2.CreateRouteRequest(route_id="r-bad", route=route), metadata=supervisor
        )
    assert error["violations"] == ["route.display_name", "route.polyline"]
    site = seal_pb2.Site(display_name="x")
    site.geofence.circle.center.latitude = 95.0
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.CreateSite(seal_pb2.CreateSiteRequest(site_id="s-bad", site=site), metadata=supervisor)
    assert error["violations"] == ["site.geofence.circle.center.latitude"]
    rows = t.rows(tr)[:3]
    requests = t.sample.requests(tr.seal, [rows])
    requests[0].pings[1].position.latitude = 95.0
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        list(stub.StreamPings(iter(requests), metadata=auth(suite.token("gw", "device"))))
    assert error["violations"] == ["pings[1].position.latitude"]
    assert t.stored_seqs(mongo, suite, tr.seal) == []
    with raises_status(grpc.StatusCode.NOT_FOUND):
        t.send(stub, suite, "seals/no-such-seal", [rows])
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        t.status(stub, suite, "MSCU123456")
    assert error["violations"] == ["container_number.value"]
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.GetTrack(
            seal_pb2.GetTrackRequest(attachment=tr.attachment, tolerance_m=-1), metadata=officer
        )
    assert error["violations"] == ["tolerance_m"]


def test_container_without_seal_and_in_transit_listing(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    places: t.Places,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    none = t.status(stub, suite, t.container_number())
    assert not none.sealed and not none.seal and not none.intact and not none.arrived
    assert not none.origin and not none.destination
    started = [t.start(stub, suite, places) for _ in range(3)]
    t.send(stub, suite, started[0].seal, t.uploads(t.rows(started[0])[:20]))
    intact = t.status(stub, suite, started[0].container)
    assert intact.sealed and intact.intact and not intact.arrived
    assert intact.state == seal_pb2.SEAL_STATE_IN_TRANSIT
    # where the transit goes from and to, for a gate to tell its origin from its destination
    assert (intact.origin, intact.destination) == (places.origin, places.destination)
    officer = auth(suite.token("officer-1", "officer"))
    names: list[str] = []
    token = ""
    while True:
        page = stub.ListAttachments(
            seal_pb2.ListAttachmentsRequest(
                page_size=2,
                page_token=token,
                state=seal_pb2.SEAL_STATE_IN_TRANSIT,
                origin=places.origin,
            ),
            metadata=officer,
        )
        assert all(a.state == seal_pb2.SEAL_STATE_IN_TRANSIT for a in page.attachments)
        names += [a.name for a in page.attachments]
        token = page.next_page_token
        if not token:
            break
    assert {s.attachment for s in started} <= set(names)
    assert names == sorted(names)
    db = mongo[database(suite, "seal")]
    assert db["attachments"].count_documents(
        {"origin": places.origin, "state": "IN_TRANSIT"}
    ) == len(names)


def test_ping_written_meanwhile_by_another_replica_is_a_duplicate_not_an_error(
    stub: seal_pb2_grpc.SealServiceStub,
    suite: Suite,
    places: t.Places,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    tr = t.start(stub, suite, places)
    rows = t.rows(tr)
    t.send(stub, suite, tr.seal, [rows[:10]])
    # another writer stores seq 11 behind this process's back (its cache does not know it)
    theirs = rows[10]
    mongo[database(suite, "seal")]["pings"].insert_one(
        {
            "device": tr.seal,
            "seq": theirs["seq"],
            "attachment": tr.attachment,
            "device_time": datetime.fromtimestamp(round(theirs["device_time"], 3), UTC),
            "server_time": datetime.now(UTC).replace(microsecond=0),
            **{k: theirs[k] for k in ("lat", "lon", "speed_mps", "heading_deg", "signal_dbm")},
            "battery_pct": theirs["battery_pct"],
            "lock": 0,
            "tamper": False,
            "drift": False,
        }
    )
    acks = t.send(stub, suite, tr.seal, [rows[10:20]])  # the unique index refuses seq 11
    assert acks[0].accepted == 9 and acks[0].duplicates == 1
    assert t.stored_seqs(mongo, suite, tr.seal) == [r["seq"] for r in rows[:20]]
    assert t.alerts(mongo, suite, tr.seal) == []
