"""Simulated Cát Lái → Mộc Bài trips through the monitor, with a periodic sweeper."""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

import pytest

from services.seal.domain.alerts import AlertEvent, AlertKind, AlertPhase, Severity
from services.seal.domain.config import RuleConfig
from services.seal.domain.errors import DomainValidationError
from services.seal.domain.monitor import TripMonitor
from services.seal.domain.pings import LockState, PingBatch
from services.seal.domain.rules import outside_corridor
from services.seal.domain.simulator import (
    Detour,
    Scenario,
    Stop,
    by_reception,
    demo_trip,
    simulate,
)
from services.seal.domain.simulator import _RouteWalker as RouteWalker

TRIP = demo_trip()
REST_STOP_M = float(RouteWalker(TRIP.route).cum[11])  # route vertex beside the Củ Chi rest stop


def drive(
    rows: list[dict[str, Any]],
    monitor: TripMonitor | None = None,
    window_s: float = 30.0,
    sweep_every_s: float = 60.0,
) -> tuple[TripMonitor, list[AlertEvent]]:
    """Feed rows as uploads grouped by reception, sweeping every ``sweep_every_s`` of server time
    in between (as the service's sweeper task would)."""
    mon = monitor or TripMonitor(TRIP)
    events: list[AlertEvent] = []
    clock = rows[0]["server_time"] if rows else TRIP.start_time
    for batch in by_reception(rows, window_s):
        while clock + sweep_every_s < batch[0]["server_time"]:
            clock += sweep_every_s
            events += mon.sweep(clock)
        events += mon.ingest(PingBatch.from_dicts(batch)).events
        clock = max(clock, batch[-1]["server_time"])
    events += mon.sweep(clock + 1.0)
    return mon, events


def kinds(events: list[AlertEvent]) -> list[tuple[str, str]]:
    return [(e.phase.value, e.kind.value) for e in events]


def assert_each_episode_opened_once_closed_at_most_once(events: list[AlertEvent]) -> None:
    counts = Counter((e.episode_id, e.phase) for e in events)
    assert all(c == 1 for c in counts.values()), counts
    opened = {e.episode_id for e in events if e.phase is AlertPhase.OPENED}
    assert {e.episode_id for e in events if e.phase is AlertPhase.CLOSED} <= opened


def test_on_route_only_arrival() -> None:
    mon, events = drive(simulate(TRIP))
    assert kinds(events) == [("OPENED", "ARRIVAL")]
    arrival = events[0]
    assert arrival.severity is Severity.INFO
    assert arrival.evidence_seqs and arrival.position is not None
    assert mon.arrived and [r.kind for r in mon.open_episodes()] == [AlertKind.ARRIVAL]


def test_deviation_opens_once_and_closes_when_back() -> None:
    rows = simulate(TRIP, Scenario(detours=(Detour(30_000, 36_000, 800.0),)))
    _, events = drive(rows)
    dev = [e for e in events if e.kind is AlertKind.CORRIDOR_DEVIATION]
    assert [e.phase for e in dev] == [AlertPhase.OPENED, AlertPhase.CLOSED]
    assert dev[0].episode_id == dev[1].episode_id
    assert dev[0].severity is Severity.HIGH
    by_seq = {r["seq"]: r for r in rows}
    # evidence: the fixes of the deviation, all between the detour's start and end times
    assert len(dev[0].evidence_seqs) >= RuleConfig().deviation_min_fixes
    t_open = [by_seq[s]["device_time"] for s in dev[0].evidence_seqs]
    assert dev[1].time > max(t_open)
    assert ("OPENED", "ARRIVAL") in kinds(events)
    assert_each_episode_opened_once_closed_at_most_once(events)


def test_jitter_along_corridor_edge_does_not_alert() -> None:
    # driving on the edge (half width 150 m) with 20 m GPS noise: many single fixes are beyond
    # the edge and some beyond the tolerance, but never for the debounce window
    rows = simulate(TRIP, Scenario(offset_m=150.0, noise_m=20.0, seed=3))
    mon, events = drive(rows)
    cols = mon.timeline.cols
    assert (cols["dist"] > TRIP.route.half_width_m).sum() > 50
    assert outside_corridor(cols, TRIP.route.half_width_m, mon.config).sum() >= 3
    assert kinds(events) == [("OPENED", "ARRIVAL")]


def test_long_stop_outside_permitted_zone_alerts() -> None:
    _, events = drive(simulate(TRIP, Scenario(stops=(Stop(20_000, 1800.0, 20.0),))))
    stop = [e for e in events if e.kind is AlertKind.UNPLANNED_STOP]
    assert [e.phase for e in stop] == [AlertPhase.OPENED, AlertPhase.CLOSED]
    assert "stationary" in stop[0].message
    assert not any(e.kind is AlertKind.CORRIDOR_DEVIATION for e in events)


