"""Ping ingestion: one committer per process merges the queued uploads of every stream into
one transaction (pings, trip states, alerts), and a sweeper runs the clock-driven rules.

Each device's supervision state (its trip monitor) is cached in memory and owned by this
process while it serves the device. The cache can be dropped at any time (after a lifecycle
change, a failed transaction); the set of *followed* seals cannot: the sweeper goes over every
followed seal, reloading the dropped ones, and stops following a seal only once it is no longer
supervised, so a silent seal is found whatever happened to its cache. Every write of the
monitor is conditioned on the attachment's
``version``, so a stale cache (another replica wrote) fails the transaction instead of
overwriting, the cache is dropped, reloaded from the database, and the group is retried once.
A failed transaction also drops the cache of every device it touched: memory never runs ahead
of what is durable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
from pymongo import AsyncMongoClient, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from services.platform.alerts import AlertDraft
from services.platform.errors import NotFound, Unavailable
from services.platform.mongo import utcnow
from services.platform.outbox import Outbox
from services.seal.alerting import draft, integrity_issues
from services.seal.convert import ping_documents
from services.seal.domain.alerts import AlertEvent, AlertKind, AlertPhase
from services.seal.domain.lifecycle import SealState, transition
from services.seal.domain.monitor import TripMonitor
from services.seal.domain.pings import PingBatch
from services.seal.domain.simulator import Scenario, Stop, batches, demo_trip, simulate
from services.seal.store import (
    ATTACHMENTS,
    INSTANCES,
    PINGS,
    SEALS,
    SUPERVISED,
    highest_seq,
    load_monitor,
    monitor_state,
)

log = logging.getLogger("customs.seal.ingest")


class StaleState(Exception):
    """An attachment changed under this process (its version moved)."""


#: Most groups committed back to back (each prepared while the one before is written) before the
#: committer lets a lifecycle change or the sweeper take the lock.
_RUN = 8

#: Most sequence numbers a device keeps in memory as known stored (older ones are looked up).
_KNOWN_MAX = 20_000


@dataclass
class Device:
    """What this process holds about one seal while it ingests its pings.

    ``known`` holds every stored sequence number from ``known_from`` up (the set is complete
    there), so that re-sent and late pings are told apart without asking the database; below
    ``known_from`` (what was stored before this process loaded the seal) the unique index is
    asked."""

    seal: str
    state: SealState
    attachment: dict[str, Any] | None  # the open attachment's document
    monitor: TripMonitor | None  # when supervised (IN_TRANSIT / ARRIVED)
    highest_seq: int
    known: set[int] = field(default_factory=set)
    known_from: int = 0

    def __post_init__(self) -> None:
        self.known_from = max(self.known_from, self.highest_seq + 1)

    def stored(self, seqs: set[int]) -> None:
        """``seqs`` are now durable; keeps the newest ``_KNOWN_MAX`` of what is known."""
        self.known |= seqs
        if len(self.known) > _KNOWN_MAX:
            floor = sorted(self.known)[len(self.known) - _KNOWN_MAX // 2]
            self.known = {s for s in self.known if s >= floor}
            self.known_from = floor


@dataclass(frozen=True, slots=True)
class Ack:
    """What a committed upload reports back to its stream."""

    highest_seq: int
    accepted: int
    duplicates: int
    clock_drift_seqs: tuple[int, ...]


@dataclass
class _Pending:
    seal: str
    batch: PingBatch
    future: asyncio.Future[Ack]


@dataclass
class _Prepared:
    """A group whose rules have run: its planned writes and the acks due once they commit."""

    group: list[_Pending] = field(default_factory=list)
    plan: _Plan = field(default_factory=lambda: _Plan())
    acks: list[tuple[_Pending, Ack]] = field(default_factory=list)
    size: int = 0  # pings


@dataclass
class _Plan:
    """Writes of one transaction."""

    pings: list[dict[str, Any]] = field(default_factory=list)
    attachment_updates: dict[str, dict[str, Any]] = field(default_factory=dict)
    seal_updates: list[UpdateOne] = field(default_factory=list)
    alerts: list[AlertDraft] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)
    inserted: dict[str, set[int]] = field(default_factory=dict)


class Ingestor:
    def __init__(
        self,
        mongo: AsyncMongoClient[dict[str, Any]],
        db: AsyncDatabase[dict[str, Any]],
        outbox: Outbox,
        max_pings: int,
        sweep_seconds: float,
        instance: str,
    ) -> None:
        self._mongo = mongo
        self._db = db
        self._outbox = outbox
        self._max = max_pings
        self._sweep_seconds = sweep_seconds
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._lock = asyncio.Lock()
        self._devices: dict[str, Device] = {}
        #: seals the sweeper goes over (supervised ones, cached or not)
        self._followed: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._instance = instance
        #: counters of the commit loop (DEBUG log every 10 commits, INFO totals at stop)
        self.stats: dict[str, float] = {
            "commits": 0,
            "pings": 0,
            "seconds": 0.0,
            "write_seconds": 0.0,
            "attachment_updates": 0,
        }
        self._session: AsyncClientSession | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Ends the transactions a crashed process left open, loads every supervised trip (so
        the sweeper sees silent ones), starts the committer and the sweeper."""
        await asyncio.to_thread(self.warm_up)
        await self._end_orphans()
        async for doc in self._db[ATTACHMENTS].find(
            {"closed": False, "state": {"$in": list(SUPERVISED)}}, {"seal": 1}
        ):
            async with self._lock:
                await self._device(doc["seal"])
        self._tasks = [
            asyncio.create_task(self._commit_loop(), name="seal-commit"),
            asyncio.create_task(self._sweep_loop(), name="seal-sweep"),
        ]

    @staticmethod
    def warm_up() -> None:
        """Loads (or compiles) the rule kernels before the service reports SERVING."""
        trip = demo_trip(trip_id="warm-up", device_id="warm-up", start_time=1.79e9)
        monitor = TripMonitor(trip)
        rows = simulate(trip, Scenario(stops=(Stop(1000.0, 1200.0),), dwell_s=0.0))
        for chunk in batches(rows[:120], 40):
            monitor.ingest(PingBatch.from_dicts(chunk))
        monitor.sweep(trip.start_time + 7200.0)

    async def _end_orphans(self) -> None:
        """A process killed inside a transaction leaves it open on the server, blocking the
        documents it wrote until the server's transaction lifetime (60 s) expires. Every
        transaction of this service runs on one session per process (they are serialised by
        the lock anyway), recorded in ``instances`` with a heartbeat: at start, the sessions of
        this instance's previous run and of instances silent for long are killed, which aborts
        their transactions at once (a live replica whose session is killed by mistake just
        retries its transaction)."""
        stale = utcnow() - timedelta(seconds=max(30.0, 3 * self._sweep_seconds))
        async for doc in self._db[INSTANCES].find(
            {"$or": [{"_id": self._instance}, {"heartbeat": {"$lt": stale}}]}
        ):
            for lsid in doc.get("sessions", []):
                with contextlib.suppress(PyMongoError):
                    await self._mongo.admin.command({"killSessions": [lsid]})
            if doc["_id"] != self._instance:
                await self._db[INSTANCES].delete_one(
                    {"_id": doc["_id"], "heartbeat": doc["heartbeat"]}
                )
        self._session = self._mongo.start_session()
        await self._db[INSTANCES].replace_one(
            {"_id": self._instance},
            {"_id": self._instance, "sessions": [self._session.session_id], "heartbeat": utcnow()},
            upsert=True,
        )

    async def transaction(self, work: Callable[[AsyncClientSession], Awaitable[None]]) -> None:
        """Runs ``work`` in a transaction on this process's session. Hold the lock
        (:meth:`exclusive`) around it."""
        assert self._lock.locked(), "transactions of the seal service run under the lock"
        if self._session is None:
            self._session = self._mongo.start_session()
        await self._session.with_transaction(work)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        log.info("ping commit totals", extra=self._rounded_stats())
        if self._session is not None:
            await self._session.end_session()
            self._session = None
        while not self._queue.empty():
            self._queue.get_nowait().future.set_exception(Unavailable("shutting down"))

    @contextlib.asynccontextmanager
    async def exclusive(self, seal: str) -> AsyncIterator[None]:
        """Runs a lifecycle change of ``seal`` alone. Whatever its outcome (done, refused,
        failed), the cached state is dropped and the seal stays followed: the next sweep or
        ping reloads it from the database, and the sweeper lets it go once it is no longer
        supervised."""
        async with self._lock:
            try:
                yield
            finally:
                self._devices.pop(seal, None)
                self._followed.add(seal)

    # ------------------------------------------------------------------ ingestion
    def submit(self, seal: str, batch: PingBatch) -> asyncio.Future[Ack]:
        """Queues an upload; the future resolves once its pings are durable."""
        future: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(seal, batch, future))
        return future

    async def _commit_loop(self) -> None:
        while True:
            group = self._take(await self._queue.get())
            async with self._lock:
                await self._commit_run(group)

    def _take(self, first: _Pending) -> list[_Pending]:
        """``first`` and what else is queued, up to the most pings of one transaction."""
        group = [first]
        size = len(first.batch)
        while size < self._max and not self._queue.empty():
            item = self._queue.get_nowait()
            group.append(item)
            size += len(item.batch)
        return group

    async def _commit_run(self, group: list[_Pending]) -> None:
        """Commits ``group``, and while its transaction is written takes and prepares the uploads
        that arrive meanwhile as the next group; so on, at most ``_RUN`` groups in one hold of
        the lock. A failed write discards the group prepared behind it (its devices are dropped
        with the failed ones) and both are committed again one after the other, alone."""
        started = time.perf_counter()
        current = _Prepared()
        try:
            for item in group:
                await self._add(current, item, None)
        except Exception as exc:
            self._drop(current.plan)
            self._fail(group, exc)
            return
        for turn in range(_RUN):
            write = asyncio.ensure_future(self._write(current.plan))
            upcoming = _Prepared()
            failure: Exception | None = None  # of the preparation of ``upcoming``
            try:
                if turn + 1 < _RUN:
                    failure = await self._take_while(write, upcoming, current.plan.inserted)
                await write
            except asyncio.CancelledError:  # stopping: the transaction is abandoned (aborted)
                write.cancel()
                raise
            except Exception as exc:
                self._drop(current.plan)
                self._drop(upcoming.plan)
                if isinstance(exc, StaleState | _Retryable):
                    log.warning("retrying a ping commit after %s", type(exc).__name__)
                    await self._commit_alone(current.group, attempts=1)
                else:
                    self._fail(current.group, exc)
                if upcoming.group:
                    await self._commit_alone(upcoming.group, attempts=2)
                return
            finally:
                self._account(current.size, time.perf_counter() - started)
                started = time.perf_counter()
            self._settle(current)
            if not upcoming.group:
                return
            if failure is not None:
                self._drop(upcoming.plan)
                await self._commit_alone(upcoming.group, attempts=2)
                return
            current = upcoming

    async def _take_while(
        self, write: asyncio.Future[None], upcoming: _Prepared, in_flight: dict[str, set[int]]
    ) -> Exception | None:
        """Takes the uploads queued or arriving while ``write`` runs (up to the most pings of one
        transaction) into ``upcoming`` and prepares them; returns the first preparation error
        (the rest are then only taken)."""
        failure: Exception | None = None
        while not write.done() and upcoming.size < self._max:
            get = asyncio.ensure_future(self._queue.get())
            either: set[asyncio.Future[Any]] = {write, get}
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            if not get.done():
                get.cancel()  # an item the cancelled get was woken for stays queued
                with contextlib.suppress(asyncio.CancelledError):
                    await get
            if get.cancelled():
                break
            item = get.result()
            if failure is not None:  # only taken: committed alone after the write
                upcoming.group.append(item)
                upcoming.size += len(item.batch)
                continue
            try:
                await self._add(upcoming, item, in_flight)  # the item joins the group anyway
            except Exception as exc:
                failure = exc
        return failure

    async def _commit_alone(self, group: list[_Pending], attempts: int) -> None:
        """Prepares and writes ``group`` with nothing in flight, trying again once after a
        stale cache or a transient failure when ``attempts`` is 2."""
        for attempt in range(1, attempts + 1):
            started = time.perf_counter()
            prepared = _Prepared()
            try:
                for item in group:
                    await self._add(prepared, item, None)
                await self._write(prepared.plan)
            except Exception as exc:
                self._drop(prepared.plan)
                if attempt == attempts or not isinstance(exc, StaleState | _Retryable):
                    self._fail(group, exc)
                    return
                log.warning("retrying a ping commit after %s", type(exc).__name__)
                continue
            self._account(prepared.size, time.perf_counter() - started)
            self._settle(prepared)
            return

    async def _add(
        self, prepared: _Prepared, item: _Pending, in_flight: dict[str, set[int]] | None
    ) -> None:
        """Runs the rules over ``item`` into ``prepared``'s plan; ``in_flight`` holds the
        sequence numbers of the transaction being written meanwhile (stored, if it commits).
        The item belongs to ``prepared`` whatever the outcome; a device that is not there
        answers its stream at once."""
        prepared.group.append(item)
        prepared.size += len(item.batch)
        if item.future.done():
            return
        try:
            device = await self._device(item.seal)
        except NotFound as exc:
            item.future.set_exception(exc)
            return
        seen = None if in_flight is None else in_flight.get(item.seal)
        ack = await self._ingest(device, item.batch, prepared.plan, seen)
        prepared.acks.append((item, ack))

    def _settle(self, prepared: _Prepared) -> None:
        """``prepared`` is durable: what it stored becomes known, its streams get their acks."""
        for seal, seqs in prepared.plan.inserted.items():
            if (held := self._devices.get(seal)) is not None:
                held.stored(seqs)
        if prepared.plan.alerts:
            self._outbox.notify()
        for item, ack in prepared.acks:
            if not item.future.done():  # a stream that went away cancelled its future
                item.future.set_result(ack)

    def _drop(self, plan: _Plan) -> None:
        """Forgets the cached state of the devices ``plan`` changed in memory."""
        for seal in plan.touched:
            self._devices.pop(seal, None)

    @staticmethod
    def _fail(group: list[_Pending], exc: BaseException) -> None:
        """Tells every stream still waiting on ``group`` that its pings were not stored."""
        log.error("ping commit failed", exc_info=exc)
        for item in group:
            if not item.future.done():
                item.future.set_exception(Unavailable(f"pings not stored, send again: {exc}"))

    def _account(self, pings: int, seconds: float) -> None:
        stats = self.stats
        stats["commits"] += 1
        stats["pings"] += pings
        stats["seconds"] += seconds
        if stats["commits"] % 10 == 0:
            log.debug("ping commits", extra=self._rounded_stats())

    def _rounded_stats(self) -> dict[str, float]:
        return {k: round(v, 3) for k, v in self.stats.items()}

    async def _ingest(
        self, device: Device, batch: PingBatch, plan: _Plan, in_flight: set[int] | None = None
    ) -> Ack:
        plan.touched.add(device.seal)
        seq = batch.columns["seq"]
        total = int(seq.shape[0])
        _, first = np.unique(seq, return_index=True)
        keep = np.zeros(total, dtype=np.bool_)
        keep[first] = True
        if int(seq.min()) <= device.highest_seq:  # maybe re-sent, maybe late
            known = device.known | plan.inserted.get(device.seal, set()) | (in_flight or set())
            older = seq[keep & (seq < device.known_from)].tolist()
            if older:  # stored before this process loaded the seal: ask the unique index
                known |= set(
                    await self._db[PINGS].distinct(
                        "seq", {"device": device.seal, "seq": {"$in": older}}
                    )
                )
            keep &= ~np.isin(seq, np.fromiter(known, np.int64, len(known)))
        if not keep.all():
            batch = PingBatch({name: col[keep] for name, col in batch.columns.items()})
            seq = batch.columns["seq"]
        events: list[AlertEvent] = []
        drift: tuple[int, ...] = ()
        attachment_name = ""
        fresh = np.ones(seq.shape[0], dtype=np.bool_)
        if device.monitor is not None and device.attachment is not None and len(batch):
            attachment_name = device.attachment["name"]
            result = device.monitor.ingest(batch)
            fresh = np.isin(seq, np.asarray(result.accepted_seqs, dtype=np.int64))
            events = list(result.events)
            drift = result.clock_drift_seqs
        accepted = int(fresh.sum())
        if accepted:
            plan.pings += ping_documents(device.seal, attachment_name, batch, fresh, set(drift))
            plan.inserted.setdefault(device.seal, set()).update(seq[fresh].tolist())
            device.highest_seq = max(device.highest_seq, int(seq[fresh].max()))
        if events:
            # the monitor's other state is not written per batch: what it needs after a
            # restart is rebuilt from the stored pings (see store.load_monitor)
            self._apply(device, events, plan)
        return Ack(device.highest_seq, accepted, total - accepted, drift)

    def _apply(self, device: Device, events: list[AlertEvent], plan: _Plan) -> None:
        """Plans the attachment update, state change and alerts that ``events`` call for."""
        attachment = device.attachment
        monitor = device.monitor
        assert attachment is not None and monitor is not None
        name = attachment["name"]
        update = plan.attachment_updates.setdefault(name, {"set": {}, "device": device})
        now = utcnow()
        for event in events:
            plan.alerts.append(draft(event, attachment))
            arrival = event.kind is AlertKind.ARRIVAL and event.phase is AlertPhase.OPENED
            if arrival and device.state is SealState.IN_TRANSIT:
                device.state = transition(device.seal, device.state, SealState.ARRIVED)
                update["set"]["state"] = device.state.value
                update["set"]["arrive_time"] = now
                plan.seal_updates.append(
                    UpdateOne(
                        {"name": device.seal},
                        {"$set": {"state": device.state.value, "update_time": now}},
                    )
                )
        open_ids = [r.episode_id for r in monitor.open_episodes()]
        open_ids += attachment.get("removal_episodes", [])
        extra = [f"seal reported faulty: {attachment['fault']}"] if attachment.get("fault") else []
        issues = integrity_issues(monitor.records, attachment.get("removal_issues", []))
        issues += extra
        update["set"].update(
            {
                "monitor": monitor_state(monitor),
                "open_episodes": open_ids,
                "integrity_issues": issues,
                "intact": not issues,
            }
        )

    async def _write(self, plan: _Plan) -> None:
        if not plan.pings and not plan.attachment_updates and not plan.alerts:
            return
        # the version the cache holds now: a plan prepared while the transaction before it was
        # written sees that transaction's version once it has committed
        versions = {
            name: u["device"].attachment["version"] for name, u in plan.attachment_updates.items()
        }
        updates = [
            UpdateOne(
                {"name": name, "version": versions[name]},
                {"$set": u["set"], "$inc": {"version": 1}},
            )
            for name, u in plan.attachment_updates.items()
        ]

        async def work(session: AsyncClientSession) -> None:
            if plan.pings:
                await self._db[PINGS].insert_many(plan.pings, ordered=True, session=session)
            if updates:
                result = await self._db[ATTACHMENTS].bulk_write(
                    updates, ordered=False, session=session
                )
                if result.matched_count != len(updates):
                    raise StaleState()
            if plan.seal_updates:
                await self._db[SEALS].bulk_write(plan.seal_updates, session=session)
            await self._outbox.publish_all(session, plan.alerts)

        started = time.perf_counter()
        try:
            await self.transaction(work)
        except StaleState:
            raise
        except Exception as exc:
            raise _Retryable(str(exc)) from exc
        finally:
            self.stats["write_seconds"] += time.perf_counter() - started
            self.stats["attachment_updates"] += len(updates)
        for name, u in plan.attachment_updates.items():
            cached: Device = u["device"]
            if cached.attachment is not None:
                cached.attachment["version"] = versions[name] + 1
                cached.attachment.update(u["set"])

    # ------------------------------------------------------------------ device cache
    async def _device(self, seal: str) -> Device:
        cached = self._devices.get(seal)
        if cached is not None:
            return cached
        doc = await self._db[SEALS].find_one({"name": seal})
        if doc is None:
            raise NotFound(f"seal {seal} not found", "NOT_FOUND", {"name": seal})
        state = SealState(doc["state"])
        attachment = None
        monitor = None
        if doc.get("attachment"):
            attachment = await self._db[ATTACHMENTS].find_one({"name": doc["attachment"]})
            if attachment is not None and attachment.get("monitor") is not None:
                monitor = await load_monitor(self._db, attachment)
        device = Device(seal, state, attachment, monitor, await highest_seq(self._db, seal))
        self._devices[seal] = device
        if _supervised(device):
            self._followed.add(seal)
        return device

    # ------------------------------------------------------------------ sweeper
    async def sweep(self, now: float | None = None) -> int:
        """Runs the clock-driven rules of every supervised trip; returns the events written."""
        now = time.time() if now is None else now
        async with self._lock:
            plan = _Plan()
            for seal in sorted(self._followed):
                try:
                    device = await self._device(seal)
                except NotFound:
                    device = None
                if device is None or not _supervised(device):
                    self._followed.discard(seal)
                    continue
                assert device.monitor is not None
                before = monitor_state(device.monitor)
                events = device.monitor.sweep(now)
                if events or monitor_state(device.monitor) != before:
                    plan.touched.add(device.seal)
                    self._apply(device, events, plan)
            try:
                await self._write(plan)
            except Exception:
                for seal in plan.touched:
                    self._devices.pop(seal, None)
                raise
            if plan.alerts:
                self._outbox.notify()
            return len(plan.alerts)

    async def _sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(self._sweep_seconds)
            try:
                await self.sweep()
                await self._db[INSTANCES].update_one(
                    {"_id": self._instance}, {"$set": {"heartbeat": utcnow()}}
                )
            except Exception:
                log.exception("sweep failed; next one in %.1f s", self._sweep_seconds)


def _supervised(device: Device) -> bool:
    """Whether the sweeper must watch ``device``: an armed trip not yet closed."""
    return (
        device.state in SUPERVISED and device.monitor is not None and device.attachment is not None
    )


class _Retryable(Exception):
    """A transaction failed (duplicate key from another writer, transient error)."""
