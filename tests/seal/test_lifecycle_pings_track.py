"""Lifecycle table, ping decoding, config, and track output."""

from __future__ import annotations

import json

import numpy as np
import pytest

from services.seal.domain.alerts import AlertKind, AlertPhase, Severity
from services.seal.domain.config import RuleConfig
from services.seal.domain.errors import DomainValidationError, IllegalTransition, RemovalRefused
from services.seal.domain.geometry import LatLon
from services.seal.domain.kernels import distance_to_polyline
from services.seal.domain.lifecycle import ALLOWED, SealState, remove_seal, transition
from services.seal.domain.monitor import TripMonitor
from services.seal.domain.pings import LockState, Ping, PingBatch
from services.seal.domain.simulator import CAT_LAI, MOC_BAI, demo_trip, simulate
from services.seal.domain.track import Track, douglas_peucker, track_geojson

S = SealState
TRIP = demo_trip()


def test_full_lifecycle_path() -> None:
    state = S.IN_STOCK
    for target in (S.ATTACHED, S.IN_TRANSIT, S.ARRIVED):
        state = transition("SEAL-1", state, target)
    state = remove_seal("SEAL-1", state, LatLon(11.0725, 106.1632), TRIP.destination, 1.0)
    assert state is S.REMOVED
    assert transition("SEAL-1", state, S.IN_STOCK) is S.IN_STOCK


@pytest.mark.parametrize("state", list(S))
def test_faulty_from_any_state_and_back_to_stock_only(state: SealState) -> None:
    if state is S.FAULTY:
        with pytest.raises(IllegalTransition):
            transition("SEAL-1", state, S.FAULTY)
    else:
        assert transition("SEAL-1", state, S.FAULTY) is S.FAULTY
    assert ALLOWED[S.FAULTY] == frozenset({S.IN_STOCK})


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.IN_STOCK, S.IN_TRANSIT),
        (S.ATTACHED, S.ARRIVED),
        (S.ARRIVED, S.IN_TRANSIT),
        (S.REMOVED, S.ATTACHED),
        (S.FAULTY, S.ATTACHED),
        (S.IN_TRANSIT, S.IN_STOCK),
    ],
)
def test_illegal_transitions_carry_states_and_reason(current: SealState, target: SealState) -> None:
    with pytest.raises(IllegalTransition) as info:
        transition("SEAL-9", current, target)
    err = info.value
    assert (err.subject, err.from_state, err.to_state) == ("SEAL-9", current.value, target.value)
    assert "not an allowed transition" in err.reason


def test_removal_only_through_remove_seal() -> None:
    with pytest.raises(IllegalTransition, match="use remove_seal"):
        transition("SEAL-1", S.ARRIVED, S.REMOVED)


def test_removal_outside_destination_is_refused_with_an_alert() -> None:
    on_the_road = LatLon(10.95, 106.53)
    for state in (S.IN_TRANSIT, S.ARRIVED):
        with pytest.raises(RemovalRefused) as info:
            remove_seal("SEAL-1", state, on_the_road, TRIP.destination, 1_790_000_000.0, (41,))
        alert = info.value.alert
        assert isinstance(info.value, IllegalTransition) and info.value.to_state == "REMOVED"
        assert alert.kind is AlertKind.UNAUTHORISED_REMOVAL and alert.phase is AlertPhase.OPENED
        assert alert.severity is Severity.CRITICAL and alert.position == on_the_road
        assert alert.evidence_seqs == (41,)


def test_removal_inside_destination_but_wrong_state_is_plain_illegal() -> None:
    with pytest.raises(IllegalTransition) as info:
        remove_seal("SEAL-1", S.IN_TRANSIT, MOC_BAI, TRIP.destination, 1.0)
    assert not isinstance(info.value, RemovalRefused)


