"""A running scanner or seal service stops: exits hold, naming it; once it is back, they open.

The module runs a scanner, a seal and a camera service of its own (the session's services
stay up for the other tests) and stops and restarts one dependency at a time. The camera
service keeps its channels: the hold ends because it reconnects within its call deadline, not
because anything restarted it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from customs.camera.v1 import camera_pb2, camera_pb2_grpc

from devstack.stores import Stores
from devstack.suite import Suite
from tests.camera.gates import Gate, container_number, make_gate, now, plate_number
from tests.support.stack import channel


@pytest.fixture(scope="module")
def own(stack_root: Path, stores: Stores) -> Iterator[Suite]:
    suite = Suite(stack_root, stores, namespace=f"x{uuid.uuid4().hex[:8]}")
    try:
        suite.start("scanner")
        suite.start("seal")
        suite.start("camera", {"CAMERA_DEPENDENCY_TIMEOUT_SECONDS": "2"})
        yield suite
    finally:
        suite.stop()


def _cleared_exit(gate: Gate) -> tuple[str, camera_pb2.Passage]:
    """An exit with a container never scanned and never sealed: OPEN when both can say so."""
    number = container_number()
    passage = gate.read(gate.exit, now(), plate_number(), [(number, 0.97)]).passage
    return number, gate.close(passage.name)


@pytest.mark.parametrize(
    ("service", "code"), [("scanner", "SCAN_STATUS_UNKNOWN"), ("seal", "SEAL_STATUS_UNKNOWN")]
)
def test_a_stopped_dependency_holds_exits_until_it_is_back(
    own: Suite, service: str, code: str
) -> None:
    gate = make_gate(own, camera_pb2_grpc.CameraServiceStub(channel(own, "camera")))
    _, before = _cleared_exit(gate)
    assert before.decision.action == camera_pb2.BARRIER_ACTION_OPEN

    own.stop_service(service)
    number, held = _cleared_exit(gate)
    assert held.decision.action == camera_pb2.BARRIER_ACTION_HOLD
    assert [(r.code, r.subject) for r in held.decision.reasons] == [(code, number)]
    assert f"{service}: unavailable" in held.decision.reasons[0].text.lower()

    own.start(service)
    _, after = _cleared_exit(gate)
    assert after.decision.action == camera_pb2.BARRIER_ACTION_OPEN
    assert list(after.decision.reasons) == []
