"""Entry and exit flows over the real API: passages, weights, barrier decisions, alerts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from customs.camera.v1 import camera_pb2, camera_pb2_grpc

from devstack.suite import Suite
from tests.camera.gates import (
    alerts_about,
    container_number,
    make_gate,
    now,
    plate_number,
    reason_codes,
    wait_processed,
)
from tests.support.stack import channel


@pytest.fixture(scope="module")
def stub(suite: Suite) -> camera_pb2_grpc.CameraServiceStub:
    return camera_pb2_grpc.CameraServiceStub(channel(suite, "camera"))


def test_reads_and_scale_readings_on_a_lane_make_one_passage(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    t, plate, number = now(), plate_number(), container_number()
    first = gate.read(gate.entry, t, plate, [(number, 0.97)]).passage
    gate.weigh(gate.entry, t + timedelta(seconds=3), 30_500.0, stable=False)
    gate.weigh(gate.entry, t + timedelta(seconds=5), 30_000.0)
    last = gate.read(gate.entry, t + timedelta(seconds=6), plate.lower(), [(number, 0.8)])
    assert last.passage.name == first.name
    assert last.passage.state == camera_pb2.PASSAGE_STATE_ASSEMBLING
    assert len(last.passage.recognition_events) == 2
    assert len(last.passage.scale_readings) == 2
    assert [c.number.value for c in last.passage.containers] == [number]
    closed = gate.close(first.name)
    assert closed.state == camera_pb2.PASSAGE_STATE_PROCESSED
    assert closed.direction == camera_pb2.LANE_DIRECTION_ENTRY
    assert closed.weight.gross_weight_kg == 30_000.0  # last stable reading
    assert not closed.HasField("decision")  # entries are not barrier-decided
    assert gate.close(first.name) == closed  # idempotent


def test_a_second_truck_closes_the_first_passage(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    t = now()
    first = gate.read(gate.entry, t, plate_number()).passage
    second = gate.read(gate.entry, t + timedelta(seconds=10), plate_number()).passage
    assert second.name != first.name
    assert wait_processed(gate, first.name).state == camera_pb2.PASSAGE_STATE_PROCESSED
    assert wait_processed(gate, second.name, 0).state == camera_pb2.PASSAGE_STATE_ASSEMBLING


def test_entry_weighing_is_the_tare_of_the_exit_and_a_discrepancy_is_alerted(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    plate, number, t = plate_number(), container_number(), now() - timedelta(minutes=30)
    empty = gate.read(gate.entry, t, plate).passage
    gate.weigh(gate.entry, t + timedelta(seconds=2), 15_000.0)
    gate.close(empty.name)
    declaration = camera_pb2.Declaration(
        reference="104123456789",
        declared_goods_weight_kg=12_000.0,
        declared_containers_tare_kg=3_800.0,
    )
    out = t + timedelta(minutes=20)
    exit_passage = gate.read(gate.exit, out, plate, [(number, 0.97)], declaration=declaration)
    gate.weigh(gate.exit, out + timedelta(seconds=4), 40_000.0)
    closed = gate.close(exit_passage.passage.name)
    weight = closed.weight
    assert weight.outcome == camera_pb2.WEIGHT_OUTCOME_DISCREPANCY
    assert weight.tare_source == camera_pb2.TARE_SOURCE_LAST_EMPTY_WEIGHING
    assert (weight.tare_kg, weight.net_weight_kg) == (15_000.0, 21_200.0)
    assert weight.difference_kg == 9_200.0 and weight.allowed_difference_kg == 600.0
    found = alerts_about(stub, suite, closed.name, {"WEIGHT_DISCREPANCY"})
    alert = found["WEIGHT_DISCREPANCY"].alert
    assert alert.container_number.value == number
    assert alert.site == gate.site and alert.evidence["net_kg"] == "21200.0"


def test_declared_tare_within_tolerance_is_no_finding(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    declaration = camera_pb2.Declaration(
        reference="104000000001",
        declared_goods_weight_kg=20_000.0,
        declared_vehicle_tare_kg=14_000.0,
    )
    passage = gate.read(gate.entry, now(), plate_number(), declaration=declaration).passage
    gate.weigh(gate.entry, now(), 34_300.0)
    weight = gate.close(passage.name).weight
    assert weight.outcome == camera_pb2.WEIGHT_OUTCOME_WITHIN_TOLERANCE
    assert weight.tare_source == camera_pb2.TARE_SOURCE_DECLARED


def test_unverified_container_at_exit_holds_with_its_proposals_and_alerts(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    valid = container_number(first_digit="0")
    misread = valid[:4] + "O" + valid[5:]
    passage = gate.read(gate.exit, now(), plate_number(), [(misread, 0.4)]).passage
    closed = gate.close(passage.name)
    assert closed.decision.action == camera_pb2.BARRIER_ACTION_HOLD
    assert reason_codes(closed) == ["CONTAINER_NUMBER_UNVERIFIED"]
    assert valid in closed.decision.reasons[0].text
    found = alerts_about(stub, suite, closed.name, {"BARRIER_HOLD", "UNVERIFIED_CONTAINER_AT_EXIT"})
    assert valid in found["UNVERIFIED_CONTAINER_AT_EXIT"].alert.evidence["proposals"]
    commands = stub.ListBarrierCommands(
        camera_pb2.ListBarrierCommandsRequest(parent=gate.exit), metadata=gate.device()
    ).barrier_commands
    assert [(c.passage, c.action, list(c.reasons)) for c in commands] == [
        (closed.name, camera_pb2.BARRIER_ACTION_HOLD, ["CONTAINER_NUMBER_UNVERIFIED"])
    ]


def test_exit_holds_on_a_container_read_no_correction_makes_valid(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    """The front camera reads the plate, the rear one only a wrong-length container number:
    the read is kept, so the passage is not an empty truck, and the exit holds and alerts."""
    gate = make_gate(suite, stub)
    rear = gate.second_camera()
    t, plate = now(), plate_number()
    passage = gate.read(gate.exit, t, plate).passage
    rear.read(gate.exit, t + timedelta(seconds=2), None, [("TSTU12345", 0.88)])
    gate.weigh(gate.exit, t + timedelta(seconds=3), 14_000.0)
    closed = gate.close(passage.name)
    assert [(c.text, c.status) for c in closed.containers] == [
        ("TSTU12345", camera_pb2.CONTAINER_READ_STATUS_UNVERIFIED)
    ]
    assert closed.decision.action == camera_pb2.BARRIER_ACTION_HOLD
    assert reason_codes(closed) == ["CONTAINER_NUMBER_UNVERIFIED"]
    assert "no OCR correction" in closed.decision.reasons[0].text
    found = alerts_about(stub, suite, closed.name, {"BARRIER_HOLD", "UNVERIFIED_CONTAINER_AT_EXIT"})
    unverified = found["UNVERIFIED_CONTAINER_AT_EXIT"].alert
    assert unverified.evidence["raw_text"] == "TSTU12345"
    assert not unverified.HasField("container_number")  # not a number: no container named


def test_exit_without_container_read_opens_only_when_weighed_empty(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    t, plate = now() - timedelta(hours=1), plate_number()
    entry = gate.read(gate.entry, t, plate).passage
    gate.weigh(gate.entry, t + timedelta(seconds=4), 15_000.0)  # its empty weighing
    gate.close(entry.name)
    empty = gate.read(gate.exit, t + timedelta(minutes=30), plate).passage
    gate.weigh(gate.exit, t + timedelta(minutes=30, seconds=4), 15_200.0)
    opened = gate.close(empty.name)
    assert opened.decision.action == camera_pb2.BARRIER_ACTION_OPEN
    assert opened.weight.tare_source == camera_pb2.TARE_SOURCE_LAST_EMPTY_WEIGHING
    laden = gate.read(gate.exit, t + timedelta(minutes=40), plate).passage
    gate.weigh(gate.exit, t + timedelta(minutes=40, seconds=4), 31_000.0)
    held = gate.close(laden.name)
    assert reason_codes(held) == ["CONTAINER_NOT_READ"]
    assert "gross 31000 kg, tare 15200 kg" in held.decision.reasons[0].text  # the last empty
    unweighed = gate.read(gate.exit, t + timedelta(minutes=50), plate_number()).passage
    assert reason_codes(gate.close(unweighed.name)) == ["CONTAINER_NOT_READ"]


def test_watch_alerts_resumes_after_the_token(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    passage = gate.read(gate.exit, now(), None, [(container_number(), 0.97)]).passage
    closed = gate.close(passage.name)
    assert "PLATE_NOT_READ" in reason_codes(closed)
    hold = alerts_about(stub, suite, closed.name, {"BARRIER_HOLD"})["BARRIER_HOLD"]
    second = gate.read(gate.exit, now() + timedelta(minutes=5), None, [(container_number(), 0.97)])
    gate.close(second.passage.name)
    seen: list[str] = []
    resumed = alerts_about(
        stub, suite, second.passage.name, {"BARRIER_HOLD"}, hold.resume_token, seen
    )
    assert hold.alert.name not in seen  # nothing up to the token is sent again
    assert resumed["BARRIER_HOLD"].alert.name == seen[-1]
    assert resumed["BARRIER_HOLD"].resume_token != hold.resume_token


def test_concurrent_events_of_one_lane_join_one_passage(
    suite: Suite, stub: camera_pb2_grpc.CameraServiceStub
) -> None:
    gate = make_gate(suite, stub)
    plate, t = plate_number(), now()
    with ThreadPoolExecutor(max_workers=6) as pool:
        replies = list(
            pool.map(lambda i: gate.read(gate.entry, t + timedelta(seconds=i), plate), range(6))
        )
    names = {reply.passage.name for reply in replies}
    assert len(names) == 1
    final = gate.close(names.pop())
    assert len(final.recognition_events) == 6
