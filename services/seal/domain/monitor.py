"""Per-trip monitor: orders pings, runs the rules and turns episodes into OPENED/CLOSED events.

How late and out-of-order pings are handled without false alerts
----------------------------------------------------------------
* Pings are kept sorted by device sequence number (:mod:`.timeline`); duplicates are dropped.
* Rules run only over the *evaluated prefix*: the pings up to the first gap in sequence numbers.
  A gap means pings exist that we have not seen yet (typically buffered on the device during a
  coverage hole and replayed after reconnect, possibly after a newer live ping). Judging the
  pings beyond the gap now could invent a deviation or a stop that the missing pings would
  disprove, so they wait. A gap is waited for at most ``gap_wait_s`` of server time (counted
  from the reception of the ping after it); then the missing pings are taken as lost and the
  prefix moves on. The prefix never shrinks: a gap below the evaluated frontier is ignored.
* The rules are pure functions of the prefix (:mod:`.rules`) and are re-run when it grows or
  when a late ping lands inside it, so a late ping is simply placed where it belongs.
* Episodes already announced are kept as records (kind, id, start and end device time). The
  re-derived episodes are matched to them by time overlap: a matched one emits nothing new
  (or CLOSED when it has ended); an unmatched one is new (OPENED, plus CLOSED if the late data
  shows it already ended); an open record no longer supported by the data is CLOSED with a
  "withdrawn" message. So each episode is OPENED once and CLOSED once, whatever the arrival order.
* SIGNAL_LOST is about reception, so it is decided on server time by :meth:`TripMonitor.sweep`
  (pings cannot report their own absence) and closed by the first ping received after it; a
  replayed backlog closes it once and cannot open anything by itself. OVERDUE is opened on
  server time past the deadline without arrival, and closed on arrival.
* Clock drift is flagged per ping (see :meth:`.timeline.Timeline._drift`) and reported in the
  ingest result; durations in the rules use device time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from services.seal.domain.alerts import SEVERITY, AlertEvent, AlertKind, AlertPhase
from services.seal.domain.config import RuleConfig
from services.seal.domain.errors import DomainValidationError
from services.seal.domain.geometry import LatLon
from services.seal.domain.pings import PingBatch
from services.seal.domain.rules import DERIVED_KINDS, DerivedEpisode, derive_episodes, describe
from services.seal.domain.timeline import Timeline, TripGeometry
from services.seal.domain.trip import Trip

DOCUMENT_VERSION = 1


@dataclass(frozen=True, slots=True)
class EpisodeRecord:
    """An announced episode. ``end_time`` is None while it is open."""

    kind: AlertKind
    episode_id: str
    start_time: float
    end_time: float | None

    def to_document(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "episode_id": self.episode_id,
            "start_time": self.start_time,
            "end_time": self.end_time,
        }

    @staticmethod
    def from_document(doc: dict[str, Any]) -> EpisodeRecord:
        end = doc.get("end_time")
        return EpisodeRecord(
            AlertKind(doc["kind"]),
            str(doc["episode_id"]),
            float(doc["start_time"]),
            None if end is None else float(end),
        )


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one batch did: alert events to persist, and the bookkeeping of its pings."""

    events: tuple[AlertEvent, ...]
    accepted_seqs: tuple[int, ...]
    duplicate_seqs: tuple[int, ...]
    late_seqs: tuple[int, ...]
    clock_drift_seqs: tuple[int, ...]


