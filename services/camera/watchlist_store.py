"""Watchlist entries as stored resources, and the domain watchlist built from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.camera.domain.alerts import Severity
from services.camera.domain.errors import DomainValidationError
from services.camera.domain.watchlists import (
    WatchAction,
    WatchKind,
    Watchlist,
    WatchlistEntry,
    watch_key,
)
from services.platform.errors import FieldViolation, collect
from services.platform.mongo import Document, utcnow
from services.platform.names import check_id
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


async def load_watchlist(entries: ResourceCollection) -> Watchlist:
    """Every entry (watchlists are small: hundreds, not millions)."""
    docs = await entries.collection.find({}).to_list()
    return Watchlist(entry_value(d) for d in docs)