def test_stop_in_rest_area_or_short_stop_does_not_alert() -> None:
    sc = Scenario(stops=(Stop(REST_STOP_M, 3600.0, 60.0), Stop(60_000, 300.0)))
    _, events = drive(simulate(TRIP, sc))
    assert kinds(events) == [("OPENED", "ARRIVAL")]


def test_lock_opened_on_the_road_alerts() -> None:
    sc = Scenario(lock_changes=((2000.0, LockState.OPENED), (2300.0, LockState.CLOSED)))
    _, events = drive(simulate(TRIP, sc))
    lock = [e for e in events if e.kind is AlertKind.LOCK_OPENED]
    assert [e.phase for e in lock] == [AlertPhase.OPENED, AlertPhase.CLOSED]
    assert lock[0].severity is Severity.CRITICAL and "OPENED" in lock[0].message


def test_lock_cut_on_the_road_stays_open() -> None:
    _, events = drive(simulate(TRIP, Scenario(lock_changes=((2000.0, LockState.CUT),))))
    lock = [e for e in events if e.kind is AlertKind.LOCK_OPENED]
    assert [e.phase for e in lock] == [AlertPhase.OPENED]
    assert "CUT" in lock[0].message


def test_lock_opened_at_destination_is_fine() -> None:
    sc = Scenario(lock_changes=((4900.0, LockState.OPENED),), dwell_s=900.0)
    rows = simulate(TRIP, sc)
    mon, events = drive(rows)
    assert (mon.timeline.cols["lock"] == int(LockState.OPENED)).sum() > 10
    assert kinds(events) == [("OPENED", "ARRIVAL")]


def test_tamper_and_low_battery() -> None:
    sc = Scenario(
        tamper_between=(1000.0, 1100.0), battery_start_pct=23.0, battery_drain_pct_per_h=3.0
    )
    _, events = drive(simulate(TRIP, sc))
    assert ("OPENED", "TAMPER") in kinds(events) and ("CLOSED", "TAMPER") in kinds(events)
    battery = [e for e in events if e.kind is AlertKind.LOW_BATTERY]
    assert [e.phase for e in battery] == [AlertPhase.OPENED]
    assert battery[0].severity is Severity.LOW


def test_silence_found_by_sweeper_and_closed_when_pings_resume() -> None:
    rows = simulate(TRIP, Scenario(outages=((2000.0, 3000.0),)))
    _, events = drive(rows, window_s=1.0)
    lost = [e for e in events if e.kind is AlertKind.SIGNAL_LOST]
    assert [e.phase for e in lost] == [AlertPhase.OPENED, AlertPhase.CLOSED]
    # opened by the sweeper about signal_lost_s after the last ping, closed at reconnect
    assert 1995 + 300 <= lost[0].time - TRIP.start_time <= 1995 + 300 + 60 + 2
    assert 3000 <= lost[1].time - TRIP.start_time <= 3010
    assert lost[1].evidence_seqs


@pytest.mark.parametrize("window_s", [1.0, 30.0])
def test_late_buffered_batch_after_reconnect_raises_no_false_alerts(window_s: float) -> None:
    # outage while driving: the live ping comes first, the buffered ones after it
    rows = simulate(TRIP, Scenario(outages=((2000.0, 3000.0),), duplicate_seqs=(50, 180)))
    live_first = next(i for i, r in enumerate(rows) if r["device_time"] - TRIP.start_time >= 3000)
    assert rows[live_first + 1]["device_time"] < rows[live_first]["device_time"]
    mon, events = drive(rows, window_s=window_s)
    assert kinds(events) == [
        ("OPENED", "SIGNAL_LOST"),
        ("CLOSED", "SIGNAL_LOST"),
        ("OPENED", "ARRIVAL"),
    ]
    seq = mon.timeline.seq.tolist()
    assert seq == sorted(set(seq)) and len(seq) == len({r["seq"] for r in rows})


def test_late_pings_fill_a_gap_before_rules_judge_it() -> None:
    # a detour during the outage, buffered: found when the backlog lands (opened and closed
    # together), with the real evidence, once
    sc = Scenario(outages=((1500.0, 2600.0),), detours=(Detour(30_000, 36_000, 800.0),))
    _, events = drive(simulate(TRIP, sc), window_s=1.0)
    dev = [e for e in events if e.kind is AlertKind.CORRIDOR_DEVIATION]
    assert [e.phase for e in dev] == [AlertPhase.OPENED, AlertPhase.CLOSED]
    assert_each_episode_opened_once_closed_at_most_once(events)


