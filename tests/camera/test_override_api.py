"""Supervisor overrides of held exit barriers: roles, mandatory reason, audit, alert."""

from __future__ import annotations

import grpc
import pytest
from customs.camera.v1 import camera_pb2, camera_pb2_grpc

from devstack.suite import Suite
from tests.camera.gates import Gate, alerts_about, container_number, make_gate, now, plate_number
from tests.support.stack import auth, channel, raises_status


@pytest.fixture(scope="module")
def stub(suite: Suite) -> camera_pb2_grpc.CameraServiceStub:
    return camera_pb2_grpc.CameraServiceStub(channel(suite, "camera"))


def held_exit(gate: Gate) -> camera_pb2.Passage:
    """An exit held whatever scanner and seal say: the container read is unverified."""
    valid = container_number(first_digit="0")
    passage = gate.read(gate.exit, now(), plate_number(), [(valid[:4] + "O" + valid[5:], 0.3)])
    closed = gate.close(passage.passage.name)
    assert closed.decision.action == camera_pb2.BARRIER_ACTION_HOLD
    return closed


def test_override_needs_the_supervisor_role(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    held = held_exit(gate)
    for role in ("officer", "device", "auditor"):
        with raises_status(grpc.StatusCode.PERMISSION_DENIED):
            stub.OverrideBarrier(
                camera_pb2.OverrideBarrierRequest(name=held.name, reason="checked by hand"),
                metadata=auth(suite.token("someone", role)),
            )


def test_override_reason_is_mandatory(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    held = held_exit(gate)
    with raises_status(grpc.StatusCode.INVALID_ARGUMENT) as error:
        stub.OverrideBarrier(
            camera_pb2.OverrideBarrierRequest(name=held.name, reason="  "),
            metadata=gate.supervisor(),
        )
    assert error["violations"] == ["reason"]


def test_override_is_recorded_commanded_and_alerted_once(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    held = held_exit(gate)
    reply = stub.OverrideBarrier(
        camera_pb2.OverrideBarrierRequest(
            name=held.name, reason="Container number checked on the doors: matches"
        ),
        metadata=gate.supervisor(),
    )
    assert reply.passage.override.supervisor == "sup-1"
    assert reply.passage.override.reason == "Container number checked on the doors: matches"
    assert reply.passage.decision == held.decision  # the decision itself is kept
    assert reply.command.action == camera_pb2.BARRIER_ACTION_OPEN
    assert (reply.command.issued_by, list(reply.command.reasons)) == (
        "sup-1",
        ["SUPERVISOR_OVERRIDE"],
    )
    commands = stub.ListBarrierCommands(
        camera_pb2.ListBarrierCommandsRequest(parent=gate.exit), metadata=gate.officer()
    ).barrier_commands
    assert [c.action for c in commands] == [
        camera_pb2.BARRIER_ACTION_HOLD,
        camera_pb2.BARRIER_ACTION_OPEN,
    ]
    alert = alerts_about(stub, suite, held.name, {"OVERRIDE"})["OVERRIDE"].alert
    assert alert.evidence["supervisor_id"] == "sup-1"
    assert "checked on the doors" in alert.evidence["override_reason"]
    with raises_status(grpc.StatusCode.FAILED_PRECONDITION) as error:
        stub.OverrideBarrier(
            camera_pb2.OverrideBarrierRequest(name=held.name, reason="again"),
            metadata=gate.supervisor(),
        )
    assert error["preconditions"] == [("STATE", held.name)]


def test_an_open_or_entry_passage_cannot_be_overridden(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    entry = gate.read(gate.entry, now(), plate_number()).passage
    gate.close(entry.name)
    with raises_status(grpc.StatusCode.FAILED_PRECONDITION):
        stub.OverrideBarrier(
            camera_pb2.OverrideBarrierRequest(name=entry.name, reason="x"),
            metadata=gate.supervisor(),
        )
    cleared = gate.read(gate.exit, now(), plate_number(), [(container_number(), 0.97)]).passage
    closed = gate.close(cleared.name)  # never scanned, no seal: opens
    assert closed.decision.action == camera_pb2.BARRIER_ACTION_OPEN
    with raises_status(grpc.StatusCode.FAILED_PRECONDITION) as error:
        stub.OverrideBarrier(
            camera_pb2.OverrideBarrierRequest(name=closed.name, reason="x"),
            metadata=gate.supervisor(),
        )
    assert error["reason"] == "ILLEGAL_TRANSITION"
