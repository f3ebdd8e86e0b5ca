"""Tare choice, net weight and the weight-discrepancy finding."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.camera.domain.alerts import AlertKind, Severity, SubjectKind
from services.camera.domain.errors import DomainValidationError
from services.camera.domain.weighing import (
    EmptyWeighing,
    Load,
    Tare,
    TareSource,
    WeightConfig,
    WeightOutcome,
    check_weight,
    choose_tare,
    is_empty_weighing,
    vehicle_load,
    weight_alert,
)
from tests.camera.factories import T0

CONFIG = WeightConfig(relative_tolerance=0.05, absolute_tolerance_kg=300.0)
EMPTY = EmptyWeighing("51C12345", 14_000.0, T0 - timedelta(days=3))


def test_recent_empty_weighing_is_the_tare() -> None:
    tare = choose_tare(T0, EMPTY, 15_000.0, CONFIG)
    assert tare == Tare(14_000.0, TareSource.LAST_EMPTY_WEIGHING, EMPTY.weighed_at)


def test_old_empty_weighing_falls_back_to_declared_tare() -> None:
    old = EmptyWeighing("51C12345", 14_000.0, T0 - timedelta(days=31))
    assert choose_tare(T0, old, 15_000.0, CONFIG) == Tare(15_000.0, TareSource.DECLARED)
    assert choose_tare(T0, old, None, CONFIG) is None
    assert choose_tare(T0, None, None, CONFIG) is None


def test_empty_weighing_from_the_future_is_not_used() -> None:
    future = EmptyWeighing("51C12345", 14_000.0, T0 + timedelta(minutes=1))
    assert choose_tare(T0, future, 15_000.0, CONFIG) == Tare(15_000.0, TareSource.DECLARED)


def test_within_tolerance() -> None:
    tare = Tare(14_000.0, TareSource.DECLARED)
    check = check_weight(38_200.0, tare, 20_000.0, CONFIG, containers_tare_kg=3_800.0)
    assert check.net_kg == pytest.approx(20_400.0)
    assert check.difference_kg == pytest.approx(400.0)
    assert check.allowed_kg == pytest.approx(1_000.0)  # 5 % of 20 t beats 300 kg
    assert check.outcome is WeightOutcome.WITHIN_TOLERANCE
    assert not check.is_finding
    alert = weight_alert(check, subject="x", subject_kind=SubjectKind.PLATE, lane_id="l", at=T0)
    assert alert is None


def test_relative_tolerance_exceeded_is_a_finding() -> None:
    tare = Tare(14_000.0, TareSource.LAST_EMPTY_WEIGHING, T0)
    check = check_weight(39_000.0, tare, 20_000.0, CONFIG, containers_tare_kg=3_800.0)
    assert check.difference_kg == pytest.approx(1_200.0)
    assert check.outcome is WeightOutcome.DISCREPANCY
    alert = weight_alert(
        check, subject="CSQU3054383", subject_kind=SubjectKind.CONTAINER, lane_id="L1", at=T0
    )
    assert alert is not None
    assert alert.kind is AlertKind.WEIGHT_DISCREPANCY
    assert alert.severity is Severity.WARNING
    assert "heavier" in alert.message
    assert alert.evidence["tare_source"] == "LAST_EMPTY_WEIGHING"
    assert alert.evidence["net_kg"] == "21200.0"


def test_absolute_tolerance_governs_light_loads() -> None:
    tare = Tare(14_000.0, TareSource.DECLARED)
    # declared 2 t: 5 % is 100 kg, the absolute 300 kg applies.
    assert check_weight(16_250.0, tare, 2_000.0, CONFIG).outcome is WeightOutcome.WITHIN_TOLERANCE
    light = check_weight(15_600.0, tare, 2_000.0, CONFIG)
    assert light.difference_kg == pytest.approx(-400.0)
    assert light.outcome is WeightOutcome.DISCREPANCY
    alert = weight_alert(light, subject="x", subject_kind=SubjectKind.PLATE, lane_id="l", at=T0)
    assert alert is not None
    assert alert.severity is Severity.WARNING
    assert "lighter" in alert.message


def test_far_beyond_tolerance_is_high_severity() -> None:
    tare = Tare(14_000.0, TareSource.DECLARED)
    check = check_weight(15_000.0, tare, 2_000.0, CONFIG)  # 1 t lighter, tolerance 300 kg
    alert = weight_alert(check, subject="x", subject_kind=SubjectKind.PLATE, lane_id="l", at=T0)
    assert alert is not None
    assert alert.severity is Severity.HIGH


def test_missing_inputs_mean_not_checked() -> None:
    tare = Tare(14_000.0, TareSource.DECLARED)
    assert check_weight(None, tare, 2_000.0).missing == ("gross",)
    unchecked = check_weight(30_000.0, None, None)
    assert unchecked.outcome is WeightOutcome.NOT_CHECKED
    assert unchecked.missing == ("tare", "declared")
    assert unchecked.net_kg is None


def test_vehicle_load_from_gross_and_tare() -> None:
    tare = Tare(14_000.0, TareSource.LAST_EMPTY_WEIGHING, T0)
    assert vehicle_load(14_300.0, tare, CONFIG).load is Load.EMPTY  # within 300 kg
    assert vehicle_load(13_500.0, tare, CONFIG).load is Load.EMPTY  # lighter: fuel, driver
    laden = vehicle_load(14_301.0, tare, CONFIG)
    assert laden.load is Load.LADEN
    assert "gross 14301 kg, tare 14000 kg" in laden.detail
    assert vehicle_load(None, tare, CONFIG).load is Load.UNKNOWN
    assert vehicle_load(14_000.0, None, CONFIG).load is Load.UNKNOWN


def test_empty_weighing_is_kept_only_when_nothing_says_the_truck_is_loaded() -> None:
    assert is_empty_weighing(14_100.0, False, None, EMPTY, T0, CONFIG)
    assert is_empty_weighing(14_100.0, False, None, None, T0, CONFIG)  # first weighing
    assert not is_empty_weighing(14_100.0, True, None, EMPTY, T0, CONFIG)  # a container read
    assert not is_empty_weighing(14_100.0, False, 0.0, EMPTY, T0, CONFIG)  # a declaration
    assert not is_empty_weighing(None, False, None, EMPTY, T0, CONFIG)
    assert not is_empty_weighing(0.0, False, None, EMPTY, T0, CONFIG)


def test_a_truck_heavier_than_its_recent_empty_weighing_does_not_become_its_tare() -> None:
    """Its container may have gone unread: as its own tare, its loaded exit would weigh empty."""
    assert not is_empty_weighing(29_000.0, False, None, EMPTY, T0, CONFIG)
    old = EmptyWeighing("51C12345", 14_000.0, T0 - timedelta(days=31))
    assert is_empty_weighing(29_000.0, False, None, old, T0, CONFIG)  # nothing recent to compare


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"relative_tolerance": 1.0}, "relative_tolerance"),
        ({"relative_tolerance": float("nan")}, "relative_tolerance"),
        ({"absolute_tolerance_kg": -1.0}, "absolute_tolerance_kg"),
        ({"max_empty_weighing_age": timedelta(0)}, "max_empty_weighing_age"),
    ],
)
def test_bad_config(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(DomainValidationError) as caught:
        WeightConfig(**kwargs)  # type: ignore[arg-type]  # deliberately loose kwargs
    assert caught.value.field == field


def test_bad_weights() -> None:
    with pytest.raises(DomainValidationError) as negative:
        check_weight(-1.0, None, None)
    assert negative.value.field == "gross_kg"
    with pytest.raises(DomainValidationError) as zero_empty:
        EmptyWeighing("51C12345", 0.0, T0)
    assert zero_empty.value.field == "weight_kg"