def test_duplicates_are_ignored() -> None:
    rows = simulate(TRIP, Scenario(duplicate_seqs=(5, 6, 100)))
    mon = TripMonitor(TRIP)
    result = mon.ingest(PingBatch.from_dicts(rows[:20]))
    assert result.duplicate_seqs == (5, 6)
    again = mon.ingest(PingBatch.from_dicts(rows[:20]))
    assert again.accepted_seqs == () and len(again.duplicate_seqs) == 20 and again.events == ()
    assert len(mon.timeline) == 18


def test_out_of_order_within_and_across_batches() -> None:
    rows = simulate(TRIP)[:60]
    mon = TripMonitor(TRIP)
    mon.ingest(PingBatch.from_dicts(rows[:10]))
    assert mon.through_seq == 10
    now = rows[59]["server_time"]
    mon.ingest(PingBatch.from_dicts([{**r, "server_time": now} for r in rows[30:60][::-1]]))
    assert mon.through_seq == 10  # seqs 11..30 missing: the rest is held back
    result = mon.ingest(PingBatch.from_dicts(rows[10:30]))
    assert mon.timeline.seq.tolist() == list(range(1, 61))
    assert mon.through_seq == 60 and result.late_seqs == ()


def test_gap_is_waited_for_then_taken_as_lost() -> None:
    rows = [r for r in simulate(TRIP)[:80] if not 20 <= r["seq"] < 25]
    t_after_gap = rows[39]["server_time"]
    rows = [{**r, "server_time": t_after_gap} for r in rows[:40]]  # one upload
    mon = TripMonitor(TRIP)
    mon.ingest(PingBatch.from_dicts(rows))
    assert mon.through_seq == 19
    mon.sweep(t_after_gap + mon.config.gap_wait_s - 1)
    assert mon.through_seq == 19
    mon.sweep(t_after_gap + mon.config.gap_wait_s)
    assert mon.through_seq == rows[39]["seq"]
    late = mon.ingest(PingBatch.from_dicts([r for r in simulate(TRIP)[:80] if r["seq"] == 22]))
    assert late.late_seqs == (22,)


def test_clock_drift_flagged_on_live_pings_only() -> None:
    rows = simulate(TRIP)[:10]
    ahead = {**rows[3], "device_time": rows[3]["server_time"] + 600}
    behind = {**rows[9], "device_time": rows[9]["device_time"] - 900}
    mon = TripMonitor(TRIP)
    result = mon.ingest(PingBatch.from_dicts([*rows[:3], ahead, *rows[4:9], behind]))
    assert result.clock_drift_seqs == (4, 10)


def test_overdue_opened_by_sweeper_and_closed_on_arrival() -> None:
    trip = demo_trip(duration_allowed_s=3600.0)
    rows = simulate(trip)
    mon = TripMonitor(trip)
    _, events = drive(rows, monitor=mon)
    over = [e for e in events if e.kind is AlertKind.OVERDUE]
    assert [e.phase for e in over] == [AlertPhase.OPENED, AlertPhase.CLOSED]
    assert over[0].time > trip.deadline


def test_round_trip_mid_episode_resumes_without_re_raising() -> None:
    sc = Scenario(
        detours=(Detour(30_000, 36_000, 800.0),),
        outages=((3500.0, 3900.0),),
        lock_changes=((1000.0, LockState.OPENED), (1200.0, LockState.CLOSED)),
    )
    rows = simulate(TRIP, sc)
    _, reference = drive(rows)
    # stop mid-deviation: the deviation is open at the cut
    cut = next(i for i, r in enumerate(rows) if r["device_time"] - TRIP.start_time > 1900)
    first, events_a = drive(rows[:cut])
    assert AlertKind.CORRIDOR_DEVIATION in {r.kind for r in first.open_episodes()}
    doc = json.loads(json.dumps(first.to_document()))  # plain JSON types only
    restored = TripMonitor.from_document(doc)
    assert restored.to_document() == doc
    _, events_b = drive(rows[cut:], monitor=restored)
    # sweeps at the cut differ by at most the final sweep of part A; alerts are identical
    assert [e.to_document() for e in events_a + events_b] == [e.to_document() for e in reference]
    assert_each_episode_opened_once_closed_at_most_once(events_a + events_b)


