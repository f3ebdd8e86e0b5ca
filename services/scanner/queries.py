"""Read side of the scans: listings, the container hold answer gates rely on, rule statistics
and presigned rendering URLs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from services.platform import iso6346
from services.platform.errors import FailedPrecondition, InvalidArgument, PreconditionViolation
from services.platform.mongo import find_page, utcnow
from services.platform.objects import ObjectStore
from services.platform.paging import Page
from services.scanner.domain.model import Rule
from services.scanner.domain.statistics import RuleStatistics, ScanOutcome, rule_statistics
from services.scanner.domain.workflow import ScanState, holds_container
from services.scanner.products import PRODUCTS


def container_number(field_path: str, value: str) -> str:
    """The normalised ISO 6346 number, or InvalidArgument naming the field."""
    if not value.strip():
        raise InvalidArgument.one(field_path, "is required")
    try:
        return iso6346.validate(value).text
    except iso6346.InvalidContainerNumber as exc:
        raise InvalidArgument.one(field_path, exc.description) from exc


async def list_scans(
    scans: AsyncCollection[dict[str, Any]],
    scanner: str | None,
    number: str | None,
    state: ScanState | None,
    page: Page,
    fingerprint: str,
) -> tuple[list[dict[str, Any]], str]:
    query: dict[str, Any] = {}
    if scanner is not None:
        query["scanner"] = scanner
    if number is not None:
        query["container_numbers"] = number
    if state is not None:
        query["state"] = state.value
    return await find_page(scans, query, page, fingerprint)


@dataclass(frozen=True, slots=True)
class HoldAnswer:
    open_hold: bool
    held_scans: list[str]
    reasons: list[str]
    latest_scan: str
    undecided_scans: list[str]


def _reason(doc: dict[str, Any]) -> str:
    inspection = doc.get("inspection") or {}
    if inspection.get("violation_found"):
        return (
            f"inspection by {inspection['officer']} found a violation: {inspection['description']}"
        )
    verdict = doc.get("verdict") or {}
    return f"held by analyst {verdict.get('analyst', '?')}: {verdict.get('note', '')}".rstrip(": ")


async def container_hold(scans: AsyncCollection[dict[str, Any]], number: str) -> HoldAnswer:
    """Whether any scan of the container holds it (HOLD, or inspected with a violation)."""
    projection = {"name": 1, "state": 1, "verdict": 1, "inspection": 1, "create_time": 1}
    docs = (
        await scans.find({"container_numbers": number}, projection)
        .sort([("create_time", -1), ("name", -1)])
        .to_list()
    )
    held = [
        d
        for d in docs
        if holds_container(
            ScanState(d["state"]), bool((d.get("inspection") or {}).get("violation_found"))
        )
    ]
    undecided = {ScanState.RECEIVED.value, ScanState.ANALYSED.value}
    return HoldAnswer(
        open_hold=bool(held),
        held_scans=[d["name"] for d in held],
        reasons=[_reason(d) for d in held],
        latest_scan=docs[0]["name"] if docs else "",
        undecided_scans=[d["name"] for d in docs if d["state"] in undecided],
    )


async def statistics(
    scans: AsyncCollection[dict[str, Any]], scanner: str | None, site: str | None
) -> RuleStatistics:
    """Rule statistics over the analysed scans (read in one pass, only the fields needed)."""
    query: dict[str, Any] = {"state": {"$ne": ScanState.RECEIVED.value}}
    if scanner:
        query["scanner"] = scanner
    if site:
        query["site"] = site
    projection = {"rules": 1, "state": 1, "verdict.decision": 1, "inspection.violation_found": 1}
    outcomes = []
    async for d in scans.find(query, projection):
        inspection = d.get("inspection") or {}
        outcomes.append(
            ScanOutcome(
                rules=frozenset(Rule[r] for r in d.get("rules", [])),
                held=(d.get("verdict") or {}).get("decision") == "HOLD",
                inspected=d["state"] == ScanState.INSPECTED.value,
                violation_found=bool(inspection.get("violation_found")),
            )
        )
    return rule_statistics(outcomes)


async def renderings(
    objects: ObjectStore, scan: dict[str, Any], ttl_seconds: float
) -> tuple[dict[str, str], datetime]:
    """Presigned GET URLs of the derived products, and when they expire."""
    keys = scan.get("products") or {}
    if not keys:
        raise FailedPrecondition(
            f"{scan['name']} has no renderings yet: it is {scan['state']}",
            "NOT_ANALYSED",
            {"state": scan["state"]},
            [PreconditionViolation("STATE", scan["name"], "the scan is not analysed yet")],
        )
    ttl = timedelta(seconds=ttl_seconds)
    expire = utcnow() + ttl
    names = [p for p, _, _ in PRODUCTS]
    urls = await asyncio.gather(*(objects.presigned_get(keys[p], ttl) for p in names))
    return dict(zip(names, urls, strict=True)), expire
