"""Exit decisions through the real scanner and seal services.

Data in scanner and seal is made through their public RPCs only (a scan uploaded and held, a
sealed transit attached, armed and pinged). A sealed transit's gates are camera sites made with
the seal service's site ids of its origin and destination: both services name them
``sites/{site_id}``, and the camera matches them by name. The fail-closed tests run a camera
service of their own whose seal dependency is down (a closed port) while the scanner is the
session's real one; the same service is restarted to show that passage assembly survives.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from customs.camera.v1 import camera_pb2, camera_pb2_grpc
from customs.seal.v1 import seal_pb2

from devstack.processes import free_port
from devstack.stores import Stores
from devstack.suite import Suite
from tests.camera.gates import (
    Gate,
    container_number,
    make_gate,
    now,
    plate_number,
    reason_codes,
    wait_processed,
)
from tests.camera.scans import held_scan, release
from tests.camera.seals import Stage, sealed_transit
from tests.support.stack import channel


@pytest.fixture(scope="module")
def stub(suite: Suite) -> camera_pb2_grpc.CameraServiceStub:
    return camera_pb2_grpc.CameraServiceStub(channel(suite, "camera"))


@pytest.fixture(scope="module")
def seal_down(stack_root: Path, stores: Stores, suite: Suite) -> Iterator[Suite]:
    """A camera service whose SEAL_ADDRESS points at a closed port; the real scanner."""
    own = Suite(stack_root, stores, namespace=f"x{uuid.uuid4().hex[:8]}")
    try:
        own.start(
            "camera",
            {
                "SCANNER_ADDRESS": suite.services["scanner"].address,
                "SEAL_ADDRESS": f"127.0.0.1:{free_port()}",
                "CAMERA_DEPENDENCY_TIMEOUT_SECONDS": "1",
            },
        )
        yield own
    finally:
        own.stop()


@pytest.fixture(scope="module")
def short_window(stack_root: Path, stores: Stores, suite: Suite) -> Iterator[Suite]:
    """A camera service with a 1 s assembly window, swept often, using the real scanner
    and seal services."""
    own = Suite(stack_root, stores, namespace=f"x{uuid.uuid4().hex[:8]}")
    try:
        own.start(
            "camera",
            {
                "SCANNER_ADDRESS": suite.services["scanner"].address,
                "SEAL_ADDRESS": suite.services["seal"].address,
                "CAMERA_PASSAGE_WINDOW_SECONDS": "1",
                "CAMERA_SWEEP_SECONDS": "0.3",
            },
        )
        yield own
    finally:
        own.stop()


def test_an_exit_whose_window_passed_is_decided_without_being_closed(
    short_window: Suite,
) -> None:
    gate = _gate(short_window)
    passage = gate.read(gate.exit, now(), plate_number(), [(container_number(), 0.97)]).passage
    assert passage.state == camera_pb2.PASSAGE_STATE_ASSEMBLING
    decided = wait_processed(gate, passage.name)
    assert decided.state == camera_pb2.PASSAGE_STATE_PROCESSED
    assert decided.decision.action == camera_pb2.BARRIER_ACTION_OPEN  # never scanned, no seal
    commands = gate.stub.ListBarrierCommands(
        camera_pb2.ListBarrierCommandsRequest(parent=gate.exit), metadata=gate.device()
    ).barrier_commands
    assert [c.passage for c in commands] == [passage.name]


def _gate(own: Suite) -> Gate:
    return make_gate(own, camera_pb2_grpc.CameraServiceStub(channel(own, "camera")))


def test_seal_service_down_holds_the_exit_with_that_reason(seal_down: Suite) -> None:
    gate = _gate(seal_down)
    number = container_number()
    passage = gate.read(gate.exit, now(), plate_number(), [(number, 0.97)]).passage
    gate.weigh(gate.exit, now(), 31_000.0)
    closed = gate.close(passage.name)
    assert closed.decision.action == camera_pb2.BARRIER_ACTION_HOLD
    seal = [r for r in closed.decision.reasons if r.code == "SEAL_STATUS_UNKNOWN"]
    assert len(seal) == 1 and seal[0].subject == number
    assert "UNAVAILABLE" in seal[0].text or "deadline" in seal[0].text
    assert reason_codes(closed) == ["SEAL_STATUS_UNKNOWN"]  # the scanner answered: no hold


def test_open_passage_survives_a_restart(seal_down: Suite) -> None:
    gate = _gate(seal_down)
    plate, t = plate_number(), now()
    first = gate.read(gate.exit, t, plate, event_id="before-restart")
    seal_down.stop_service("camera")
    seal_down.start("camera", {k: v for k, v in seal_down.services["camera"].env.items()})
    gate = Gate(
        camera_pb2_grpc.CameraServiceStub(channel(seal_down, "camera")),
        seal_down,
        gate.site,
        gate.entry,
        gate.exit,
        gate.camera,
    )
    retried = gate.read(gate.exit, t, plate, event_id="before-restart")
    assert retried.recognition_event == first.recognition_event
    second = gate.read(gate.exit, t + timedelta(seconds=4), plate)
    assert second.passage.name == first.passage.name
    assert second.passage.state == camera_pb2.PASSAGE_STATE_ASSEMBLING
    assert len(second.passage.recognition_events) == 2


def test_cleared_container_opens_the_exit(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    """Never scanned (no hold) and no seal attached: the barrier opens."""
    gate = make_gate(suite, stub)
    passage = gate.read(gate.exit, now(), plate_number(), [(container_number(), 0.97)]).passage
    closed = gate.close(passage.name)
    assert reason_codes(closed) == []
    assert closed.decision.action == camera_pb2.BARRIER_ACTION_OPEN


def gate_at(suite: Suite, stub: camera_pb2_grpc.CameraServiceStub, site: str) -> Gate:
    """A gate of the camera site named like the seal service's ``site`` ("sites/{site_id}")."""
    return make_gate(suite, stub, site_id=site.removeprefix("sites/"))


