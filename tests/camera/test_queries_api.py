"""Passage queries and last sightings over the real API."""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest
from customs.camera.v1 import camera_pb2, camera_pb2_grpc
from customs.common.v1 import container_pb2

from devstack.suite import Suite
from tests.camera.gates import container_number, make_gate, now, plate_number, stamp
from tests.support.stack import auth, channel, raises_status


@pytest.fixture(scope="module")
def stub(suite: Suite) -> camera_pb2_grpc.CameraServiceStub:
    return camera_pb2_grpc.CameraServiceStub(channel(suite, "camera"))


def test_passages_by_container_plate_lane_and_time_and_last_sighting(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    officer = auth(suite.token("o", "officer"))
    number, plate, t = container_number(), plate_number(), now() - timedelta(hours=1)
    entry = gate.read(gate.entry, t, plate, [(number, 0.97)]).passage
    exit_ = gate.read(gate.exit, t + timedelta(minutes=40), plate, [(number, 0.97)]).passage
    other = gate.read(gate.entry, t + timedelta(minutes=10), plate_number()).passage

    def names(**filters: object) -> list[str]:
        request = camera_pb2.ListPassagesRequest(**filters)  # type: ignore[arg-type]
        return [p.name for p in stub.ListPassages(request, metadata=officer).passages]

    by_container = container_pb2.ContainerNumber(value=number.lower())
    # newest first, whatever the lane: what an officer tracing a container or a truck wants
    assert names(parent="sites/-", container_number=by_container) == [exit_.name, entry.name]
    assert names(parent=gate.site, plate=plate.replace("-", " ")) == [exit_.name, entry.name]
    assert names(parent=gate.entry) == [other.name, entry.name]
    window = {
        "start_time": stamp(t + timedelta(minutes=5)),
        "end_time": stamp(t + timedelta(minutes=50)),
    }
    assert names(parent=gate.site, **window) == [exit_.name, other.name]

    first = stub.ListPassages(
        camera_pb2.ListPassagesRequest(parent=gate.site, page_size=2), metadata=officer
    )
    assert len(first.passages) == 2 and first.next_page_token
    rest = stub.ListPassages(
        camera_pb2.ListPassagesRequest(
            parent=gate.site, page_size=2, page_token=first.next_page_token
        ),
        metadata=officer,
    )
    assert [p.name for p in [*first.passages, *rest.passages]] == [
        exit_.name,
        other.name,
        entry.name,
    ]
    assert not rest.next_page_token
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.ListPassages(
            camera_pb2.ListPassagesRequest(
                parent=gate.entry, page_size=2, page_token=first.next_page_token
            ),
            metadata=officer,
        )
    assert error["violations"] == ["page_token"]

    last = stub.GetLastSighting(
        camera_pb2.GetLastSightingRequest(container_number=by_container), metadata=officer
    ).passage
    assert last.name == exit_.name and last.direction == camera_pb2.LANE_DIRECTION_EXIT
    by_plate = stub.GetLastSighting(
        camera_pb2.GetLastSightingRequest(plate=plate.lower()), metadata=officer
    ).passage
    assert by_plate.name == exit_.name


def test_passages_that_started_together_page_by_name_descending(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    """Ties on the start time are broken by name, so paging neither repeats nor skips."""
    gate = make_gate(suite, stub)
    officer = auth(suite.token("o", "officer"))
    t = now() - timedelta(hours=2)
    both = {gate.read(lane, t, plate_number()).passage.name for lane in (gate.entry, gate.exit)}
    later = gate.read(gate.entry, t + timedelta(minutes=3), plate_number()).passage.name
    seen: list[str] = []
    token = ""
    while True:
        reply = stub.ListPassages(
            camera_pb2.ListPassagesRequest(parent=gate.site, page_size=1, page_token=token),
            metadata=officer,
        )
        seen += [p.name for p in reply.passages]
        token = reply.next_page_token
        if not token:
            break
    assert seen == [later, *sorted(both, reverse=True)]


def test_query_errors(suite: Suite, stub: camera_pb2_grpc.CameraServiceStub) -> None:
    officer = auth(suite.token("o", "officer"))
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.ListPassages(
            camera_pb2.ListPassagesRequest(
                parent="sites/-",
                container_number=container_pb2.ContainerNumber(value="CSQU3054384"),
            ),
            metadata=officer,
        )
    assert error["violations"] == ["container_number.value"]
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.GetLastSighting(camera_pb2.GetLastSightingRequest(), metadata=officer)
    assert error["violations"] == ["container_number"]
    with raises_status(grpc.StatusCode.NOT_FOUND):
        stub.GetLastSighting(
            camera_pb2.GetLastSightingRequest(plate=plate_number()), metadata=officer
        )
    with raises_status(grpc.StatusCode.PERMISSION_DENIED):
        stub.ListPassages(
            camera_pb2.ListPassagesRequest(parent="sites/-"),
            metadata=auth(suite.token("d", "device")),
        )
