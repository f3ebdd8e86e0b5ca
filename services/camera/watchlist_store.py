"""Watchlist entries as stored resources, and the domain watchlist built from them.

Taking an entry off the watchlist is a soft delete (AIP-164): the entry stops matching at
once but is kept with who took it off, when and why (``delete_time``, ``deleted_by``,
``delete_reason``), listed on request, and a WATCHLIST_ENTRY_REMOVED alert is written in the
same transaction, so the duty log records every removal. Names are never reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from services.camera.domain.alerts import AlertKind, Severity
from services.camera.domain.errors import DomainValidationError
from services.camera.domain.watchlists import (
    WatchAction,
    WatchKind,
    Watchlist,
    WatchlistEntry,
    watch_key,
)
from services.platform import alerts
from services.platform.errors import FieldViolation, NotFound, collect
from services.platform.mongo import Document, in_transaction, utcnow
from services.platform.names import check_id
from services.platform.outbox import Outbox
from services.platform.paging import Page
from services.platform.resources import ResourceCollection

KINDS = tuple(kind.value for kind in WatchKind)
ACTIONS = tuple(action.value for action in WatchAction)


@dataclass(frozen=True, slots=True)
class NewEntry:
    entry_id: str
    kind: str
    value: str
    reason: str
    action: str
    severity: str
    listed_by: str


def entry_document(req: NewEntry) -> Document:
    check_id("watchlist_entry_id", req.entry_id)
    problems: list[FieldViolation] = []
    key = ""
    if req.kind not in KINDS:
        problems.append(
            FieldViolation("watchlist_entry.kind", "must be PLATE, CONTAINER or DECLARANT")
        )
    else:
        try:
            key = watch_key(WatchKind(req.kind), req.value)
        except DomainValidationError as error:
            problems.append(FieldViolation("watchlist_entry.value", error.description))
    if not req.reason.strip():
        problems.append(FieldViolation("watchlist_entry.reason", "is required"))
    collect(problems)
    return {
        "name": f"watchlistEntries/{req.entry_id}",
        "kind": req.kind,
        "value": req.value.strip(),
        "key": key,
        "reason": req.reason.strip(),
        "action": req.action or WatchAction.HOLD.value,
        "severity": req.severity or Severity.HIGH.name,
        "listed_by": req.listed_by,
        "create_time": utcnow(),
        "delete_time": None,
        "deleted_by": "",
        "delete_reason": "",
    }


def entry_value(doc: dict[str, Any]) -> WatchlistEntry:
    return WatchlistEntry(
        kind=WatchKind(doc["kind"]),
        value=doc["value"],
        reason=doc["reason"],
        action=WatchAction(doc["action"]),
        severity=Severity[doc["severity"]],
        listed_by=doc["listed_by"],
    )


#: Entries still on the watchlist (documents from before soft deletes have no delete_time).
LISTED: Document = {"delete_time": None}


def removal_alert(doc: Document) -> alerts.AlertDraft:
    """The WATCHLIST_ENTRY_REMOVED alert of an entry just taken off the watchlist."""
    reason = doc["delete_reason"] or "no reason given"
    return alerts.AlertDraft(
        kind=AlertKind.WATCHLIST_ENTRY_REMOVED.value,
        severity=alerts.Severity.INFO,
        subject=doc["name"],
        message=f"{doc['kind'].capitalize()} {doc['value']} taken off the watchlist by "
        f"{doc['deleted_by']}: {reason}",
        container_number=doc["key"] if doc["kind"] == WatchKind.CONTAINER.value else "",
        evidence={
            "watch_kind": doc["kind"],
            "listed_value": doc["value"],
            "listed_reason": doc["reason"],
            "listed_by": doc["listed_by"],
            "action": doc["action"],
            "deleted_by": doc["deleted_by"],
            "delete_reason": doc["delete_reason"],
        },
    )


class WatchlistStore:
    """The watchlist collection: entries listed, paged, taken off and loaded for matching."""

    def __init__(
        self, mongo: AsyncMongoClient[Document], entries: ResourceCollection, outbox: Outbox
    ) -> None:
        self._mongo = mongo
        self._entries = entries
        self._outbox = outbox

    async def create(self, doc: Document) -> Document:
        return await self._entries.create(doc)

    async def page(
        self, kind: str, show_deleted: bool, page: Page, fingerprint: str
    ) -> tuple[list[Document], str]:
        query: Document = {} if show_deleted else dict(LISTED)
        if kind:
            query["kind"] = kind
        return await self._entries.list(page, query, fingerprint)

    async def remove(self, name: str, deleted_by: str, reason: str) -> Document:
        """Takes a listed entry off and alerts it; NotFound when unknown or already off."""

        async def work(session: AsyncClientSession) -> Document | None:
            doc: Document | None = await self._entries.collection.find_one_and_update(
                {"name": name, **LISTED},
                {
                    "$set": {
                        "delete_time": utcnow(),
                        "deleted_by": deleted_by,
                        "delete_reason": reason.strip(),
                    }
                },
                return_document=ReturnDocument.AFTER,
                session=session,
            )
            if doc is not None:
                await self._outbox.publish(session, removal_alert(doc))
            return doc

        removed = await in_transaction(self._mongo, work)
        if removed is None:
            known = await self._entries.collection.find_one({"name": name})
            off = (known or {}).get("delete_time")
            why = f" (taken off at {off:%Y-%m-%dT%H:%M:%SZ})" if off else ""
            raise NotFound(f"watchlist entry {name} not found{why}", "NOT_FOUND", {"name": name})
        self._outbox.notify()
        return removed

    async def load(self) -> Watchlist:
        """Every entry still listed (watchlists are small: hundreds, not millions)."""
        docs = await self._entries.collection.find(LISTED).to_list()
        return Watchlist(entry_value(d) for d in docs)
