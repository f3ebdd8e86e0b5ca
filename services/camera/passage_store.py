"""Storage of lane events, passages, barrier commands and empty weighings (MongoDB).

A lane's open passage is a stored document (state ASSEMBLING) with its events stored beside
it, so assembly survives a restart: each new event is joined in one transaction that reads the
open passage's events back and rebuilds it. The transaction first bumps a counter on the lane
document, so two events of one lane never join concurrently (the second one retries).
Events are idempotent by name (lane + device event id).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.camera.domain.passages import AssemblyConfig, Passage, build_passage, fits_passage
from services.camera.events import RECOGNITION, container_doc, event_value, lane_value, plate_doc
from services.platform import iso6346
from services.platform.alerts import AlertDraft
from services.platform.errors import InvalidArgument, NotFound
from services.platform.mongo import Document, in_transaction, utcnow
from services.platform.outbox import Outbox
from services.platform.paging import Page, next_token
from services.platform.resources import name_indexes

ASSEMBLING = "ASSEMBLING"
CLOSED = "CLOSED"
PROCESSED = "PROCESSED"

INDEXES = {
    "lanes": name_indexes(IndexModel([("gate", 1), ("name", 1)])),
    "gates": name_indexes(IndexModel([("site", 1), ("name", 1)])),
    "cameras": name_indexes(IndexModel([("site", 1), ("name", 1)])),
    "events": name_indexes(IndexModel([("passage", 1), ("time", 1)])),
    "passages": name_indexes(
        IndexModel([("lane", 1), ("state", 1)]),
        IndexModel([("state", 1), ("open_time", 1)]),
        IndexModel([("start_time", -1), ("name", -1)]),
        IndexModel([("site", 1), ("start_time", -1), ("name", -1)]),
        IndexModel([("lane", 1), ("start_time", -1), ("name", -1)]),
        IndexModel([("container_keys", 1), ("start_time", -1), ("name", -1)]),
        IndexModel([("plate_key", 1), ("start_time", -1), ("name", -1)]),
    ),
    "barrier_commands": name_indexes(IndexModel([("lane", 1), ("name", 1)])),
    "watchlist": name_indexes(IndexModel([("kind", 1), ("name", 1)])),
}


def _page_after(after: str) -> tuple[datetime, str]:
    """The (start time, name) a passage page token resumes after."""
    try:
        at, name = after.split("|", 1)
        start = datetime.fromisoformat(at)
    except ValueError as exc:
        raise InvalidArgument.one("page_token", "is not a token this service issued") from exc
    if start.tzinfo is None:
        raise InvalidArgument.one("page_token", "is not a token this service issued")
    return start, name


def passage_id(start: datetime) -> str:
    """Identifier of a new passage: its start time, then a random suffix."""
    return f"{start:%Y%m%dT%H%M%S}{start.microsecond // 1000:03d}-{uuid.uuid4().hex[:6]}"


def summary(passage: Passage, members: Sequence[Document]) -> Document:
    """The passage fields derived from its events (stored for queries and display)."""
    ordered = sorted(members, key=lambda d: (d["time"], d["name"]))
    plate = passage.plate
    reads = passage.containers
    keys = {r.number for r in reads if r.number} | {iso6346.normalise(r.raw_text) for r in reads}
    recognitions = [d for d in ordered if d["kind"] == RECOGNITION]
    declarations = [d["declaration"] for d in recognitions if d.get("declaration")]
    return {
        "start_time": passage.started_at,
        "end_time": passage.ended_at,
        "plate": plate_doc(plate) if plate else None,
        "plate_key": plate.plate.key if plate else None,
        "containers": [container_doc(r) for r in reads],
        "container_keys": sorted(keys),
        "seal": passage.seal.value,
        "gross_kg": passage.gross_kg,
        "recognition_events": [d["name"] for d in recognitions],
        "scale_readings": [d["name"] for d in ordered if d["kind"] != RECOGNITION],
        "snapshot_keys": [d["snapshot"]["key"] for d in recognitions if d.get("snapshot")],
        "declaration": declarations[-1] if declarations else None,
    }


class PassageStore:
    def __init__(
        self, mongo: AsyncMongoClient[Document], db: AsyncDatabase[Document], outbox: Outbox
    ) -> None:
        self._mongo = mongo
        self._outbox = outbox
        self.lanes = db["lanes"]
        self.events = db["events"]
        self.passages = db["passages"]
        self.commands = db["barrier_commands"]
        self.empty_weighings = db["empty_weighings"]

    async def lane(self, name: str) -> Document:
        doc = await self.lanes.find_one({"name": name})
        if doc is None:
            raise NotFound(f"lane {name} not found", "NOT_FOUND", {"name": name})
        return doc

    async def event(self, name: str) -> Document | None:
        return await self.events.find_one({"name": name})

    async def passage(self, name: str) -> Document:
        doc = await self.passages.find_one({"name": name})
        if doc is None:
            raise NotFound(f"passage {name} not found", "NOT_FOUND", {"name": name})
        return doc

    async def members(self, passage: str) -> list[Document]:
        return await self.events.find({"passage": passage}).sort("time", 1).to_list()

    async def record(
        self, lane_doc: Document, event: Document, config: AssemblyConfig
    ) -> tuple[Document, Document, str | None]:
        """Stores ``event`` and joins it to the lane's open passage, or closes that one and
        opens a new one. Returns the stored event, its passage and the name of the passage it
        closed, if any. Raises DuplicateKeyError when the event is already stored."""
        lane = lane_value(lane_doc)
        new = event_value(event)

        async def work(session: AsyncClientSession) -> tuple[Document, Document, str | None]:
            now = utcnow()
            await self.lanes.update_one(
                {"name": lane.lane_id}, {"$inc": {"event_count": 1}}, session=session
            )
            closed: str | None = None
            current = await self.passages.find_one(
                {"lane": lane.lane_id, "state": ASSEMBLING}, session=session
            )
            members: list[Document] = []
            if current is not None:
                members = await self.events.find(
                    {"passage": current["name"]}, session=session
                ).to_list()
                passage = build_passage(lane, [event_value(d) for d in members])
                if not fits_passage(passage, new, config):
                    await self.passages.update_one(
                        {"name": current["name"], "state": ASSEMBLING},
                        {"$set": {"state": CLOSED, "close_time": now}},
                        session=session,
                    )
                    closed, current, members = current["name"], None, []
            name = (
                current["name"]
                if current is not None
                else f"{lane.lane_id}/passages/{passage_id(new.observed_at)}"
            )
            stored = {**event, "passage": name}
            await self.events.insert_one(stored, session=session)
            members.append(stored)
            fields = summary(build_passage(lane, [event_value(d) for d in members]), members)
            if current is None:
                current = {
                    "name": name,
                    "lane": lane.lane_id,
                    "site": lane_doc["site"],
                    "gate": lane_doc["gate"],
                    "direction": lane_doc["direction"],
                    "state": ASSEMBLING,
                    "open_time": now,
                    "close_time": None,
                    "weight": None,
                    "decision": None,
                    "override": None,
                    **fields,
                }
                await self.passages.insert_one(current, session=session)
            else:
                await self.passages.update_one({"name": name}, {"$set": fields}, session=session)
                current = {**current, **fields}
            return stored, current, closed

        return await in_transaction(self._mongo, work)

    async def close(self, name: str) -> None:
        """ASSEMBLING -> CLOSED (no-op in any other state)."""
        await self.passages.update_one(
            {"name": name, "state": ASSEMBLING},
            {"$set": {"state": CLOSED, "close_time": utcnow()}},
        )

    async def empty_weighing(self, plate_key: str) -> Document | None:
        return await self.empty_weighings.find_one({"_id": plate_key})

    async def finish(
        self,
        name: str,
        fields: Document,
        command: Document | None,
        empty: Document | None,
        alerts: Sequence[AlertDraft],
    ) -> bool:
        """CLOSED -> PROCESSED with ``fields``, the barrier command, the empty weighing and the
        alerts, all in one transaction. False (and nothing written) when another worker
        processed it first."""

        async def work(session: AsyncClientSession) -> bool:
            result = await self.passages.update_one(
                {"name": name, "state": CLOSED},
                {"$set": {**fields, "state": PROCESSED}},
                session=session,
            )
            if result.modified_count == 0:
                return False
            if command is not None:
                await self.commands.insert_one(dict(command), session=session)
            if empty is not None:
                known = await self.empty_weighings.find_one({"_id": empty["_id"]}, session=session)
                if known is None or known["weighed_at"] < empty["weighed_at"]:
                    await self.empty_weighings.replace_one(
                        {"_id": empty["_id"]}, dict(empty), upsert=True, session=session
                    )
            await self._outbox.publish_all(session, alerts)
            return True

        done = await in_transaction(self._mongo, work)
        if done and alerts:
            self._outbox.notify()
        return done

    async def record_override(
        self, name: str, override: Document, command: Document, alert: AlertDraft
    ) -> bool:
        """Stores an override, its OPEN command and its alert; False when already overridden."""

        async def work(session: AsyncClientSession) -> bool:
            result = await self.passages.update_one(
                {"name": name, "state": PROCESSED, "override": None},
                {"$set": {"override": override}},
                session=session,
            )
            if result.modified_count == 0:
                return False
            await self.commands.insert_one(dict(command), session=session)
            await self._outbox.publish(session, alert)
            return True

        done = await in_transaction(self._mongo, work)
        if done:
            self._outbox.notify()
        return done

    async def newest_first(
        self, query: Document, page: Page, fingerprint: str
    ) -> tuple[list[Document], str]:
        """One page of passages matching ``query``, newest first: by start time descending,
        then by name descending; and the token of the next page ('' if last)."""
        selector: Document = dict(query)
        if page.after is not None:
            start, name = _page_after(page.after)
            after = {
                "$or": [
                    {"start_time": {"$lt": start}},
                    {"start_time": start, "name": {"$lt": name}},
                ]
            }
            selector = {"$and": [selector, after]} if selector else after
        docs = (
            await self.passages.find(selector)
            .sort([("start_time", -1), ("name", -1)])
            .limit(page.size + 1)
            .to_list()
        )
        if len(docs) <= page.size:
            return docs, ""
        last = docs[page.size - 1]
        after_last = f"{last['start_time'].isoformat()}|{last['name']}"
        return docs[: page.size], next_token(after_last, fingerprint)

    async def pending(self, opened_before: datetime) -> list[str]:
        """Passages to process: open ones whose window passed, closed unprocessed ones."""
        docs = await self.passages.find(
            {
                "$or": [
                    {"state": ASSEMBLING, "open_time": {"$lt": opened_before}},
                    {"state": CLOSED},
                ]
            },
            {"name": 1},
        ).to_list()
        return [d["name"] for d in docs]


def command_document(
    lane: str, passage: str, action: str, reasons: Sequence[str], issued_by: str
) -> Document:
    now = utcnow()
    return {
        "name": f"{lane}/barrierCommands/{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}"
        f"-{uuid.uuid4().hex[:6]}",
        "lane": lane,
        "passage": passage,
        "action": action,
        "reasons": list(reasons),
        "issued_by": issued_by,
        "issue_time": now,
    }
