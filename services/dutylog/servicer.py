"""gRPC transport of the duty log service: converts between proto and domain, nothing else."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import grpc
from customs.dutylog.v1 import dutylog_pb2 as api
from customs.dutylog.v1 import dutylog_pb2_grpc
from customs.dutylog.v1 import resources_pb2 as pb

from services.dutylog import convert
from services.dutylog.chain_store import ChainStore, entry_from_doc
from services.dutylog.domain import alarms as alarm_steps
from services.dutylog.log_ops import LogOps
from services.dutylog.requests import (
    child,
    entry_listing,
    entry_seq,
    new_entry,
    renamed,
    room_id,
    seq_after,
)
from services.dutylog.rooms import NewRoom, register
from services.dutylog.shift_ops import ShiftOps
from services.dutylog.store import ALARMS, DIRECTIVES, HANDOVERS, SHIFTS
from services.dutylog.verification import export_shift, verify_room
from services.platform.auth import Role
from services.platform.errors import FieldViolation, InvalidArgument, NotFound, collect
from services.platform.guard import AccessPolicy, current_principal
from services.platform.mongo import Document, find_page
from services.platform.names import check_id, parse_name
from services.platform.objects import ObjectStore
from services.platform.outbox import Outbox
from services.platform.paging import next_token, page_request
from services.platform.resources import ResourceCollection
from services.platform.watch import alert_stream

Context = grpc.aio.ServicerContext[Any, Any]
SERVICE = api.DESCRIPTOR.services_by_name["DutyLogService"].full_name
_READERS = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.SERVICE})
_AUDIT = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR})
_WRITERS = frozenset({Role.OFFICER, Role.SUPERVISOR})
_WRITES = (
    "OpenShift HandOverShift AcknowledgeHandover CreateEntry AcknowledgeAlarm AssignAlarm "
    "EscalateAlarm ResolveAlarm IssueDirective CloseDirective"
).split()
_READS = (
    "GetRoom ListRooms WatchAlerts GetShift ListShifts GetHandover ListHandovers GetEntry "
    "ListEntries GetAlarm ListAlarms GetDirective ListDirectives"
).split()
POLICY = AccessPolicy(
    SERVICE,
    {
        "CreateRoom": frozenset({Role.SUPERVISOR}),
        **dict.fromkeys(_READS, _READERS),
        **dict.fromkeys(_WRITES, _WRITERS),
        **dict.fromkeys(["ListCheckpoints", "VerifyChain", "ExportShiftBundle"], _AUDIT),
    },
)


def room_to_proto(doc: dict[str, Any]) -> api.Room:
    room = api.Room(
        name=doc["name"],
        display_name=doc["display_name"],
        sites=doc["sites"],
        time_zone=doc["time_zone"],
    )
    room.create_time.FromDatetime(doc["create_time"])
    return room


class DutyLogServicer(dutylog_pb2_grpc.DutyLogServiceServicer):
    def __init__(
        self,
        rooms: ResourceCollection,
        outbox: Outbox,
        chain: ChainStore,
        objects: ObjectStore,
        default_ack: timedelta,
    ) -> None:
        self._rooms = rooms
        self._outbox = outbox
        self._chain = chain
        self._objects = objects
        self._shifts = ShiftOps(chain, default_ack)
        self._log = LogOps(chain, objects)

    async def _room(self, field: str, name: str) -> str:
        """The id of an existing room."""
        room = room_id(field, name)
        await self._rooms.get(f"rooms/{room}")
        return room

    async def _get(self, collection: str, name: str, kind: str) -> Document:
        doc = await self._chain.db[collection].find_one({"name": name})
        if doc is None:
            raise NotFound(f"{kind} {name} not found", "NOT_FOUND", {"name": name})
        return doc

    async def _list(
        self, collection: str, room: str, size: int, token: str, query: Document | None = None
    ) -> tuple[list[Document], str]:
        selector = {"room": room, **(query or {})}
        fingerprint = f"{collection}|{room}|{sorted(selector.items())}"
        page = page_request(size, token, fingerprint)
        return await find_page(self._chain.db[collection], selector, page, fingerprint)

    # Rooms

    async def CreateRoom(self, request: api.CreateRoomRequest, context: Context) -> Any:
        r = request.room
        doc = register(NewRoom(request.room_id, r.display_name, list(r.sites), r.time_zone))
        await self._rooms.create(doc)
        return api.CreateRoomResponse(room=room_to_proto(doc))

    async def GetRoom(self, request: api.GetRoomRequest, context: Context) -> Any:
        parse_name("name", request.name, "rooms")
        return api.GetRoomResponse(room=room_to_proto(await self._rooms.get(request.name)))

    async def ListRooms(self, request: api.ListRoomsRequest, context: Context) -> Any:
        docs, token = await self._rooms.list(page_request(request.page_size, request.page_token))
        return api.ListRoomsResponse(rooms=[room_to_proto(d) for d in docs], next_page_token=token)

    async def WatchAlerts(
        self, request: api.WatchAlertsRequest, context: Context
    ) -> AsyncIterator[api.WatchAlertsResponse]:
        async for response in alert_stream(
            self._outbox, request.resume_token, api.WatchAlertsResponse
        ):
            yield response

    # Shifts and handovers

    async def OpenShift(self, request: api.OpenShiftRequest, context: Context) -> Any:
        check_id("shift_id", request.shift_id)
        room = await self._room("parent", request.parent)
        leader = convert.officer_from_proto(request.shift.leader, "shift.leader")
        officers = [
            convert.officer_from_proto(o, f"shift.officers[{i}]")
            for i, o in enumerate(request.shift.officers)
        ]
        with renamed({"officers": "shift.officers"}):
            doc = await self._shifts.open(
                room, request.shift_id, leader, officers, current_principal()
            )
        return api.OpenShiftResponse(shift=convert.shift_to_proto(doc))

    async def GetShift(self, request: api.GetShiftRequest, context: Context) -> Any:
        child("name", request.name, "shifts")
        doc = await self._get(SHIFTS, request.name, "shift")
        return api.GetShiftResponse(shift=convert.shift_to_proto(doc))

    async def ListShifts(self, request: api.ListShiftsRequest, context: Context) -> Any:
        room = await self._room("parent", request.parent)
        docs, token = await self._list(SHIFTS, room, request.page_size, request.page_token)
        return api.ListShiftsResponse(
            shifts=[convert.shift_to_proto(d) for d in docs], next_page_token=token
        )

    async def HandOverShift(self, request: api.HandOverShiftRequest, context: Context) -> Any:
        child("name", request.name, "shifts")
        check_id("handover_id", request.handover_id)
        within = request.ack_within.ToTimedelta() if request.HasField("ack_within") else None
        if within is not None and within < timedelta(0):
            raise InvalidArgument.one("ack_within", "must not be negative")
        handover, shift = await self._shifts.hand_over(
            request.name, request.handover_id, within or None, current_principal()
        )
        return api.HandOverShiftResponse(
            handover=convert.handover_to_proto(handover), shift=convert.shift_to_proto(shift)
        )

    async def AcknowledgeHandover(
        self, request: api.AcknowledgeHandoverRequest, context: Context
    ) -> Any:
        child("name", request.name, "handovers")
        doc = await self._shifts.acknowledge(request.name, current_principal())
        return api.AcknowledgeHandoverResponse(handover=convert.handover_to_proto(doc))

    async def GetHandover(self, request: api.GetHandoverRequest, context: Context) -> Any:
        child("name", request.name, "handovers")
        doc = await self._get(HANDOVERS, request.name, "handover")
        return api.GetHandoverResponse(handover=convert.handover_to_proto(doc))

    async def ListHandovers(self, request: api.ListHandoversRequest, context: Context) -> Any:
        room = await self._room("parent", request.parent)
        docs, token = await self._list(HANDOVERS, room, request.page_size, request.page_token)
        return api.ListHandoversResponse(
            handovers=[convert.handover_to_proto(d) for d in docs], next_page_token=token
        )

    # Entries

    async def CreateEntry(self, request: api.CreateEntryRequest, context: Context) -> Any:
        room = await self._room("parent", request.parent)
        new = new_entry(room, request.entry)
        with renamed({"text": "entry.text", "corrects_seq": "entry.corrects"}):
            sealed = await self._log.create_entry(room, new, current_principal())
        return api.CreateEntryResponse(entry=convert.entry_to_proto(sealed))

    async def GetEntry(self, request: api.GetEntryRequest, context: Context) -> Any:
        entry_seq("name", request.name)
        doc = await self._get("entries", request.name, "entry")
        entry = entry_from_doc(doc)
        attachments = [
            pb.Attachment(
                object_key=a.object_key,
                sha256=a.sha256,
                content_type=a.content_type,
                download_uri=await self._objects.presigned_get(a.object_key, timedelta(minutes=15)),
            )
            for a in entry.draft.attachments
        ]
        return api.GetEntryResponse(entry=convert.entry_to_proto(entry, attachments))

    async def ListEntries(self, request: api.ListEntriesRequest, context: Context) -> Any:
        room = await self._room("parent", request.parent)
        listing = entry_listing(
            room, request.kind, request.container_number.value, request.order_by
        )
        page = page_request(request.page_size, request.page_token, listing.fingerprint)
        after = None if page.after is None else seq_after(page.after)
        cursor = self._chain.entries.find(listing.after(after))
        cursor = cursor.sort("seq", -1 if listing.newest_first else 1).limit(page.size + 1)
        docs = await cursor.to_list()
        token = ""
        if len(docs) > page.size:
            docs = docs[: page.size]
            token = next_token(str(docs[-1]["seq"]), listing.fingerprint)
        return api.ListEntriesResponse(
            entries=[convert.entry_to_proto(entry_from_doc(d)) for d in docs],
            next_page_token=token,
        )

    # Alarms

    async def GetAlarm(self, request: api.GetAlarmRequest, context: Context) -> Any:
        child("name", request.name, "alarms")
        doc = await self._get(ALARMS, request.name, "alarm")
        return api.GetAlarmResponse(alarm=convert.alarm_to_proto(doc))

    async def ListAlarms(self, request: api.ListAlarmsRequest, context: Context) -> Any:
        room = await self._room("parent", request.parent)
        query = {"state": {"$ne": "RESOLVED"}} if request.open_only else None
        docs, token = await self._list(ALARMS, room, request.page_size, request.page_token, query)
        return api.ListAlarmsResponse(
            alarms=[convert.alarm_to_proto(d) for d in docs], next_page_token=token
        )

    async def _alarm_step(self, name: str, move: Any) -> tuple[pb.Alarm, pb.Entry]:
        child("name", name, "alarms")
        doc, sealed = await self._log.alarm_step(name, move, current_principal())
        return convert.alarm_to_proto(doc), convert.entry_to_proto(sealed)

    async def AcknowledgeAlarm(self, request: api.AcknowledgeAlarmRequest, context: Context) -> Any:
        alarm, entry = await self._alarm_step(
            request.name, lambda a, o, t: alarm_steps.acknowledge(a, o, t, request.note)
        )
        return api.AcknowledgeAlarmResponse(alarm=alarm, entry=entry)

    async def AssignAlarm(self, request: api.AssignAlarmRequest, context: Context) -> Any:
        assignee = convert.officer_from_proto(request.assignee, "assignee")
        alarm, entry = await self._alarm_step(
            request.name, lambda a, o, t: alarm_steps.assign(a, o, assignee, t, request.note)
        )
        return api.AssignAlarmResponse(alarm=alarm, entry=entry)

    async def EscalateAlarm(self, request: api.EscalateAlarmRequest, context: Context) -> Any:
        problems = [
            FieldViolation(f, "is required")
            for f in ("escalated_to", "reason")
            if not getattr(request, f).strip()
        ]
        collect(problems)
        alarm, entry = await self._alarm_step(
            request.name,
            lambda a, o, t: alarm_steps.escalate(a, o, request.escalated_to, t, request.reason),
        )
        return api.EscalateAlarmResponse(alarm=alarm, entry=entry)

    async def ResolveAlarm(self, request: api.ResolveAlarmRequest, context: Context) -> Any:
        if not request.note.strip():
            raise InvalidArgument.one("note", "resolving an alarm needs a non-empty note")
        alarm, entry = await self._alarm_step(
            request.name, lambda a, o, t: alarm_steps.resolve(a, o, t, request.note)
        )
        return api.ResolveAlarmResponse(alarm=alarm, entry=entry)

    # Directives

    async def IssueDirective(self, request: api.IssueDirectiveRequest, context: Context) -> Any:
        check_id("directive_id", request.directive_id)
        room = await self._room("parent", request.parent)
        d = request.directive
        problems = []
        if not d.text.strip():
            problems.append(FieldViolation("directive.text", "is required"))
        if not d.HasField("due_time"):
            problems.append(FieldViolation("directive.due_time", "is required"))
        if not d.HasField("assignee"):
            problems.append(FieldViolation("directive.assignee", "is required"))
        collect(problems)
        assignee = convert.officer_from_proto(d.assignee, "directive.assignee")
        references = convert.references_from_proto(d.references, "directive.references")
        with renamed({"text": "directive.text", "due_at": "directive.due_time"}):
            doc, sealed = await self._log.issue_directive(
                room,
                request.directive_id,
                assignee,
                d.text,
                convert.from_ts(d.due_time),
                references,
                current_principal(),
            )
        return api.IssueDirectiveResponse(
            directive=convert.directive_to_proto(doc), entry=convert.entry_to_proto(sealed)
        )

    async def CloseDirective(self, request: api.CloseDirectiveRequest, context: Context) -> Any:
        child("name", request.name, "directives")
        if not request.result.strip():
            raise InvalidArgument.one("result", "a directive result must not be empty")
        doc, sealed = await self._log.close_directive(
            request.name, request.result, current_principal()
        )
        return api.CloseDirectiveResponse(
            directive=convert.directive_to_proto(doc), entry=convert.entry_to_proto(sealed)
        )

    async def GetDirective(self, request: api.GetDirectiveRequest, context: Context) -> Any:
        child("name", request.name, "directives")
        doc = await self._get(DIRECTIVES, request.name, "directive")
        return api.GetDirectiveResponse(directive=convert.directive_to_proto(doc))

    async def ListDirectives(self, request: api.ListDirectivesRequest, context: Context) -> Any:
        room = await self._room("parent", request.parent)
        query = {"state": "OPEN"} if request.open_only else None
        docs, token = await self._list(
            DIRECTIVES, room, request.page_size, request.page_token, query
        )
        return api.ListDirectivesResponse(
            directives=[convert.directive_to_proto(d) for d in docs], next_page_token=token
        )

    # Verification

    async def ListCheckpoints(self, request: api.ListCheckpointsRequest, context: Context) -> Any:
        room = await self._room("parent", request.parent)
        fingerprint = f"checkpoints|{room}"
        page = page_request(request.page_size, request.page_token, fingerprint)
        query = {"room": room, "seq": {"$gt": seq_after(page.after)}}
        cursor = self._chain.checkpoints.find(query).sort("seq", 1).limit(page.size + 1)
        docs = await cursor.to_list()
        token = ""
        if len(docs) > page.size:
            docs = docs[: page.size]
            token = next_token(str(docs[-1]["seq"]), fingerprint)
        return api.ListCheckpointsResponse(
            checkpoints=[convert.checkpoint_to_proto(d) for d in docs], next_page_token=token
        )

    async def VerifyChain(self, request: api.VerifyChainRequest, context: Context) -> Any:
        room = await self._room("room", request.room)
        result = await verify_room(self._chain, room)
        response = api.VerifyChainResponse(
            intact=result.intact,
            entries_checked=result.entries_checked,
            head_seq=result.head_seq,
            head_sha256=result.head_sha256,
            checkpoint_problems=result.checkpoint_problems,
            checkpoints_checked=result.checkpoints_checked,
            public_key=self._chain.public_key,
            signed_seq=result.signed_seq,
        )
        if result.first_break is not None:
            b = result.first_break
            response.first_break.CopyFrom(
                pb.ChainBreak(
                    entry=b.entry,
                    seq=b.seq,
                    check=pb.ChainCheck.Value(f"CHAIN_CHECK_{b.check}"),
                    expected=b.expected,
                    actual=b.actual,
                    explanation=b.explanation,
                )
            )
        return response

    async def ExportShiftBundle(
        self, request: api.ExportShiftBundleRequest, context: Context
    ) -> Any:
        child("name", request.name, "shifts")
        data, filename = await export_shift(self._chain, request.name)
        return api.ExportShiftBundleResponse(
            bundle=data,
            filename=filename,
            sha256=hashlib.sha256(data).hexdigest(),
            public_key=self._chain.public_key,
        )
