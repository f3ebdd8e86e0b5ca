"""Exit barrier decision: OPEN only when everything needed is known and clear; else HOLD.

Inputs are the passage, what the scanner service answered for each container (open scan
hold or not, or unavailable: error or timeout), what the seal service answered (no seal; or the
open attachment's origin, destination, stage and integrity; or unavailable), the watchlist, the
declarant of each container, the declared goods weight and what the scale says about the
vehicle's load (looked up by the transport layer).

HOLD reasons, all collected (not only the first):

* no plate read (the plate watchlist cannot be checked) -> PLATE_NOT_READ;
* plate, container or declarant watchlist hit with action HOLD -> WATCHLIST_*;
* per container: not verified -> CONTAINER_NUMBER_UNVERIFIED (or _AUTO_CORRECTED), including
  a read no OCR correction makes valid (kept as read, without proposals); scanner: open hold
  -> SCAN_HOLD_OPEN, unavailable or no answer -> SCAN_STATUS_UNKNOWN; seal: the lane's site
  on the container's sealed transit decides (see :mod:`services.camera.domain.sealed_exit`):
  armed at the origin and arrived at the destination pass, else SEAL_NOT_ARMED or
  SEAL_NOT_ARRIVED; not intact -> SEAL_NOT_INTACT; unavailable or no answer ->
  SEAL_STATUS_UNKNOWN. An auto-corrected number is still looked up, for the officer's sake;
* no container read at all -> CONTAINER_NOT_READ, unless the truck is known to be empty.

No container read does not mean no container: the container camera may have missed it, or
its event may be lost. A passage without container reads opens (plate watchlist permitting)
only when no goods are declared on it and the scale shows the vehicle EMPTY against its tare
(:func:`services.camera.domain.weighing.vehicle_load`). Goods declared, a laden scale, or no
way to tell (no stable reading, no tare, no scale on the lane) -> CONTAINER_NOT_READ: an
officer looks, and a supervisor can override.

The camera's own seal-presence observation is evidence on the passage and does not enter the
decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from services.camera.domain.alerts import Alert, AlertKind, Severity, SubjectKind, make_alert
from services.camera.domain.clearance import (
    SERIOUS_REASONS,
    BarrierAction,
    BarrierDecision,
    Reason,
    ReasonCode,
    ScanAnswer,
    ScanStatus,
    SealAnswer,
)
from services.camera.domain.errors import DomainValidationError
from services.camera.domain.passages import Direction, Passage
from services.camera.domain.reads import ContainerRead, ContainerReadStatus
from services.camera.domain.sealed_exit import seal_reasons
from services.camera.domain.validation import require_aware
from services.camera.domain.watchlists import WatchAction, WatchKind, Watchlist, WatchlistHit
from services.camera.domain.weighing import Load, LoadCheck
from services.platform import iso6346


def _scan_reasons(number: str, answers: list[ScanAnswer]) -> list[Reason]:
    if not answers:
        return [Reason(ReasonCode.SCAN_STATUS_UNKNOWN, number, "No answer from the scanner")]
    reasons: list[Reason] = []
    for answer in answers:
        if answer.status is ScanStatus.OPEN_HOLD:
            text = "The container has an open scan hold"
            reasons.append(Reason.explained(ReasonCode.SCAN_HOLD_OPEN, number, text, answer.detail))
        elif answer.status is ScanStatus.UNAVAILABLE:
            text = "The scanner service could not say"
            reasons.append(
                Reason.explained(ReasonCode.SCAN_STATUS_UNKNOWN, number, text, answer.detail)
            )
    return reasons


def _read_reason(read: ContainerRead) -> Reason | None:
    if read.verified:
        return None
    if read.status is ContainerReadStatus.CORRECTED:
        text = f"Read {read.raw_text!r} fails ISO 6346, auto-corrected to {read.number}; confirm it"
        return Reason(ReasonCode.CONTAINER_NUMBER_AUTO_CORRECTED, read.label, text)
    text = f"Read {read.raw_text!r} fails ISO 6346 ({read.problem}); "
    if read.proposals:
        text += f"proposals: {', '.join(read.proposals)}"
    else:
        text += "no OCR correction makes it valid: read the number on the container"
    return Reason(ReasonCode.CONTAINER_NUMBER_UNVERIFIED, read.label, text)


def _no_container_reason(
    passage: Passage, declared_goods_kg: float | None, load: LoadCheck | None
) -> Reason | None:
    if declared_goods_kg:
        text = f"No container number was read, but {declared_goods_kg:.0f} kg of goods are declared"
        return Reason(ReasonCode.CONTAINER_NOT_READ, passage.key, text)
    if load is not None and load.load is Load.EMPTY:
        return None
    detail = load.detail if load is not None else "no scale reading"
    text = f"No container number was read and the scale does not show the truck empty ({detail})"
    return Reason(ReasonCode.CONTAINER_NOT_READ, passage.key, text)


_WATCH_REASON = {
    WatchKind.PLATE: ReasonCode.WATCHLIST_PLATE,
    WatchKind.CONTAINER: ReasonCode.WATCHLIST_CONTAINER,
    WatchKind.DECLARANT: ReasonCode.WATCHLIST_DECLARANT,
}


def _hit_reason(hit: WatchlistHit) -> Reason | None:
    if hit.entry.action is not WatchAction.HOLD:
        return None
    possible = "" if hit.exact else "possibly "
    text = f"{hit.matched} is {possible}on the {hit.entry.kind.value.lower()} watchlist: "
    return Reason(_WATCH_REASON[hit.entry.kind], hit.matched, text + hit.entry.reason)


def decide_exit(
    passage: Passage,
    scan_answers: Iterable[ScanAnswer],
    seal_answers: Iterable[SealAnswer],
    decided_at: datetime,
    watchlist: Watchlist | None = None,
    declarants: Mapping[str, str] | None = None,
    declared_goods_kg: float | None = None,
    load: LoadCheck | None = None,
) -> BarrierDecision:
    """Decide OPEN or HOLD for an exit passage; fails closed (see the module docstring).

    ``declarants`` maps container numbers to their declarant's tax code, when known;
    ``declared_goods_kg`` is the goods weight on the passage's declaration; ``load`` what the
    scale says (None: not weighed). Raises DomainValidationError when the passage is not on an
    exit lane.
    """
    if passage.direction is not Direction.EXIT:
        raise DomainValidationError("passage.direction", "barrier decisions are for exit lanes")
    require_aware(decided_at, "decided_at")
    watchlist = watchlist or Watchlist()
    scans: dict[str, list[ScanAnswer]] = {}
    for scan in scan_answers:
        scans.setdefault(iso6346.normalise(scan.container_number), []).append(scan)
    seals: dict[str, list[SealAnswer]] = {}
    for seal in seal_answers:
        seals.setdefault(iso6346.normalise(seal.container_number), []).append(seal)
    declared_by = {iso6346.normalise(k): v for k, v in (declarants or {}).items()}

    reasons: list[Reason] = []
    hits: list[WatchlistHit] = []
    plate = passage.plate
    if plate is None:
        reasons.append(Reason(ReasonCode.PLATE_NOT_READ, passage.key, "No plate was read"))
    else:
        hits.extend(watchlist.match_plate(plate.plate))
    containers = passage.containers
    if not containers:
        missing = _no_container_reason(passage, declared_goods_kg, load)
        if missing is not None:
            reasons.append(missing)
    for read in containers:
        read_reason = _read_reason(read)
        if read_reason is not None:
            reasons.append(read_reason)
        hits.extend(watchlist.match_container_read(read))
        if read.number is None:
            continue
        reasons.extend(_scan_reasons(read.number, scans.get(read.number, [])))
        reasons.extend(seal_reasons(read.number, passage.lane.site_id, seals.get(read.number, [])))
        tax_code = declared_by.get(read.number)
        if tax_code is not None:
            hits.extend(watchlist.match_declarant(tax_code))
    for hit in hits:
        hit_reason = _hit_reason(hit)
        if hit_reason is not None:
            reasons.append(hit_reason)

    action = BarrierAction.HOLD if reasons else BarrierAction.OPEN
    decision = BarrierDecision(
        passage.key,
        passage.lane.lane_id,
        action,
        tuple(reasons),
        decided_at,
        tuple(hits),
        subject=passage.subject,
    )
    return replace(decision, alerts=_decision_alerts(decision, passage, containers))


_HIT_SUBJECT = {
    WatchKind.PLATE: SubjectKind.PLATE,
    WatchKind.CONTAINER: SubjectKind.CONTAINER,
    WatchKind.DECLARANT: SubjectKind.DECLARANT,
}


def _decision_alerts(
    decision: BarrierDecision, passage: Passage, containers: tuple[ContainerRead, ...]
) -> tuple[Alert, ...]:
    lane_id, at = decision.lane_id, decision.decided_at
    alerts: list[Alert] = []
    if decision.action is BarrierAction.HOLD:
        serious = any(code in SERIOUS_REASONS for code in decision.reason_codes)
        codes = ", ".join(dict.fromkeys(code.value for code in decision.reason_codes))
        alerts.append(
            make_alert(
                AlertKind.BARRIER_HOLD,
                Severity.HIGH if serious else Severity.WARNING,
                f"Exit barrier held for {passage.subject}: {codes}",
                subject=passage.subject,
                subject_kind=SubjectKind.PLATE if passage.plate else SubjectKind.PASSAGE,
                lane_id=lane_id,
                raised_at=at,
                evidence={
                    "passage": passage.key,
                    "reasons": codes,
                    "containers": ", ".join(read.label for read in containers),
                    **{f"reason.{i}": r.text for i, r in enumerate(decision.reasons)},
                },
            )
        )
    for read in containers:
        if read.verified:
            continue
        alerts.append(
            make_alert(
                AlertKind.UNVERIFIED_CONTAINER_AT_EXIT,
                Severity.WARNING,
                f"Container number {read.raw_text!r} at exit fails ISO 6346 ({read.status.value})",
                subject=read.label,
                subject_kind=SubjectKind.CONTAINER,
                lane_id=lane_id,
                raised_at=at,
                evidence={
                    "passage": passage.key,
                    "raw_text": read.raw_text,
                    "confidence": f"{read.confidence:.3f}",
                    "problem": read.problem,
                    "proposals": ", ".join(read.proposals),
                },
            )
        )
    for hit in decision.watchlist_hits:
        possible = "" if hit.exact else "possible "
        alerts.append(
            make_alert(
                AlertKind.WATCHLIST_HIT,
                hit.entry.severity,
                f"Watchlist {possible}hit on {hit.matched}: {hit.entry.reason}",
                subject=hit.matched,
                subject_kind=_HIT_SUBJECT[hit.entry.kind],
                lane_id=lane_id,
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
