"""Positions, geofences, routes, projection accuracy and validation errors."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from services.seal.domain.errors import DomainValidationError
from services.seal.domain.fences import PreparedFence
from services.seal.domain.geometry import (
    CircleFence,
    LatLon,
    LocalProjection,
    PolygonFence,
    Route,
    geofence_from_document,
    haversine_m,
)
from services.seal.domain.simulator import CAT_LAI, MOC_BAI, demo_trip, route_length_m
from services.seal.domain.trip import Trip


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: LatLon(91.0, 0.0), "lat"),
        (lambda: LatLon(-90.5, 0.0), "lat"),
        (lambda: LatLon(0.0, 180.5), "lon"),
        (lambda: LatLon(math.nan, 0.0), "lat"),
        (lambda: Route((), 100.0), "polyline"),
        (lambda: Route((CAT_LAI,), 100.0), "polyline"),
        (lambda: Route((CAT_LAI, MOC_BAI), 0.0), "corridor_width_m"),
        (lambda: Route((CAT_LAI, MOC_BAI), -5.0), "corridor_width_m"),
        (lambda: CircleFence("x", CAT_LAI, 0.0), "radius_m"),
        (lambda: PolygonFence("x", (CAT_LAI, MOC_BAI, CAT_LAI)), "vertices"),
    ],
)
def test_validation_errors_name_the_field(make: object, field: str) -> None:
    with pytest.raises(DomainValidationError) as info:
        make()  # type: ignore[operator]
    assert info.value.field == field
    assert isinstance(info.value, ValueError)


def test_nested_document_errors_name_the_path() -> None:
    doc = demo_trip().route.to_document()
    doc["polyline"][3] = [95.0, 106.0]
    with pytest.raises(DomainValidationError) as info:
        Route.from_document(doc)
    assert info.value.field == "route.polyline[3].lat"
    with pytest.raises(DomainValidationError) as info:
        geofence_from_document({"type": "hexagon"}, "destination")
    assert info.value.field == "destination.type"


def test_haversine_known_distance() -> None:
    # Cát Lái -> Mộc Bài straight line: hypot(35.03 km north, 68.46 km west) = 76.9 km
    assert 76_800 < haversine_m(CAT_LAI, MOC_BAI) < 77_000
    assert haversine_m(CAT_LAI, CAT_LAI) == 0.0


def test_projection_is_accurate_at_transit_scale() -> None:
    route = demo_trip().route
    proj = route.projection()
    rng = np.random.default_rng(1)
    lat = rng.uniform(10.70, 11.12, 200)
    lon = rng.uniform(106.10, 106.85, 200)
    x, y = proj.to_xy(lat, lon)
    # short distances (what the rules measure): within 0.3 % of the great circle
    for i in range(0, 200, 2):
        a, b = LatLon(lat[i], lon[i]), LatLon(lat[i] + 0.002, lon[i] + 0.002)
        xb, yb = proj.to_xy(b.lat, b.lon)
        planar = math.hypot(float(xb) - x[i], float(yb) - y[i])
        assert planar == pytest.approx(haversine_m(a, b), rel=3e-3)
    back_lat, back_lon = proj.to_lat_lon(x, y)
    np.testing.assert_allclose(back_lat, lat, atol=1e-12)
    np.testing.assert_allclose(back_lon, lon, atol=1e-12)
    # the whole route (~80 km): projected length within 0.1 % of the great-circle sum
    assert 78_000 < route.length_m() < 90_000
    assert route_length_m(route) == pytest.approx(route.length_m(), rel=1e-3)


def test_circle_and_polygon_fences() -> None:
    proj = LocalProjection(MOC_BAI)
    circle = PreparedFence.build(CircleFence("gate", MOC_BAI, 500.0), proj)
    assert circle.contains_point(LatLon(11.0740, 106.163))  # ~220 m north
    assert not circle.contains_point(LatLon(11.0770, 106.163))  # ~550 m north
    square = PolygonFence(
        "yard",
        (
            LatLon(11.070, 106.160),
            LatLon(11.070, 106.166),
            LatLon(11.074, 106.166),
            LatLon(11.074, 106.160),
            LatLon(11.070, 106.160),  # closing vertex is dropped
        ),
    )
    assert len(square.vertices) == 4
    poly = PreparedFence.build(square, proj)
    assert poly.contains_point(MOC_BAI)
    assert not poly.contains_point(LatLon(11.075, 106.163))
    assert geofence_from_document(square.to_document()) == square


def test_trip_document_round_trip_and_validation() -> None:
    trip = demo_trip()
    assert Trip.from_document(trip.to_document()) == trip
    doc = trip.to_document()
    del doc["route"]
    with pytest.raises(DomainValidationError) as info:
        Trip.from_document(doc)
    assert info.value.field == "route"
    with pytest.raises(DomainValidationError) as info:
        dataclasses.replace(trip, deadline=trip.start_time - 1)
    assert info.value.field == "deadline"
