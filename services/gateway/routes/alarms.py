"""The duty log's alarms (acknowledge, assign, escalate, resolve: what the console's alert
view acts with) and directives."""

from typing import Annotated, Any

from customs.dutylog.v1 import dutylog_pb2 as pb
from customs.dutylog.v1 import resources_pb2 as res
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from services.gateway.context import (
    ROOM_WRITERS,
    WATCHERS,
    Gateway,
    JsonBody,
    PageSize,
    PageToken,
    message_response,
)
from services.gateway.json_input import parse_body
from services.gateway.routes.dutylog import ROOM
from services.platform.auth import Principal


class Note(BaseModel):
    """A note recorded in the duty log with the action."""

    note: str = Field(default="", description="required to resolve; optional to acknowledge")


class Escalation(BaseModel):
    """Who an alarm is passed up to, and why."""

    escalated_to: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class Result(BaseModel):
    """The result that closes a directive."""

    result: str = Field(min_length=1)


def router(gw: Gateway) -> APIRouter:
    api = APIRouter(tags=["dutylog"])
    readers = gw.caller(WATCHERS)
    writers = gw.caller(ROOM_WRITERS)
    log = gw.backends

    async def page(method: Any, request: Any, who: Principal) -> Response:
        return message_response(await gw.call(method, request, who))

    # alarms

    @api.get(
        ROOM + "/alarms",
        summary="List alarms. Roles: officer, supervisor, auditor, service",
        operation_id="ListAlarms",
    )
    async def list_alarms(
        room_id: str,
        who: Annotated[Principal, Depends(readers)],
        open_only: bool = False,
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        request = pb.ListAlarmsRequest(
            parent=f"rooms/{room_id}",
            open_only=open_only,
            page_size=page_size,
            page_token=page_token,
        )
        return await page(log.dutylog.ListAlarms, request, who)

    def alarm(room_id: str, alarm_id: str) -> str:
        return f"rooms/{room_id}/alarms/{alarm_id}"

    @api.get(
        ROOM + "/alarms/{alarm_id}",
        summary="Get an alarm. Roles: officer, supervisor, auditor, service",
        operation_id="GetAlarm",
    )
    async def get_alarm(
        room_id: str, alarm_id: str, who: Annotated[Principal, Depends(readers)]
    ) -> Response:
        reply = await gw.call(
            log.dutylog.GetAlarm, pb.GetAlarmRequest(name=alarm(room_id, alarm_id)), who
        )
        return message_response(reply.alarm)

    @api.post(
        ROOM + "/alarms/{alarm_id}:acknowledge",
        summary="OPEN -> ACKNOWLEDGED (an ACTION entry). Roles: officer, supervisor",
        operation_id="AcknowledgeAlarm",
    )
    async def acknowledge_alarm(
        room_id: str, alarm_id: str, body: Note, who: Annotated[Principal, Depends(writers)]
    ) -> Response:
        request = pb.AcknowledgeAlarmRequest(name=alarm(room_id, alarm_id), note=body.note)
        return await page(log.dutylog.AcknowledgeAlarm, request, who)

    @api.post(
        ROOM + "/alarms/{alarm_id}:assign",
        summary="Assign an acknowledged alarm to an officer. Roles: officer, supervisor",
        operation_id="AssignAlarm",
    )
    async def assign_alarm(
        room_id: str, alarm_id: str, body: JsonBody, who: Annotated[Principal, Depends(writers)]
    ) -> Response:
        request = parse_body(body, pb.AssignAlarmRequest())
        request.name = alarm(room_id, alarm_id)
        return await page(log.dutylog.AssignAlarm, request, who)

    @api.post(
        ROOM + "/alarms/{alarm_id}:escalate",
        summary="Escalate an acknowledged alarm. Roles: officer, supervisor",
        operation_id="EscalateAlarm",
    )
    async def escalate_alarm(
        room_id: str, alarm_id: str, body: Escalation, who: Annotated[Principal, Depends(writers)]
    ) -> Response:
        request = pb.EscalateAlarmRequest(
            name=alarm(room_id, alarm_id), escalated_to=body.escalated_to, reason=body.reason
        )
        return await page(log.dutylog.EscalateAlarm, request, who)

    @api.post(
        ROOM + "/alarms/{alarm_id}:resolve",
        summary="Resolve an acknowledged alarm with a note (a RESULT entry). "
        "Roles: officer, supervisor",
        operation_id="ResolveAlarm",
    )
    async def resolve_alarm(
        room_id: str, alarm_id: str, body: Note, who: Annotated[Principal, Depends(writers)]
    ) -> Response:
        request = pb.ResolveAlarmRequest(name=alarm(room_id, alarm_id), note=body.note)
        return await page(log.dutylog.ResolveAlarm, request, who)

    # directives

    @api.get(
        ROOM + "/directives",
        summary="List directives. Roles: officer, supervisor, auditor, service",
        operation_id="ListDirectives",
    )
    async def list_directives(
        room_id: str,
        who: Annotated[Principal, Depends(readers)],
        open_only: bool = False,
        page_size: PageSize = 0,
        page_token: PageToken = "",
    ) -> Response:
        request = pb.ListDirectivesRequest(
            parent=f"rooms/{room_id}",
            open_only=open_only,
            page_size=page_size,
            page_token=page_token,
        )
        return await page(log.dutylog.ListDirectives, request, who)

    @api.post(
        ROOM + "/directives",
        summary="Give a directive. Roles: officer, supervisor",
        operation_id="IssueDirective",
        status_code=201,
    )
    async def issue_directive(
        room_id: str,
        directive_id: Annotated[str, Query()],
        body: JsonBody,
        who: Annotated[Principal, Depends(writers)],
    ) -> Response:
        directive = parse_body(body, res.Directive())
        request = pb.IssueDirectiveRequest(
            parent=f"rooms/{room_id}", directive_id=directive_id, directive=directive
        )
        return message_response(
            await gw.call(log.dutylog.IssueDirective, request, who, body="directive"), 201
        )

    @api.post(
        ROOM + "/directives/{directive_id}:close",
        summary="Close a directive with its result. Roles: officer, supervisor",
        operation_id="CloseDirective",
    )
    async def close_directive(
        room_id: str, directive_id: str, body: Result, who: Annotated[Principal, Depends(writers)]
    ) -> Response:
        request = pb.CloseDirectiveRequest(
            name=f"rooms/{room_id}/directives/{directive_id}", result=body.result
        )
        return await page(log.dutylog.CloseDirective, request, who)

    return api
