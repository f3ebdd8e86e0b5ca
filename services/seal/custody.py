"""Lifecycle of seals on containers: attach, arm, remove, return to stock, fault.

Each change runs alone with respect to ping ingestion (the ingestor's lock) and in one
transaction with the alerts it raises; the state machine is the domain's
(:mod:`services.seal.domain.lifecycle`), so an illegal change is FAILED_PRECONDITION naming the
allowed ones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.platform import iso6346
from services.platform.alerts import AlertDraft
from services.platform.errors import (
    AlreadyExists,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
    collect,
)
from services.platform.mongo import utcnow
from services.platform.names import check_id, parse_name
from services.platform.outbox import Outbox
from services.seal.alerting import draft
from services.seal.domain.alerts import SEVERITY, AlertEvent, AlertKind, AlertPhase
from services.seal.domain.config import RuleConfig
from services.seal.domain.errors import DomainValidationError, RemovalRefused
from services.seal.domain.geometry import LatLon, Route, geofence_from_document
from services.seal.domain.lifecycle import SealState, remove_seal, require_at_origin, transition
from services.seal.domain.monitor import TripMonitor
from services.seal.domain.trip import Trip
from services.seal.ingest import Ingestor
from services.seal.store import ATTACHMENTS, ROUTES, SEALS, SITES, last_ping, new_monitor_fields


@dataclass(frozen=True, slots=True)
class NewAttachment:
    """AttachSeal's input as plain values."""

    seal: str
    attachment_id: str
    container_number: str
    transit_declaration: str
    origin: str
    destination: str
    route: str
    deadline: datetime | None
    officer: str
    #: where the officer attaches the seal; must be inside the origin's geofence
    position: LatLon | None


def _state_error(seal: str, current: str, target: str, reason: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"{seal}: {current} -> {target} refused: {reason}",
        "ILLEGAL_TRANSITION",
        {"from_state": current, "to_state": target},
        [PreconditionViolation("STATE", seal, reason)],
    )


