"""Configuration of the seal service, read once from the environment at start.

Rule thresholds: every field of :class:`~services.seal.domain.config.RuleConfig` can be set with
``SEAL_RULE_<FIELD>`` (upper case), e.g. ``SEAL_RULE_SIGNAL_LOST_S=300``. A trip keeps the
thresholds it was armed with (they are stored with its state).
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, fields

from services.platform.config import ConfigError, positive_float, positive_int, read
from services.seal.domain.config import RuleConfig
from services.seal.domain.errors import DomainValidationError


def rule_variable(field_name: str) -> str:
    return f"SEAL_RULE_{field_name.upper()}"


def _non_negative(raw: str) -> float:
    value = float(raw)
    if not value >= 0:
        raise ValueError("must be a non-negative number")
    return value


def rule_config(env: Mapping[str, str]) -> RuleConfig:
    """The rule thresholds: defaults of RuleConfig, overridden by ``SEAL_RULE_*`` variables."""
    values: dict[str, float | int] = {}
    for f in fields(RuleConfig):
        default = getattr(RuleConfig(), f.name)
        if isinstance(default, int):
            values[f.name] = read(env, rule_variable(f.name), positive_int, default)
        else:
            values[f.name] = read(env, rule_variable(f.name), _non_negative, float(default))
    try:
        return RuleConfig(**values)  # type: ignore[arg-type]
    except DomainValidationError as exc:
        raise ConfigError(rule_variable(exc.field), exc.description) from exc


@dataclass(frozen=True, slots=True)
class SealSettings:
    """Variables of the seal service (see the README's configuration table)."""

    #: SEAL_LOW_BATTERY_PERCENT: a seal registered below this raises SEAL_BATTERY_LOW.
    low_battery_percent: int
    #: SEAL_SWEEP_SECONDS: period of the sweeper (signal lost, overdue, gap expiry).
    sweep_seconds: float
    #: SEAL_COMMIT_MAX_PINGS: most pings written in one transaction (queued uploads of every
    #: stream are merged up to this).
    commit_max_pings: int
    #: SEAL_MAX_PINGS_PER_REQUEST: most pings in one StreamPingsRequest.
    max_pings_per_request: int
    #: SEAL_INSTANCE_ID: names this process among replicas (default: host name and listen
    #: address); a restart under the same name aborts the transactions its crash left open.
    instance: str
    rules: RuleConfig

    @staticmethod
    def from_env(env: Mapping[str, str]) -> SealSettings:
        return SealSettings(
            low_battery_percent=read(env, "SEAL_LOW_BATTERY_PERCENT", positive_int, 20),
            sweep_seconds=read(env, "SEAL_SWEEP_SECONDS", positive_float, 10.0),
            commit_max_pings=read(env, "SEAL_COMMIT_MAX_PINGS", positive_int, 2000),
            max_pings_per_request=read(env, "SEAL_MAX_PINGS_PER_REQUEST", positive_int, 5000),
            instance=read(
                env,
                "SEAL_INSTANCE_ID",
                str,
                f"{socket.gethostname()}/{env.get('GRPC_LISTEN', '127.0.0.1:50051')}",
            ),
            rules=rule_config(env),
        )
