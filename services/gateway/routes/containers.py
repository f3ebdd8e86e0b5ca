"""GET /v1/containers/{number}: the container dossier, composed from the four services asked
concurrently, each with its own deadline; a service that does not answer is a missing part."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import grpc
from customs.camera.v1 import camera_pb2
from customs.dutylog.v1 import dutylog_pb2
from customs.scanner.v1 import scanner_pb2
from customs.seal.v1 import seal_pb2
from fastapi import APIRouter, Depends, Response

from services.gateway.backends import forwarded
from services.gateway.context import DOSSIER_READERS, Gateway, as_dict, json_response
from services.gateway.dossier import Json, Part, assemble
from services.gateway.dossier_views import place_of, scan_summary, track_points
from services.gateway.problems import invalid
from services.platform import iso6346
from services.platform.auth import Principal

PAGE = 1000  # also the most entries per room about the container: the newest ones
SCANS_WITH_IMAGES = 3  # presigned image URLs for the latest scans only
TRACK_TOLERANCE_M = 25.0


class _Asker:
    """The calls of one dossier, sharing the caller's token and the dossier deadline."""

    def __init__(self, gw: Gateway, who: Principal, number: str) -> None:
        self.b = gw.backends
        self.metadata = forwarded(who)
        self.number = number
        self.deadline = asyncio.get_running_loop().time() + gw.config.dossier_timeout_seconds

    def left(self) -> float:
        return max(0.001, self.deadline - asyncio.get_running_loop().time())

    async def __call__(self, method: Any, request: Any) -> Any:
        return await method(request, metadata=self.metadata, timeout=self.left())

    async def scanner(self) -> Json:
        hold_request = scanner_pb2.CheckContainerHoldRequest()
        hold_request.container_number.value = self.number
        scans_request = scanner_pb2.ListScansRequest(parent="scanners/-", page_size=PAGE)
        scans_request.container_number.value = self.number
        hold, listed = await asyncio.gather(
            self(self.b.scanner.CheckContainerHold, hold_request),
            self(self.b.scanner.ListScans, scans_request),
        )
        latest = sorted(listed.scans, key=lambda s: s.scan_time.ToNanoseconds(), reverse=True)
        shown = latest[:SCANS_WITH_IMAGES]
        renderings = await asyncio.gather(
            *(
                self(
                    self.b.scanner.GetScanRenderings,
                    scanner_pb2.GetScanRenderingsRequest(name=s.name),
                )
                for s in shown
                if s.HasField("analysis")
            ),
            return_exceptions=True,
        )
        urls = {}
        for scan, rendered in zip(
            [s for s in shown if s.HasField("analysis")], renderings, strict=True
        ):
            if isinstance(rendered, BaseException):
                if not isinstance(rendered, grpc.aio.AioRpcError):
                    raise rendered
                continue
            urls[scan.name] = rendered.false_colour_url
        return {
            "hold": as_dict(hold),
            "scans": [scan_summary(s, urls.get(s.name, "")) for s in latest],
        }

    async def camera(self) -> Json:
        request = camera_pb2.ListPassagesRequest(parent="sites/-", page_size=100)
        request.container_number.value = self.number
        watch = camera_pb2.ListWatchlistEntriesRequest(
            kind=camera_pb2.WATCH_KIND_CONTAINER, page_size=PAGE
        )
        passages, listed = await asyncio.gather(
            self(self.b.camera.ListPassages, request),
            self(self.b.camera.ListWatchlistEntries, watch),
        )
        found = sorted(
            (as_dict(p) for p in passages.passages), key=lambda p: str(p.get("start_time", ""))
        )
        hits = [as_dict(e) for e in listed.watchlist_entries if e.key == self.number]
        return {"passages": found, "watchlist": hits}

    async def seal(self) -> Json:
        request = seal_pb2.GetContainerSealStatusRequest()
        request.container_number.value = self.number
        status = await self(self.b.seal.GetContainerSealStatus, request)
        data: Json = {"status": as_dict(status)}
        if status.attachment:
            attachment = (
                await self(
                    self.b.seal.GetAttachment, seal_pb2.GetAttachmentRequest(name=status.attachment)
                )
            ).attachment
            data["attachment"] = as_dict(attachment)
            data["track"] = await self._track(attachment)
        return data

    async def _track(self, attachment: seal_pb2.Attachment) -> Json:
        """Track points, the planned corridor and the origin and destination: what the
        console draws. A piece that cannot be had is named in ``problems``."""
        calls: dict[str, Awaitable[Any]] = {
            "track": self(
                self.b.seal.GetTrack,
                seal_pb2.GetTrackRequest(attachment=attachment.name, tolerance_m=TRACK_TOLERANCE_M),
            )
        }
        if attachment.route:
            calls["route"] = self(
                self.b.seal.GetRoute, seal_pb2.GetRouteRequest(name=attachment.route)
            )
        for key in ("origin", "destination"):
            place = getattr(attachment, key)
            if place:
                calls[key] = self(self.b.seal.GetSite, seal_pb2.GetSiteRequest(name=place))
        results = dict(
            zip(calls, await asyncio.gather(*calls.values(), return_exceptions=True), strict=True)
        )
        track: Json = {"points": [], "corridor": [], "places": [], "problems": []}
        for key, result in results.items():
            if isinstance(result, grpc.aio.AioRpcError):
                track["problems"].append(f"{key}: {result.code().name} {result.details() or ''}")
            elif isinstance(result, BaseException):
                raise result
            elif key == "track":
                track["points"] = track_points(result.geojson)
                track["total_points"] = result.total_points
            elif key == "route":
                track["corridor"] = [
                    {"latitude": p.latitude, "longitude": p.longitude}
                    for p in result.route.polyline
                ]
                track["corridor_width_m"] = result.route.corridor_width_m
            else:
                track["places"].append(place_of(key, result.site))
        return track

    async def dutylog(self) -> Json:
        rooms = await self(self.b.dutylog.ListRooms, dutylog_pb2.ListRoomsRequest(page_size=PAGE))
        found = await asyncio.gather(*(self._room(room.name) for room in rooms.rooms))
        entries = sorted(
            (e for room_entries, _, _ in found for e in room_entries),
            key=lambda e: str(e.get("entry_time", "")),
        )
        alarms = [a for _, room_alarms, _ in found for a in room_alarms]
        return {
            "entries": entries,
            "open_alarms": alarms,
            "truncated": any(t for _, _, t in found),
        }

    async def _room(self, room: str) -> tuple[list[Json], list[Json], bool]:
        """The room's newest entries about the container (at most PAGE; truncated when there
        are more) and its open alarms about it."""
        request = dutylog_pb2.ListEntriesRequest(parent=room, order_by="seq desc", page_size=PAGE)
        request.container_number.value = self.number
        reply, alarms = await asyncio.gather(
            self(self.b.dutylog.ListEntries, request),
            self(
                self.b.dutylog.ListAlarms,
                dutylog_pb2.ListAlarmsRequest(parent=room, open_only=True, page_size=PAGE),
            ),
        )
        entries = [as_dict(e) for e in reply.entries]
        about = {e["name"] for e in entries}
        open_alarms = [
            as_dict(a) for a in alarms.alarms if a.entry in about or self.number in a.subject
        ]
        return entries, open_alarms, bool(reply.next_page_token)