class Custody:
    def __init__(
        self,
        mongo: AsyncMongoClient[dict[str, Any]],
        db: AsyncDatabase[dict[str, Any]],
        outbox: Outbox,
        ingestor: Ingestor,
        rules: RuleConfig,
    ) -> None:
        self._mongo = mongo
        self._db = db
        self._outbox = outbox
        self._ingestor = ingestor
        self._rules = rules

    async def _get(self, collection: str, name: str, kind: str) -> dict[str, Any]:
        doc = await self._db[collection].find_one({"name": name})
        if doc is None:
            raise NotFound(f"{kind} {name} not found", "NOT_FOUND", {"name": name})
        return doc

    async def _reference(self, collection: str, field_path: str, name: str) -> dict[str, Any]:
        parse_name(field_path, name, collection)
        doc = await self._db[collection].find_one({"name": name})
        if doc is None:
            raise InvalidArgument.one(field_path, f"{name} does not exist")
        return doc

    async def attach(self, new: NewAttachment) -> tuple[dict[str, Any], dict[str, Any]]:
        parse_name("name", new.seal, "seals")
        problems: list[FieldViolation] = []
        try:
            check_id("attachment_id", new.attachment_id)
        except InvalidArgument as exc:
            problems += exc.violations
        container = ""
        try:
            container = iso6346.validate(new.container_number).text
        except iso6346.InvalidContainerNumber as exc:
            problems.append(FieldViolation("attachment.container_number.value", exc.description))
        if not new.transit_declaration.strip():
            problems.append(FieldViolation("attachment.transit_declaration", "is required"))
        if new.deadline is None:
            problems.append(FieldViolation("attachment.deadline", "is required"))
        elif new.deadline <= utcnow():
            problems.append(FieldViolation("attachment.deadline", "must be in the future"))
        if new.position is None:
            problems.append(FieldViolation("position", "is required"))
        collect(problems)
        assert new.position is not None
        origin = await self._reference(SITES, "attachment.origin", new.origin)
        destination = await self._reference(SITES, "attachment.destination", new.destination)
        route = await self._reference(ROUTES, "attachment.route", new.route)
        if new.origin == new.destination:
            raise InvalidArgument.one("attachment.destination", "must differ from the origin")
        now = utcnow()
        name = f"attachments/{new.attachment_id}"
        doc: dict[str, Any] = {
            "name": name,
            "seal": new.seal,
            "container_number": container,
            "transit_declaration": new.transit_declaration.strip(),
            "origin": new.origin,
            "destination": new.destination,
            "route": new.route,
            "deadline": new.deadline,
            "state": SealState.ATTACHED.value,
            "closed": False,
            "attached_by": new.officer,
            "armed_by": "",
            "removed_by": "",
            "create_time": now,
            "plan": {
                "origin": origin["geofence"],
                "destination": destination["geofence"],
                "route": route["route"],
            },
            "intact": True,
            "integrity_issues": [],
            "open_episodes": [],
            "version": 0,
        }
        async with self._ingestor.exclusive(new.seal):
            seal = await self._get(SEALS, new.seal, "seal")
            current = SealState(seal["state"])
            transition(new.seal, current, SealState.ATTACHED)
            origin_fence = geofence_from_document(origin["geofence"], "origin")
            require_at_origin(new.seal, current, SealState.ATTACHED, new.position, origin_fence)
            busy = await self._db[ATTACHMENTS].find_one(
                {"container_number": container, "closed": False}
            )
            if busy is not None:
                raise FailedPrecondition(
                    f"container {container} already carries {busy['seal']}",
                    "CONTAINER_ALREADY_SEALED",
                    {"attachment": busy["name"]},
                    [PreconditionViolation("SEALED", container, f"open attachment {busy['name']}")],
                )

            async def work(session: AsyncClientSession) -> None:
                await self._db[ATTACHMENTS].insert_one(doc, session=session)
                await self._set_seal(session, new.seal, current, SealState.ATTACHED, name)

            try:
                await self._ingestor.transaction(work)
            except DuplicateKeyError as exc:
                raise AlreadyExists(f"{name} already exists", "ALREADY_EXISTS") from exc
        return await self._get(SEALS, new.seal, "seal"), doc

    async def _set_seal(
        self,
        session: AsyncClientSession,
        seal: str,
        current: SealState,
        target: SealState,
        attachment: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        changes: dict[str, Any] = {"state": target.value, "update_time": utcnow(), **(extra or {})}
        if attachment is not None:
            changes["attachment"] = attachment
        result = await self._db[SEALS].update_one(
            {"name": seal, "state": current.value}, {"$set": changes}, session=session
        )
        if result.matched_count != 1:
            raise _state_error(seal, current.value, target.value, "the seal changed meanwhile")

    async def _open_attachment(self, seal: dict[str, Any]) -> dict[str, Any]:
        if not seal.get("attachment"):
            raise _state_error(seal["name"], seal["state"], "?", "the seal has no attachment")
        return await self._get(ATTACHMENTS, seal["attachment"], "attachment")

    async def arm(self, seal_name: str, position: LatLon, officer: str) -> tuple[Any, Any]:
        parse_name("name", seal_name, "seals")
        async with self._ingestor.exclusive(seal_name):
            seal = await self._get(SEALS, seal_name, "seal")
            current = SealState(seal["state"])
            transition(seal_name, current, SealState.IN_TRANSIT)
            att = await self._open_attachment(seal)
            plan = att["plan"]
            origin = geofence_from_document(plan["origin"], "origin")
            require_at_origin(seal_name, current, SealState.IN_TRANSIT, position, origin)
            now = utcnow()
            try:
                trip = Trip(
                    trip_id=att["name"].split("/", 1)[1],
                    device_id=seal_name.split("/", 1)[1],
                    container_number=att["container_number"],
                    declaration=att["transit_declaration"],
                    origin=origin,
                    destination=geofence_from_document(plan["destination"], "destination"),
                    route=Route.from_document(plan["route"]),
                    start_time=now.timestamp(),
                    deadline=att["deadline"].timestamp(),
                )
            except DomainValidationError as exc:
                raise _state_error(
                    seal_name, current.value, "IN_TRANSIT", f"{exc.field}: {exc.description}"
                ) from exc
            fields = new_monitor_fields(TripMonitor(trip, self._rules), self._rules)

            async def work(session: AsyncClientSession) -> None:
                await self._db[ATTACHMENTS].update_one(
                    {"name": att["name"]},
                    {
                        "$set": {
                            **fields,
                            "state": SealState.IN_TRANSIT.value,
                            "armed_by": officer,
                            "arm_time": now,
                        },
                        "$inc": {"version": 1},
                    },
                    session=session,
                )
                await self._set_seal(session, seal_name, current, SealState.IN_TRANSIT)

            await self._ingestor.transaction(work)
        return await self._get(SEALS, seal_name, "seal"), await self._get(
            ATTACHMENTS, att["name"], "attachment"
        )

    async def remove(self, seal_name: str, position: LatLon, officer: str) -> tuple[Any, Any]:
        parse_name("name", seal_name, "seals")
        async with self._ingestor.exclusive(seal_name):
            seal = await self._get(SEALS, seal_name, "seal")
            current = SealState(seal["state"])
            att = await self._open_attachment(seal)
            destination = geofence_from_document(att["plan"]["destination"], "destination")
            now = utcnow()
            last, _ = await last_ping(self._db, att["name"])
            evidence = (int(last["seq"]),) if last else ()
            try:
                remove_seal(seal_name, current, position, destination, now.timestamp(), evidence)
            except RemovalRefused as refused:
                await self._refuse_removal(att, refused, officer)
                raise
            drafts = _closing_drafts(att, now.timestamp(), "seal removed at the destination")

            async def work(session: AsyncClientSession) -> None:
                await self._db[ATTACHMENTS].update_one(
                    {"name": att["name"]},
                    {
                        "$set": {
                            "state": SealState.REMOVED.value,
                            "closed": True,
                            "removed_by": officer,
                            "remove_time": now,
                            "open_episodes": [],
                            "removal_episodes": [],
                        },
                        "$inc": {"version": 1},
                    },
                    session=session,
                )
                await self._set_seal(session, seal_name, current, SealState.REMOVED, "")
                await self._outbox.publish_all(session, drafts)

            await self._ingestor.transaction(work)
            if drafts:
                self._outbox.notify()
        return await self._get(SEALS, seal_name, "seal"), await self._get(
            ATTACHMENTS, att["name"], "attachment"
        )

    async def _refuse_removal(
        self, att: dict[str, Any], refused: RemovalRefused, officer: str
    ) -> None:
        """Records a refused removal (the request still fails). The first one opens the
        attachment's UNAUTHORISED_REMOVAL episode; later attempts while it is open are added to
        the integrity issues without raising it again (one alert per episode). The episode
        closes with the transit (see :func:`_closing_drafts`)."""
        issue = f"removal attempted outside the destination by {officer}: {refused.reason}"
        push: dict[str, Any] = {"removal_issues": issue, "integrity_issues": issue}
        alert = None
        if not att.get("removal_episodes"):
            event = refused.alert
            alert = draft(event, att)
            alert = replace(
                alert, evidence={**alert.evidence, "officer": officer, "reason": refused.reason}
            )
            push |= {"removal_episodes": event.episode_id, "open_episodes": event.episode_id}

        async def work(session: AsyncClientSession) -> None:
            await self._db[ATTACHMENTS].update_one(
                {"name": att["name"]},
                {"$push": push, "$set": {"intact": False}, "$inc": {"version": 1}},
                session=session,
            )
            if alert is not None:
                await self._outbox.publish(session, alert)

        await self._ingestor.transaction(work)
        if alert is not None:
            self._outbox.notify()

    async def return_to_stock(self, seal_name: str) -> dict[str, Any]:
        parse_name("name", seal_name, "seals")
        async with self._ingestor.exclusive(seal_name):
            seal = await self._get(SEALS, seal_name, "seal")
            current = SealState(seal["state"])
            transition(seal_name, current, SealState.IN_STOCK)
            # a faulty seal still on its attachment: the transit closes now, with its episodes
            att = await self._open_attachment(seal) if seal.get("attachment") else None
            drafts = (
                _closing_drafts(att, utcnow().timestamp(), "faulty seal returned to stock")
                if att is not None and not att["closed"]
                else []
            )

            async def work(session: AsyncClientSession) -> None:
                if att is not None:
                    await self._db[ATTACHMENTS].update_one(
                        {"name": att["name"]},
                        {
                            "$set": {"closed": True, "open_episodes": [], "removal_episodes": []},
                            "$inc": {"version": 1},
                        },
                        session=session,
                    )
                await self._set_seal(
                    session, seal_name, current, SealState.IN_STOCK, "", {"fault": ""}
                )
                await self._outbox.publish_all(session, drafts)

            await self._ingestor.transaction(work)
            if drafts:
                self._outbox.notify()
        return await self._get(SEALS, seal_name, "seal")

    async def report_fault(self, seal_name: str, reason: str) -> dict[str, Any]:
        parse_name("name", seal_name, "seals")
        if not reason.strip():
            raise InvalidArgument.one("reason", "is required")
        async with self._ingestor.exclusive(seal_name):
            seal = await self._get(SEALS, seal_name, "seal")
            current = SealState(seal["state"])
            transition(seal_name, current, SealState.FAULTY)

            async def work(session: AsyncClientSession) -> None:
                if seal.get("attachment"):
                    await self._db[ATTACHMENTS].update_one(
                        {"name": seal["attachment"]},
                        {
                            "$set": {
                                "state": SealState.FAULTY.value,
                                "fault": reason.strip(),
                                "intact": False,
                            },
                            "$push": {
                                "integrity_issues": f"seal reported faulty: {reason.strip()}"
                            },
                            "$inc": {"version": 1},
                        },
                        session=session,
                    )
                await self._set_seal(
                    session, seal_name, current, SealState.FAULTY, None, {"fault": reason.strip()}
                )

            await self._ingestor.transaction(work)
        return await self._get(SEALS, seal_name, "seal")


def _closing_drafts(att: dict[str, Any], now: float, why: str) -> list[AlertDraft]:
    """CLOSED events of the episodes still open when the transit closes: the trip monitor's and
    the UNAUTHORISED_REMOVAL episode of a refused removal."""
    still_open = [
        (AlertKind(rec["kind"]), rec["episode_id"])
        for rec in (att.get("monitor") or {}).get("records", [])
        if rec.get("end_time") is None
    ]
    still_open += [(AlertKind.UNAUTHORISED_REMOVAL, e) for e in att.get("removal_episodes", [])]
    return [
        draft(
            AlertEvent(
                AlertPhase.CLOSED,
                kind,
                SEVERITY[kind],
                episode,
                (),
                f"transit closed: {why}",
                None,
                now,
            ),
            att,
        )
        for kind, episode in still_open
    ]