def test_open_episode_disproved_by_late_pings_is_withdrawn_once() -> None:
    cfg = RuleConfig(deviation_debounce_s=250.0)
    rows = simulate(TRIP)[:40]
    # seqs 10..40 reported 800 m off the road (still off at the last fix), but 20..24 (delayed)
    # were on the road: 10..19 (135 s) and 25..40 (225 s) are each shorter than the debounce
    off = simulate(TRIP, Scenario(detours=(Detour(9 * 270 - 100, 45 * 270, 800.0),)))
    shifted = [
        o if 10 <= o["seq"] and not 20 <= o["seq"] <= 24 else r
        for r, o in zip(rows, off[:40], strict=True)
    ]
    assert [r["seq"] for r in rows] == [o["seq"] for o in off[:40]]
    first = [r for r in shifted if not 20 <= r["seq"] <= 24]
    now = first[-1]["server_time"]
    mon = TripMonitor(TRIP, cfg)
    assert mon.ingest(PingBatch.from_dicts([{**r, "server_time": now} for r in first])).events == ()
    opened = mon.sweep(now + cfg.gap_wait_s)  # the gap is given up: 10..40 judged as one run
    assert kinds(opened) == [("OPENED", "CORRIDOR_DEVIATION")]
    late = [{**r, "server_time": now + 200} for r in shifted if 20 <= r["seq"] <= 24]
    result = mon.ingest(PingBatch.from_dicts(late))
    assert result.late_seqs == (20, 21, 22, 23, 24)
    assert kinds(list(result.events)) == [("CLOSED", "CORRIDOR_DEVIATION")]
    assert "withdrawn" in result.events[0].message
    assert result.events[0].episode_id == opened[0].episode_id
    assert mon.ingest(PingBatch.from_dicts(late)).events == ()
    assert mon.sweep(now + 400) == []


def test_from_document_rejects_broken_documents() -> None:
    doc = TripMonitor(TRIP).to_document()
    del doc["records"]
    with pytest.raises(DomainValidationError) as info:
        TripMonitor.from_document(doc)
    assert info.value.field == "records"
    with pytest.raises(DomainValidationError) as info:
        TripMonitor.from_document({**doc, "version": 99})
    assert info.value.field == "version"


def test_shuffled_delivery_gives_the_same_alerts_as_ordered_delivery() -> None:
    sc = Scenario(
        detours=(Detour(30_000, 36_000, 800.0),),
        stops=(Stop(50_000, 1500.0, 10.0),),
        lock_changes=((1000.0, LockState.OPENED), (1200.0, LockState.CLOSED)),
    )
    rows = simulate(TRIP, sc)
    _, ordered = drive(rows)
    rng = random.Random(7)
    chunks = [rows[i : i + 10] for i in range(0, len(rows), 10)]
    shuffled: list[dict[str, Any]] = []
    for a in range(0, len(chunks), 2):
        pair = chunks[a : a + 2][::-1]  # the later upload overtakes the earlier one
        received = max(r["server_time"] for chunk in pair for r in chunk)
        for chunk in pair:
            mixed = [{**r, "server_time": received} for r in chunk]
            rng.shuffle(mixed)
            shuffled += mixed
    _, events = drive(shuffled, window_s=0.5)
    assert kinds(events) == kinds(ordered)
    # same episodes: same first evidence ping (an episode seen later carries more evidence)
    assert [e.evidence_seqs[:1] for e in events] == [e.evidence_seqs[:1] for e in ordered]
    assert [e.time for e in events if e.kind is not AlertKind.SIGNAL_LOST] == [
        e.time for e in ordered if e.kind is not AlertKind.SIGNAL_LOST
    ]
    assert_each_episode_opened_once_closed_at_most_once(events)


@pytest.mark.parametrize(
    "sc",
    [
        Scenario(
            detours=(Detour(30_000, 36_000, 800.0), Detour(60_000, 61_000, 400.0)),
            stops=(Stop(20_000, 1200.0, 10.0), Stop(REST_STOP_M, 1500.0, 40.0)),
            lock_changes=((1000.0, LockState.OPENED), (1100.0, LockState.CLOSED)),
            tamper_between=(3000.0, 3030.0),
            outages=((2500.0, 3100.0),),
            battery_start_pct=21.0,
            seed=11,
        ),
        Scenario(offset_m=150.0, noise_m=25.0, interval_s=5.0, seed=12),
        Scenario(speed_mps=9.0, interval_s=4.0, stops=(Stop(70_000, 2000.0),), seed=13),
    ],
)
def test_incremental_derivation_matches_full_re_derivation(sc: Scenario) -> None:
    rows = simulate(TRIP, sc)
    full = TripMonitor(TRIP)
    full.incremental = False
    _, expected = drive(rows, monitor=full, window_s=20.0)
    mon, events = drive(rows, window_s=20.0)
    assert [e.to_document() for e in events] == [e.to_document() for e in expected]
    # it did settle most of the trip, unless an episode stays open to the end (low battery)
    if sc.battery_start_pct > 30:
        assert mon.settled_seq > rows[len(rows) // 2]["seq"]
    else:
        assert mon.settled_seq > 1 and AlertKind.LOW_BATTERY in {
            r.kind for r in mon.open_episodes()
        }