def test_ping_batch_decodes_wire_dicts() -> None:
    ping = Ping(7, 100.0, 101.0, CAT_LAI, 12.0, 90.0, 55.0, LockState.CUT, True, -90)
    batch = PingBatch.from_pings([ping])
    cols = batch.columns
    assert len(batch) == 1 and cols["seq"].dtype == np.int64
    assert cols["lock"][0] == int(LockState.CUT) and bool(cols["tamper"][0])
    assert PingBatch.from_dicts([]).columns["seq"].shape == (0,)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lat": 95.0}, "pings[1].lat"),
        ({"lon": -181.0}, "pings[1].lon"),
        ({"battery_pct": 130.0}, "pings[1].battery_pct"),
        ({"seq": -1}, "pings[1].seq"),
        ({"lock": "AJAR"}, "pings[1].lock"),
        ({"speed_mps": "fast"}, "pings[1].speed_mps"),
    ],
)
def test_ping_validation_names_index_and_field(change: dict[str, object], field: str) -> None:
    rows = simulate(TRIP)[:3]
    rows[1] = {**rows[1], **change}
    with pytest.raises(DomainValidationError) as info:
        PingBatch.from_dicts(rows)
    assert info.value.field == field


def test_ping_missing_field() -> None:
    rows = simulate(TRIP)[:3]
    del rows[2]["server_time"]
    with pytest.raises(DomainValidationError) as info:
        PingBatch.from_dicts(rows)
    assert info.value.field == "pings[2].server_time"


def test_config_defaults_validation_and_round_trip() -> None:
    cfg = RuleConfig()
    assert RuleConfig.from_document(cfg.to_document()) == cfg
    with pytest.raises(DomainValidationError) as info:
        RuleConfig(deviation_min_fixes=0)
    assert info.value.field == "deviation_min_fixes"
    with pytest.raises(DomainValidationError):
        RuleConfig(signal_lost_s=-1.0)


def test_douglas_peucker_bounds_the_error() -> None:
    rng = np.random.default_rng(5)
    x = np.cumsum(rng.uniform(5, 50, 400))
    y = np.cumsum(rng.normal(0, 20, 400))
    for tol in (0.0, 5.0, 50.0, 500.0):
        k = douglas_peucker(x, y, tol)
        assert k[0] == 0 and k[-1] == 399 and np.all(np.diff(k) > 0)
        # every dropped point lies within tol of the simplified polyline
        d = distance_to_polyline(x, y, x[k], y[k])
        assert d.max() <= tol + 1e-9
    assert douglas_peucker(x, y, 500.0).size < douglas_peucker(x, y, 5.0).size < 400
    straight = np.arange(10, dtype=np.float64)
    assert douglas_peucker(straight, 2 * straight, 0.01).tolist() == [0, 9]
    assert douglas_peucker(x[:1], y[:1], 1.0).tolist() == [0]
    with pytest.raises(DomainValidationError):
        douglas_peucker(x, y, -1.0)


def test_track_geojson() -> None:
    mon = TripMonitor(TRIP)
    mon.ingest(PingBatch.from_dicts(simulate(TRIP)))
    track = Track.of(mon)
    small = track.simplified(20.0)
    assert 2 <= len(small.seq) < len(track.seq) / 3
    gj = json.loads(json.dumps(track_geojson(small, {"trip_id": TRIP.trip_id})))
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == 1
    feat = gj["features"][0]
    coords = feat["geometry"]["coordinates"]
    assert feat["geometry"]["type"] == "LineString"
    assert len(coords) == len(feat["properties"]["times"]) == len(feat["properties"]["seqs"])
    lon, lat = coords[0]
    assert abs(lat - CAT_LAI.lat) < 0.01 and abs(lon - CAT_LAI.lon) < 0.01
    assert feat["properties"]["times"][0].endswith("Z")
    assert feat["properties"]["trip_id"] == TRIP.trip_id
    one = Track(track.seq[:1], track.time[:1], track.lat[:1], track.lon[:1])
    assert track_geojson(one)["features"][0]["geometry"]["type"] == "Point"
