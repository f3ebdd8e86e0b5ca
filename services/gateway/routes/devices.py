"""What equipment reports through the gateway: gate cameras' recognition events, truck scales'
readings and e-seal gateways' ping batches (scanners upload scans: scanner.py). Each is
idempotent, so a device that got no answer sends the same thing again."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from customs.camera.v1 import camera_pb2
from customs.seal.v1 import seal_pb2
from fastapi import APIRouter, Depends, Query, Response
from google.protobuf.json_format import MessageToDict

from services.gateway.backends import forwarded
from services.gateway.context import Gateway, JsonBody, as_dict, json_response
from services.gateway.json_input import parse_body
from services.gateway.problems import FieldNames, naming
from services.gateway.routes.camera import LANE, lane_name
from services.platform.auth import Principal, Role

GATE_DEVICES = frozenset({Role.DEVICE, Role.SERVICE})
SEAL_GATEWAYS = frozenset({Role.DEVICE})
#: A batch is committed in one transaction with the rules it triggers: give it longer than
#: a plain read (a retry after a timeout is safe: duplicates are ignored).
PINGS_TIMEOUT_SECONDS = 30.0
LaneName = Annotated[str, Depends(lane_name)]  # from the path's site_id, gate_id and lane_id
EventId = Annotated[
    str,
    Query(
        description="the device's own id of the event (AIP-122); a retry with it is answered "
        "with the stored one"
    ),
]


async def _one(request: seal_pb2.StreamPingsRequest) -> AsyncIterator[seal_pb2.StreamPingsRequest]:
    yield request


def router(gw: Gateway) -> APIRouter:
    api = APIRouter(tags=["devices"])
    gate_devices = gw.caller(GATE_DEVICES)
    seal_gateways = gw.caller(SEAL_GATEWAYS)
    b = gw.backends

    def lane_event(rpc: str, request_type: Any, event: str, event_type: Any) -> Any:
        """The endpoint of one kind of lane event: the body is the event (``event`` names its
        request field); the answer is the stored event and the passage it joined."""

        async def record(
            lane: LaneName,
            event_id: EventId,
            body: JsonBody,
            who: Annotated[Principal, Depends(gate_devices)],
        ) -> Response:
            request = request_type(parent=lane, event_id=event_id)
            getattr(request, event).CopyFrom(parse_body(body, event_type()))
            reply = await gw.call(getattr(b.camera, rpc), request, who, body=event)
            return json_response(as_dict(reply))

        return record

    api.post(
        LANE + "/recognitionEvents",
        summary="Record what a recognition camera read on the lane; joins the lane's passage. "
        "Roles: device, service",
        description="Body: a RecognitionEvent in proto JSON form (camera, observe_time, plate, "
        "containers, seal_presence, declaration, snapshot as base64). Answer: the stored event "
        "with its checked reads and the passage as it stands. Idempotent by `event_id`: a retry "
        "is answered with the stored event (200 both times).",
        operation_id="RecordRecognitionEvent",
    )(
        lane_event(
            "RecordRecognitionEvent",
            camera_pb2.RecordRecognitionEventRequest,
            "recognition_event",
            camera_pb2.RecognitionEvent,
        )
    )
    api.post(
        LANE + "/scaleReadings",
        summary="Record a truck scale reading on the lane; joins the lane's passage. "
        "Roles: device, service",
        description="Body: a ScaleReading in proto JSON form (scale_id, measure_time, "
        "gross_weight_kg, stable). Idempotent by `event_id` (200 both times).",
        operation_id="RecordScaleReading",
    )(
        lane_event(
            "RecordScaleReading",
            camera_pb2.RecordScaleReadingRequest,
            "scale_reading",
            camera_pb2.ScaleReading,
        )
    )

    @api.post(
        "/v1/seals/{seal_id}/pings:batch",
        summary="Store a batch of a seal's pings; answered once they are durable. Roles: device",
        description='Body: `{"pings": [Ping, ...]}`: 1 to SEAL_MAX_PINGS_PER_REQUEST pings '
        "in proto JSON form, in any order (the seal is the one in the path). The answer comes "
        "once the pings are stored with the trip state and the alerts they caused: "
        "`highest_seq` (the highest sequence number stored for the seal), `accepted` (stored "
        "now), `duplicates` (stored before, ignored) and `clock_drift_seqs`. Sending a batch "
        "again is always safe: a device gateway keeps each batch until it has a 200 for it, so "
        "nothing acknowledged is lost. Invalid pings are 400 naming `pings[i].field`, and "
        "nothing of the batch is stored.",
        operation_id="StorePings",
    )
    async def store_pings(
        seal_id: str, body: JsonBody, who: Annotated[Principal, Depends(seal_gateways)]
    ) -> Response:
        request = parse_body(body, seal_pb2.StreamPingsRequest())
        request.seal = f"seals/{seal_id}"
        stream: Any = b.seal.StreamPings  # an aio stream-stream call (the stubs type it sync)
        with naming(FieldNames(renames={"seal": "seal_id"})):
            acks = [
                ack
                async for ack in stream(
                    _one(request),
                    metadata=forwarded(who),
                    timeout=max(PINGS_TIMEOUT_SECONDS, gw.config.call_timeout_seconds),
                )
            ]
        if len(acks) != 1:
            raise RuntimeError(f"the seal service answered one batch with {len(acks)} acks")
        ack = MessageToDict(
            acks[0], preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
        del ack["acknowledged_requests"]  # always 1: one batch per request
        return json_response(ack)

    return api
