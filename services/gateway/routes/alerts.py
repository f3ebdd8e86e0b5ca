"""The live alert feed (SSE) of every service."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import StreamingResponse

from services.gateway.alert_feed import decode_position, feed
from services.gateway.context import WATCHERS, Gateway
from services.platform.auth import Principal


def router(gw: Gateway) -> APIRouter:
    api = APIRouter(tags=["alerts"])

    @api.get(
        "/v1/alerts:stream",
        summary="Live alerts of every service as Server-Sent Events",
        description=(
            "Each `alert` event carries an `id`; reconnect with the `Last-Event-ID` header (as "
            "browsers' EventSource does) to resume every source exactly after it. A token that "
            "names `sites` sees the alerts of those sites and the alerts of no site (a transit "
            "on the road, a seal in stock); a token without sites sees every alert. The token "
            "goes in the "
            "`Authorization` header: the console reads this stream with fetch(), not "
            "EventSource, so no token ever appears in a URL. Roles: officer, supervisor, "
            "auditor, service."
        ),
        response_class=StreamingResponse,
    )
    async def alert_stream(
        who: Annotated[Principal, Depends(gw.caller(WATCHERS))],
        last_event_id: Annotated[str, Header(alias="Last-Event-ID")] = "",
    ) -> StreamingResponse:
        start = decode_position(last_event_id)
        return StreamingResponse(
            feed(who, gw.backends.channels, start),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return api
