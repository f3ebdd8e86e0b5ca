"""Service-side conversions and configuration, without a server."""

from __future__ import annotations

import pytest
from customs.seal.v1 import seal_pb2

from services.platform.config import ConfigError
from services.platform.errors import InvalidArgument
from services.seal import sample
from services.seal.convert import geofence, ping_batch, ping_documents
from services.seal.domain.config import RuleConfig
from services.seal.domain.geometry import CircleFence
from services.seal.domain.simulator import demo_trip, simulate
from services.seal.settings import SealSettings, rule_config


def test_rule_thresholds_come_from_seal_rule_variables() -> None:
    config = rule_config({"SEAL_RULE_SIGNAL_LOST_S": "42", "SEAL_RULE_DEVIATION_MIN_FIXES": "5"})
    assert config.signal_lost_s == 42.0 and config.deviation_min_fixes == 5
    assert config.stop_min_s == RuleConfig().stop_min_s
    with pytest.raises(ConfigError) as error:
        rule_config({"SEAL_RULE_STOP_MIN_S": "-3"})
    assert error.value.variable == "SEAL_RULE_STOP_MIN_S"
    with pytest.raises(ConfigError) as error:
        SealSettings.from_env({"SEAL_COMMIT_MAX_PINGS": "0"})
    assert error.value.variable == "SEAL_COMMIT_MAX_PINGS"
    settings = SealSettings.from_env({"SEAL_INSTANCE_ID": "seal-0"})
    assert settings.instance == "seal-0" and settings.sweep_seconds == 10.0


def test_pings_decode_to_columns_at_millisecond_precision_and_name_bad_fields() -> None:
    trip = demo_trip()
    rows = simulate(trip)[:5]
    request = sample.requests("seals/S", [rows])[0]
    batch = ping_batch(request.pings, 1_790_000_100.0, 100)
    assert batch.columns["seq"].tolist() == [r["seq"] for r in rows]
    assert batch.columns["device_time"].tolist() == [round(r["device_time"], 3) for r in rows]
    assert (batch.columns["server_time"] == 1_790_000_100.0).all()
    keep = batch.columns["seq"] % 2 == 1
    docs = ping_documents("seals/S", "attachments/A", batch, keep, {1})
    assert [d["seq"] for d in docs] == [1, 3, 5] and [d["drift"] for d in docs] == [
        True,
        False,
        False,
    ]
    request.pings[2].battery_percent = 140
    with pytest.raises(InvalidArgument) as error:
        ping_batch(request.pings, 1_790_000_100.0, 100)
    assert [v.field for v in error.value.violations] == ["pings[2].battery_percent"]
    request.pings[2].battery_percent = 50
    request.pings[3].lock = seal_pb2.LOCK_STATE_UNSPECIFIED
    with pytest.raises(InvalidArgument) as error:
        ping_batch(request.pings, 1_790_000_100.0, 100)
    assert [v.field for v in error.value.violations] == ["pings[3].lock"]
    with pytest.raises(InvalidArgument) as error:
        ping_batch(request.pings, 1_790_000_100.0, 2)
    assert [v.field for v in error.value.violations] == ["pings"]


def test_geofence_protos_round_trip_and_errors_name_the_path() -> None:
    fence = demo_trip().destination
    assert isinstance(fence, CircleFence)
    assert geofence(sample.circle(fence), "site.geofence") == fence
    bad = seal_pb2.Geofence(polygon=seal_pb2.Polygon(vertices=[sample.geo(fence.center)] * 3))
    with pytest.raises(InvalidArgument) as error:
        geofence(bad, "route.stop_zones[1]")
    assert [v.field for v in error.value.violations] == ["route.stop_zones[1].polygon.vertices"]
    with pytest.raises(InvalidArgument) as error:
        geofence(seal_pb2.Geofence(), "site.geofence")
    assert [v.field for v in error.value.violations] == ["site.geofence"]