async def _part(service: str, ask: Callable[[], Awaitable[Json]]) -> Part:
    try:
        return Part(service, await ask())
    except grpc.aio.AioRpcError as error:
        return Part.failed(service, error.code().name, error.details() or "")
    except TimeoutError:
        return Part.failed(service, "DEADLINE_EXCEEDED", "no answer within the dossier deadline")


def router(gw: Gateway) -> APIRouter:
    api = APIRouter(tags=["containers"])

    @api.get(
        "/v1/containers/{number}",
        summary="The container dossier: scans, passages, seal, duty log, and a risk summary",
        description=(
            "Asks scanner, camera, seal and dutylog concurrently, each within "
            "GATEWAY_DOSSIER_TIMEOUT_SECONDS. A service that does not answer (down, too slow, "
            "or refusing the caller's role) is listed under `missing` with its status and the "
            "detail, and its section is null: the rest of the dossier is still returned (200). "
            "`risk.level` is HIGH (a critical signal), MEDIUM (warnings), LOW (every service "
            "answered, nothing found) or UNKNOWN (nothing found but a part is missing). "
            "Roles: officer, analyst, supervisor, auditor."
        ),
        operation_id="GetContainerDossier",
    )
    async def dossier(
        number: str, who: Annotated[Principal, Depends(gw.caller(DOSSIER_READERS))]
    ) -> Response:
        try:
            valid = iso6346.validate(number).text
        except iso6346.InvalidContainerNumber as exc:
            raise invalid("number", exc.description) from exc
        ask = _Asker(gw, who, valid)
        parts = await asyncio.gather(
            _part("scanner", ask.scanner),
            _part("camera", ask.camera),
            _part("seal", ask.seal),
            _part("dutylog", ask.dutylog),
        )
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return json_response(assemble(valid, parts, now))

    return api
