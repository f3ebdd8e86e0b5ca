"""Pings from seal devices: one typed record, and a columnar batch for the rule pipeline.

The hot path decodes wire dicts straight into :class:`PingBatch` columns (no per-ping object);
:class:`Ping` is the typed record for callers that hold one ping. Validation is vectorised and
names the first offending field as ``pings[i].<field>``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from services.seal.domain.errors import DomainValidationError
from services.seal.domain.geometry import LatLon


class LockState(enum.IntEnum):
    CLOSED = 0
    OPENED = 1
    CUT = 2


_LOCK_BY_NAME = {s.name: int(s) for s in LockState}


@dataclass(frozen=True, slots=True)
class Ping:
    """One position report of a seal device."""

    seq: int
    device_time: float
    server_time: float
    position: LatLon
    speed_mps: float = 0.0
    heading_deg: float = 0.0
    battery_pct: float = 100.0
    lock: LockState = LockState.CLOSED
    tamper: bool = False
    signal_dbm: int = -70

    def to_wire(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "device_time": self.device_time,
            "server_time": self.server_time,
            "lat": self.position.lat,
            "lon": self.position.lon,
            "speed_mps": self.speed_mps,
            "heading_deg": self.heading_deg,
            "battery_pct": self.battery_pct,
            "lock": self.lock.name,
            "tamper": self.tamper,
            "signal_dbm": self.signal_dbm,
        }


#: Column name -> dtype of a ping batch (and of the trip timeline's raw columns).
PING_COLUMNS: dict[str, type[np.generic]] = {
    "seq": np.int64,
    "device_time": np.float64,
    "server_time": np.float64,
    "lat": np.float64,
    "lon": np.float64,
    "speed_mps": np.float64,
    "heading_deg": np.float64,
    "battery_pct": np.float64,
    "lock": np.int8,
    "tamper": np.bool_,
    "signal_dbm": np.int16,
}


@dataclass(frozen=True, slots=True)
class PingBatch:
    """Pings as columns (one array per field of :data:`PING_COLUMNS`), in arrival order."""

    columns: Mapping[str, npt.NDArray[Any]]

    def __len__(self) -> int:
        return int(self.columns["seq"].shape[0])

    @staticmethod
    def from_dicts(rows: Sequence[Mapping[str, Any]]) -> PingBatch:
        """Decode wire dicts (as in :meth:`Ping.to_wire`), validating every field."""
        cols: dict[str, npt.NDArray[Any]] = {}
        for name, dtype in PING_COLUMNS.items():
            try:
                if name == "lock":
                    values: list[Any] = [_LOCK_BY_NAME[r["lock"]] for r in rows]
                else:
                    values = [r[name] for r in rows]
                cols[name] = np.array(values, dtype=dtype)
            except KeyError as exc:
                index = next(
                    (
                        i
                        for i, r in enumerate(rows)
                        if name not in r or (name == "lock" and r[name] not in _LOCK_BY_NAME)
                    ),
                    0,
                )
                what = "missing" if name not in rows[index] else f"unknown value {exc}"
                raise DomainValidationError(f"pings[{index}].{name}", what) from None
            except (TypeError, ValueError, OverflowError):
                raise DomainValidationError(
                    f"pings[{_first_bad(rows, name, dtype)}].{name}", "not a valid number"
                ) from None
        return PingBatch.from_columns(cols)

    @staticmethod
    def from_pings(pings: Sequence[Ping]) -> PingBatch:
        return PingBatch.from_dicts([p.to_wire() for p in pings])

    @staticmethod
    def from_columns(cols: Mapping[str, npt.NDArray[Any]]) -> PingBatch:
        """Validate ready-made columns (dtypes, equal lengths, ranges)."""
        n = None
        out: dict[str, npt.NDArray[Any]] = {}
        for name, dtype in PING_COLUMNS.items():
            if name not in cols:
                raise DomainValidationError(f"pings.{name}", "missing column")
            a = np.asarray(cols[name]).astype(dtype, copy=False)
            if a.ndim != 1 or (n is not None and a.shape[0] != n):
                raise DomainValidationError(f"pings.{name}", "column length differs")
            n = a.shape[0]
            out[name] = a
        _check_range(out, "lat", -90.0, 90.0)
        _check_range(out, "lon", -180.0, 180.0)
        _check_range(out, "battery_pct", 0.0, 100.0)
        _check_range(out, "speed_mps", 0.0, 200.0)
        _check_range(out, "device_time", 0.0, 1e11)
        _check_range(out, "server_time", 0.0, 1e11)
        bad = np.nonzero(out["seq"] < 0)[0]
        if bad.size:
            raise DomainValidationError(f"pings[{int(bad[0])}].seq", "must be non-negative")
        return PingBatch(out)


def _check_range(cols: Mapping[str, npt.NDArray[Any]], name: str, lo: float, hi: float) -> None:
    a = cols[name]
    bad = np.nonzero(~((a >= lo) & (a <= hi)))[0]
    if bad.size:
        i = int(bad[0])
        raise DomainValidationError(
            f"pings[{i}].{name}", f"must be within [{lo}, {hi}], got {a[i]}"
        )


def _first_bad(rows: Sequence[Mapping[str, Any]], name: str, dtype: type[np.generic]) -> int:
    for i, r in enumerate(rows):
        try:
            np.array([r[name]], dtype=dtype)
        except (TypeError, ValueError, OverflowError):
            return i
    return 0
