"""Gates, lanes and cameras over the real API."""

from __future__ import annotations

import grpc
import pytest
from customs.camera.v1 import camera_pb2, camera_pb2_grpc

from devstack.suite import Suite
from tests.camera.gates import make_gate
from tests.support.stack import auth, channel, raises_status


@pytest.fixture(scope="module")
def stub(suite: Suite) -> camera_pb2_grpc.CameraServiceStub:
    return camera_pb2_grpc.CameraServiceStub(channel(suite, "camera"))


def test_gate_lanes_and_camera_are_listed(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub, country_hint="KH")
    anyone = auth(suite.token("aud", "auditor"))
    gates = stub.ListGates(camera_pb2.ListGatesRequest(parent=gate.site), metadata=anyone).gates
    assert [g.name for g in gates] == [f"{gate.site}/gates/g1"]
    lanes = stub.ListLanes(camera_pb2.ListLanesRequest(parent=gates[0].name), metadata=anyone).lanes
    assert [(ln.name, ln.direction, ln.country_hint) for ln in lanes] == [
        (gate.entry, camera_pb2.LANE_DIRECTION_ENTRY, "KH"),
        (gate.exit, camera_pb2.LANE_DIRECTION_EXIT, "KH"),
    ]
    cameras = stub.ListCameras(
        camera_pb2.ListCamerasRequest(parent=gate.site), metadata=anyone
    ).cameras
    assert [(c.name, c.lane, c.stream_address) for c in cameras] == [
        (gate.camera, gate.exit, "rtsp://10.0.0.1/ocr1")
    ]


def test_gate_ocr_camera_needs_a_lane_of_its_site(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    request = camera_pb2.CreateCameraRequest(
        parent=gate.site,
        camera_id="ocr-x",
        camera=camera_pb2.Camera(display_name="x", kind=camera_pb2.CAMERA_KIND_GATE_OCR),
    )
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.CreateCamera(request, metadata=gate.supervisor())
    assert error["violations"] == ["camera.lane"]
    request.camera.lane = "sites/elsewhere/gates/g1/lanes/out-1"
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.CreateCamera(request, metadata=gate.supervisor())
    assert error["violations"] == ["camera.lane"]


def test_lane_of_unknown_gate_is_not_found(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    with raises_status(grpc.StatusCode.NOT_FOUND):
        stub.CreateLane(
            camera_pb2.CreateLaneRequest(
                parent="sites/nowhere/gates/g1",
                lane_id="l1",
                lane=camera_pb2.Lane(display_name="l", direction=camera_pb2.LANE_DIRECTION_EXIT),
            ),
            metadata=auth(suite.token("sup", "supervisor")),
        )


def test_only_supervisors_lay_out_gates(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    with raises_status(grpc.StatusCode.PERMISSION_DENIED):
        stub.CreateGate(
            camera_pb2.CreateGateRequest(
                parent="sites/x", gate_id="g", gate=camera_pb2.Gate(display_name="g")
            ),
            metadata=auth(suite.token("o", "officer")),
        )