class TripMonitor:
    """Mutable state of one trip's supervision. Not thread-safe: one owner per trip."""

    def __init__(self, trip: Trip, config: RuleConfig | None = None) -> None:
        self.trip = trip
        self.config = config or RuleConfig()
        self.timeline = Timeline(TripGeometry.build(trip))
        self.records: list[EpisodeRecord] = []
        self.through_seq = -1  # highest seq of the evaluated prefix
        self.last_reception: float | None = None  # max server time received
        self.episode_counter = 0
        self._evaluated = 0
        #: derivation restarts at this seq (rules are re-run only over the unsettled tail)
        self.settled_seq = -1
        #: False re-derives from the first fix every time (tests compare both)
        self.incremental = True

    # ----------------------------------------------------------------- public API
    @property
    def arrived(self) -> bool:
        return any(r.kind is AlertKind.ARRIVAL for r in self.records)

    def open_episodes(self) -> list[EpisodeRecord]:
        return [r for r in self.records if r.end_time is None]

    def ingest(self, batch: PingBatch) -> IngestResult:
        """Take a batch of pings of this trip's device (any order, duplicates allowed)."""
        if len(batch) == 0:
            return IngestResult((), (), (), (), ())
        accepted, dups, drifted = self.timeline.merge(batch, self.config.clock_drift_s)
        events: list[AlertEvent] = []
        late = accepted[accepted <= self.through_seq]
        if accepted.shape[0]:
            srv = batch.columns["server_time"]
            received = float(np.max(srv))
            i = int(np.argmin(srv))
            first = (int(batch.columns["seq"][i]),)
            events += self._close_kind(AlertKind.SIGNAL_LOST, float(srv[i]), first, "pings resumed")
            if self.last_reception is None or received > self.last_reception:
                self.last_reception = received
            events += self._evaluate(received, force=late.shape[0] > 0)
            events += self._overdue(received)
        return IngestResult(
            tuple(events),
            tuple(accepted.tolist()),
            tuple(dups.tolist()),
            tuple(late.tolist()),
            tuple(drifted.tolist()),
        )

    def sweep(self, now: float) -> list[AlertEvent]:
        """Clock-driven checks at server time ``now``: silence, gap expiry, overdue."""
        if not math.isfinite(now):
            raise DomainValidationError("now", "must be a finite time")
        events: list[AlertEvent] = []
        last = self.last_reception if self.last_reception is not None else self.trip.start_time
        silent = now - last >= self.config.signal_lost_s
        if silent and not self._is_open(AlertKind.SIGNAL_LOST):
            pos, seqs = self._last_known()
            events.append(
                self._open(
                    AlertKind.SIGNAL_LOST,
                    now,
                    seqs,
                    f"no ping received for {now - last:.0f} s",
                    pos,
                )
            )
        events += self._evaluate(now, force=False)
        events += self._overdue(now)
        return events

    # ----------------------------------------------------------------- evaluation
    def _frontier(self, now: float) -> int:
        seq = self.timeline.seq
        srv = self.timeline.cols["server_time"]
        # gaps below the evaluated frontier no longer matter: look from there on
        base = max(int(np.searchsorted(seq, self.through_seq, side="left")), 0)
        gaps = np.nonzero(np.diff(seq[base:]) > 1)[0] + base + 1
        for g in gaps.tolist():
            if seq[g] <= self.through_seq:
                continue
            if now - srv[g] >= self.config.gap_wait_s:
                continue  # waited long enough: the missing pings are lost
            return int(g)
        return len(self.timeline)

    def _evaluate(self, now: float, force: bool) -> list[AlertEvent]:
        k = self._frontier(now)
        if k == self._evaluated and not force:
            return []
        self._evaluated = k
        if k == 0:
            return []
        seq = self.timeline.seq
        self.through_seq = max(self.through_seq, int(seq[k - 1]))
        # restart from the settled point, or from the beginning when a late ping landed
        a = 0
        if self.incremental and not force and self.settled_seq >= 0:
            a = min(int(np.searchsorted(seq, self.settled_seq, side="left")), k - 1)
        cols = {name: arr[a:k] for name, arr in self.timeline.cols.items()}
        derivation = derive_episodes(cols, self.trip.route.half_width_m, self.config)
        events = self._reconcile(cols, derivation.reported)
        settle = derivation.settle_point(cols["device_time"], self.config.stop_min_s)
        self.settled_seq = int(seq[a + min(settle, k - a - 1)])
        return events

    def _reconcile(self, cols: dict[str, Any], derived: list[DerivedEpisode]) -> list[AlertEvent]:
        t = cols["device_time"]
        seq = cols["seq"]
        events: list[AlertEvent] = []
        used: set[str] = set()
        half = self.trip.route.half_width_m
        cap = self.config.max_evidence
        for ep in derived:
            t0, t1 = float(t[ep.start]), float(t[ep.end])
            match = None
            for i in range(len(self.records) - 1, -1, -1):
                r = self.records[i]
                if r.kind is not ep.kind or r.episode_id in used:
                    continue
                r_end = math.inf if r.end_time is None else r.end_time
                if t0 <= r_end and r.start_time <= t1:
                    match = i
                    break
            if match is None:
                evidence = tuple(seq[ep.start : min(ep.end + 1, ep.start + cap)].tolist())
                opened = self._open(
                    ep.kind,
                    t0,
                    evidence,
                    describe(ep.kind, cols, ep, half),
                    self._pos(cols, ep.start),
                )
                events.append(opened)
                used.add(opened.episode_id)
                match = len(self.records) - 1
            rec = self.records[match]
            used.add(rec.episode_id)
            if rec.end_time is None and not ep.open:
                events.append(
                    self._close(match, t1, (int(seq[ep.end]),), "ended", self._pos(cols, ep.end))
                )
        t_last = float(t[-1])
        for i, rec in enumerate(self.records):
            if rec.kind in DERIVED_KINDS and rec.end_time is None and rec.episode_id not in used:
                msg = "withdrawn: late pings show no such episode"
                events.append(self._close(i, t_last, (), msg, None))
        return events

    def _overdue(self, now: float) -> list[AlertEvent]:
        if self.arrived:
            return self._close_kind(AlertKind.OVERDUE, now, (), "arrived")
        if now > self.trip.deadline and not any(r.kind is AlertKind.OVERDUE for r in self.records):
            pos, seqs = self._last_known()
            late_s = now - self.trip.deadline
            return [
                self._open(
                    AlertKind.OVERDUE, now, seqs, f"not arrived, {late_s:.0f} s past deadline", pos
                )
            ]
        return []

    # ----------------------------------------------------------------- events
    def _open(
        self, kind: AlertKind, time: float, seqs: tuple[int, ...], message: str, pos: LatLon | None
    ) -> AlertEvent:
        self.episode_counter += 1
        eid = f"{self.trip.trip_id}/{kind.value}/{self.episode_counter}"
        self.records.append(EpisodeRecord(kind, eid, time, None))
        return AlertEvent(AlertPhase.OPENED, kind, SEVERITY[kind], eid, seqs, message, pos, time)

    def _close(
        self, index: int, time: float, seqs: tuple[int, ...], message: str, pos: LatLon | None
    ) -> AlertEvent:
        rec = self.records[index]
        self.records[index] = replace(rec, end_time=max(time, rec.start_time))
        return AlertEvent(
            AlertPhase.CLOSED,
            rec.kind,
            SEVERITY[rec.kind],
            rec.episode_id,
            seqs,
            message,
            pos,
            time,
        )

    def _close_kind(
        self, kind: AlertKind, time: float, seqs: tuple[int, ...], message: str
    ) -> list[AlertEvent]:
        return [
            self._close(i, time, seqs, message, None)
            for i, r in enumerate(self.records)
            if r.kind is kind and r.end_time is None
        ]

    def _is_open(self, kind: AlertKind) -> bool:
        return any(r.kind is kind and r.end_time is None for r in self.records)

    def _pos(self, cols: dict[str, Any], i: int) -> LatLon:
        return LatLon(float(cols["lat"][i]), float(cols["lon"][i]))

    def _last_known(self) -> tuple[LatLon | None, tuple[int, ...]]:
        if not len(self.timeline):
            return None, ()
        return self._pos(self.timeline.cols, -1), (int(self.timeline.seq[-1]),)

    # ----------------------------------------------------------------- persistence
    def to_document(self) -> dict[str, Any]:
        """Plain dict (BSON/JSON friendly) with everything needed to resume after a restart."""
        return {
            "version": DOCUMENT_VERSION,
            "trip": self.trip.to_document(),
            "config": self.config.to_document(),
            "pings": self.timeline.to_document(),
            "records": [r.to_document() for r in self.records],
            "through_seq": self.through_seq,
            "last_reception": self.last_reception,
            "episode_counter": self.episode_counter,
            "settled_seq": self.settled_seq,
        }

    @staticmethod
    def from_document(doc: dict[str, Any]) -> TripMonitor:
        if doc.get("version") != DOCUMENT_VERSION:
            raise DomainValidationError(
                "version", f"unsupported document version {doc.get('version')!r}"
            )
        try:
            mon = TripMonitor(
                Trip.from_document(doc["trip"]), RuleConfig.from_document(doc["config"])
            )
            mon.timeline = Timeline.from_document(mon.timeline.geometry, doc["pings"])
            mon.records = [EpisodeRecord.from_document(r) for r in doc["records"]]
            mon.through_seq = int(doc["through_seq"])
            last = doc.get("last_reception")
            mon.last_reception = None if last is None else float(last)
            mon.episode_counter = int(doc["episode_counter"])
            mon.settled_seq = int(doc.get("settled_seq", -1))
        except (KeyError, TypeError) as exc:
            raise DomainValidationError(str(exc.args[0]), "missing or malformed") from None
        mon._evaluated = int(np.searchsorted(mon.timeline.seq, mon.through_seq, side="right"))
        return mon