def leave(gate: Gate, number: str) -> camera_pb2.Passage:
    """A truck carrying ``number`` through the gate's exit lane, decided."""
    passage = gate.read(gate.exit, now(), plate_number(), [(number, 0.97)]).passage
    return gate.close(passage.name)


def test_sealed_armed_container_leaves_its_origin_and_is_held_off_its_transit(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    number = container_number()
    transit = sealed_transit(suite, number, "armed")
    at_origin = leave(gate_at(suite, stub, transit.origin), number)
    assert reason_codes(at_origin) == []
    assert at_origin.decision.action == camera_pb2.BARRIER_ACTION_OPEN
    elsewhere = make_gate(suite, stub)  # a site on no transit of this container
    off = leave(elsewhere, number)
    assert reason_codes(off) == ["SEAL_NOT_ARRIVED"]
    assert off.decision.action == camera_pb2.BARRIER_ACTION_HOLD
    text = off.decision.reasons[0].text
    assert "off its sealed transit" in text and transit.origin in text and elsewhere.site in text


@pytest.mark.parametrize(
    ("until", "end", "lock", "codes"),
    [
        ("attached", "origin", seal_pb2.LOCK_STATE_CLOSED, ["SEAL_NOT_ARMED"]),
        ("arrived", "destination", seal_pb2.LOCK_STATE_CLOSED, []),
        ("on the road", "destination", seal_pb2.LOCK_STATE_CLOSED, ["SEAL_NOT_ARRIVED"]),
        ("arrived", "destination", seal_pb2.LOCK_STATE_OPENED, ["SEAL_NOT_INTACT"]),
    ],
)
def test_sealed_container_at_an_end_of_its_transit(
    suite: Suite,
    stub: camera_pb2_grpc.CameraServiceStub,
    until: Stage,
    end: str,
    lock: int,
    codes: list[str],
) -> None:
    """Not armed at the origin, arrived or not at the destination, opened on the road."""
    number = container_number()
    transit = sealed_transit(suite, number, until, lock=lock)
    closed = leave(gate_at(suite, stub, getattr(transit, end)), number)
    assert reason_codes(closed) == codes
    held = camera_pb2.BARRIER_ACTION_HOLD if codes else camera_pb2.BARRIER_ACTION_OPEN
    assert closed.decision.action == held
    assert all(r.subject == number and transit.seal in r.text for r in closed.decision.reasons)


def test_open_scan_hold_holds_the_exit_until_the_inspection_releases_it(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    number = container_number()
    scan = held_scan(suite, number, "dense block behind the textiles")
    first = gate.read(gate.exit, now(), plate_number(), [(number, 0.97)]).passage
    held = gate.close(first.name)
    assert reason_codes(held) == ["SCAN_HOLD_OPEN"]
    assert scan in held.decision.reasons[0].text
    assert "dense block" in held.decision.reasons[0].text
    release(suite, scan)
    again = gate.read(gate.exit, now() + timedelta(minutes=5), plate_number(), [(number, 0.97)])
    cleared = gate.close(again.passage.name)
    assert reason_codes(cleared) == []
    assert cleared.decision.action == camera_pb2.BARRIER_ACTION_OPEN
