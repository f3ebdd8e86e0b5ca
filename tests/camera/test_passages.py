"""Passage assembly from camera reads and scale readings."""

from __future__ import annotations

import pytest

from services.camera.domain.errors import DomainValidationError
from services.camera.domain.passages import (
    AssemblyConfig,
    Direction,
    LaneEvent,
    PassageAssembler,
    assemble,
    confirm_passage_container,
)
from services.camera.domain.reads import ContainerReadStatus, SealPresence
from tests.camera.factories import ENTRY_LANE, EXIT_LANE, LANES, T0, at, camera, scale


def test_reads_and_scale_within_the_window_make_one_passage() -> None:
    events: list[LaneEvent] = [
        camera(0, "51C-123.45", ("CSQU3054383",)),
        camera(2, "51c12345", ("CSQU3054383",), camera_id="cam-rear", confidence=0.8),
        scale(5, 38_000.0, stable=False),
        scale(8, 38_200.0),
        scale(9, 38_150.0, stable=False),
    ]
    (passage,) = list(assemble(events, LANES))
    assert passage.direction is Direction.EXIT
    assert passage.started_at == T0
    assert passage.ended_at == at(9)
    assert passage.plate is not None
    assert passage.plate.plate.text == "51C-123.45"
    assert passage.plate.confidence == 0.97
    assert [read.number for read in passage.containers] == ["CSQU3054383"]
    assert passage.gross_kg == 38_200.0  # last stable reading
    assert passage.key == "CL-G1-OUT-1/20261123T080000.000000Z"
    assert passage.subject == "51C-123.45"


def test_two_trucks_close_together_are_two_passages() -> None:
    events: list[LaneEvent] = [
        camera(0, "51C-123.45", ("CSQU3054383",)),
        scale(4, 38_000.0),
        camera(10, "29A-1234", ("MSKU9070323",)),
        scale(14, 30_000.0),
    ]
    first, second = list(assemble(events, LANES))
    assert first.plate is not None and first.plate.plate.text == "51C-123.45"
    assert first.gross_kg == 38_000.0
    assert [read.number for read in first.containers] == ["CSQU3054383"]
    assert second.plate is not None and second.plate.plate.text == "29A-1234"
    assert second.gross_kg == 30_000.0
    assert second.started_at == at(10)


def test_same_plate_after_the_window_starts_a_new_passage() -> None:
    events = [camera(0, "51C-123.45"), camera(91, "51C-123.45")]
    passages = list(assemble(events, LANES, AssemblyConfig()))
    assert [p.started_at for p in passages] == [at(0), at(91)]


def test_event_on_another_lane_closes_expired_passages() -> None:
    assembler = PassageAssembler(LANES)
    assert assembler.add(camera(0, "51C-123.45")) == []
    closed = assembler.add(camera(100, "29A-1234", lane=ENTRY_LANE))
    assert [p.lane for p in closed] == [EXIT_LANE]
    assert [p.lane for p in assembler.flush()] == [ENTRY_LANE]
    assert assembler.flush() == []


def test_close_expired_by_clock() -> None:
    assembler = PassageAssembler(LANES, AssemblyConfig())
    assembler.add(camera(0, "51C-123.45"))
    assert assembler.close_expired(at(90)) == []
    assert len(assembler.close_expired(at(90.5))) == 1


def test_scale_first_then_plate_is_one_passage() -> None:
    events: list[LaneEvent] = [scale(0, 15_000.0), camera(3, "51C-123.45")]
    (passage,) = list(assemble(events, LANES))
    assert passage.gross_kg == 15_000.0
    assert passage.plate is not None


def test_lanes_are_independent() -> None:
    events = [camera(0, "51C-123.45"), camera(1, "29A-1234", lane=ENTRY_LANE)]
    passages = list(assemble(events, LANES))
    assert {p.lane.lane_id for p in passages} == {EXIT_LANE.lane_id, ENTRY_LANE.lane_id}


def test_container_reads_merge_and_misreads_are_kept() -> None:
    events: list[LaneEvent] = [
        camera(0, "51C-123.45", ("CSQU3054383",), confidence=0.7),
        camera(1, None, ("CSQU3054383", "MSKU9O7O32"), confidence=0.9, camera_id="rear"),
        camera(2, None, ("MSKU9O7O32",), confidence=0.6, camera_id="top"),
    ]
    (passage,) = list(assemble(events, LANES))
    containers = passage.containers
    assert [read.label for read in containers] == ["CSQU3054383", "MSKU9O7O32"]
    assert containers[0].confidence == 0.9
    assert containers[1].status is ContainerReadStatus.UNVERIFIED
    assert containers[1].confidence == 0.9


def test_misread_is_not_merged_into_a_verified_neighbour() -> None:
    events = [camera(0, "51C-123.45", ("CSQU3054383", "CSQU3O54383"), confidence=0.5)]
    (passage,) = list(assemble(events, LANES))
    assert len(passage.containers) == 2


def test_seal_presence_aggregation() -> None:
    events: list[LaneEvent] = [
        camera(0, "51C-123.45", seal=SealPresence.ABSENT),
        camera(1, None, seal=SealPresence.PRESENT),
    ]
    (passage,) = list(assemble(events, LANES))
    assert passage.seal is SealPresence.PRESENT
    (quiet,) = list(assemble([camera(0, "51C-123.45")], LANES))
    assert quiet.seal is SealPresence.NOT_OBSERVED


def test_officer_confirms_a_misread_in_a_passage() -> None:
    (passage,) = list(assemble([camera(0, "51C-123.45", ("CSQU3O54383",), confidence=0.5)], LANES))
    assert not passage.containers[0].verified
    confirmed = confirm_passage_container(passage, "CSQU3O54383", "CSQU3054383", "officer-1")
    assert [read.status for read in confirmed.containers] == [ContainerReadStatus.CONFIRMED]
    with pytest.raises(DomainValidationError) as caught:
        confirm_passage_container(passage, "MSKU9070323", "MSKU9070323", "officer-1")
    assert caught.value.field == "raw_text"


def test_out_of_order_and_unknown_lane_are_rejected() -> None:
    assembler = PassageAssembler(LANES)
    assembler.add(camera(10, "51C-123.45"))
    with pytest.raises(DomainValidationError) as late:
        assembler.add(camera(5, "29A-1234"))
    assert late.value.field == "observed_at"
    with pytest.raises(DomainValidationError) as unknown:
        PassageAssembler([ENTRY_LANE]).add(camera(0, "51C-123.45"))
    assert unknown.value.field == "lane_id"


def test_window_must_be_positive() -> None:
    with pytest.raises(DomainValidationError):
        AssemblyConfig(window=at(0) - at(1))
