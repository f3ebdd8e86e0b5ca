"""Watchlist screening of passages that are not exits (exits are screened by the barrier
decision, :func:`services.camera.domain.barrier.decide_exit`): every hit is an alert."""

from __future__ import annotations

from datetime import datetime

from services.camera.domain.alerts import Alert, AlertKind, SubjectKind, make_alert
from services.camera.domain.passages import Passage
from services.camera.domain.validation import require_aware
from services.camera.domain.watchlists import WatchKind, Watchlist, WatchlistHit

_SUBJECT = {
    WatchKind.PLATE: SubjectKind.PLATE,
    WatchKind.CONTAINER: SubjectKind.CONTAINER,
    WatchKind.DECLARANT: SubjectKind.DECLARANT,
}


def watchlist_hits(
    passage: Passage, watchlist: Watchlist, declarant_tax_code: str | None = None
) -> tuple[WatchlistHit, ...]:
    """Hits of the passage's plate, container reads (proposals inexactly) and declarant."""
    hits: list[WatchlistHit] = []
    if passage.plate is not None:
        hits.extend(watchlist.match_plate(passage.plate.plate))
    for read in passage.containers:
        hits.extend(watchlist.match_container_read(read))
    if declarant_tax_code:
        hits.extend(watchlist.match_declarant(declarant_tax_code))
    return tuple(hits)


def screen_passage(
    passage: Passage, watchlist: Watchlist, at: datetime, declarant_tax_code: str | None = None
) -> tuple[Alert, ...]:
    """One WATCHLIST_HIT alert per hit (whatever the entry's action: entries do not hold)."""
    require_aware(at, "at")
    alerts: list[Alert] = []
    for hit in watchlist_hits(passage, watchlist, declarant_tax_code):
        possible = "" if hit.exact else "possible "
        alerts.append(
            make_alert(
                AlertKind.WATCHLIST_HIT,
                hit.entry.severity,
                f"Watchlist {possible}hit on {hit.matched} ({passage.direction.value.lower()}): "
                f"{hit.entry.reason}",
                subject=hit.matched,
                subject_kind=_SUBJECT[hit.entry.kind],
                lane_id=passage.lane.lane_id,
                raised_at=at,
                evidence={
                    "passage": passage.key,
                    "watch_kind": hit.entry.kind.value,
                    "listed_value": hit.entry.value,
                    "action": hit.entry.action.value,
                    "exact": str(hit.exact).lower(),
                },
            )
        )
    return tuple(alerts)
