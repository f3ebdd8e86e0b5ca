"""A trip's pings as seq-ordered columns, with per-ping features computed once on arrival.

Order: pings are kept sorted by device sequence number, the device's own monotone counter (for a
healthy device that is also device-time order; a clock correction cannot reorder it).
Duplicates (a seq already held) are dropped. Features that depend on one ping only (metric
position, distance to the route, geofence membership) are computed on arrival with the kernels,
vectorised over the batch, and never recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from services.seal.domain.fences import PreparedFence, any_contains
from services.seal.domain.kernels import B1, F64, I64, distance_to_polyline
from services.seal.domain.pings import PING_COLUMNS, PingBatch
from services.seal.domain.trip import Trip

#: Columns derived on arrival: x, y (m), corridor distance (m), in a permitted stop zone,
#: in origin, in destination, clock drift flag.
FEATURE_COLUMNS: dict[str, type[np.generic]] = {
    "x": np.float64,
    "y": np.float64,
    "dist": np.float64,
    "in_zone": np.bool_,
    "in_origin": np.bool_,
    "in_dest": np.bool_,
    "drift": np.bool_,
}


@dataclass(frozen=True, slots=True)
class TripGeometry:
    """A trip's plan projected to metres once."""

    trip: Trip
    px: F64
    py: F64
    zones: tuple[PreparedFence, ...]
    origin: PreparedFence
    destination: PreparedFence

    @staticmethod
    def build(trip: Trip) -> TripGeometry:
        proj = trip.route.projection()
        px, py = proj.to_xy(
            [p.lat for p in trip.route.polyline], [p.lon for p in trip.route.polyline]
        )
        return TripGeometry(
            trip,
            px,
            py,
            tuple(PreparedFence.build(z, proj) for z in trip.route.stop_zones),
            PreparedFence.build(trip.origin, proj),
            PreparedFence.build(trip.destination, proj),
        )

    def features(self, cols: dict[str, npt.NDArray[Any]]) -> dict[str, npt.NDArray[Any]]:
        proj = self.origin.projection
        x, y = proj.to_xy(cols["lat"], cols["lon"])
        return {
            "x": x,
            "y": y,
            "dist": distance_to_polyline(x, y, self.px, self.py),
            "in_zone": any_contains(self.zones, x, y),
            "in_origin": self.origin.contains(x, y),
            "in_dest": self.destination.contains(x, y),
        }


class Timeline:
    """Seq-ordered raw and feature columns of one trip."""

    def __init__(self, geometry: TripGeometry) -> None:
        self.geometry = geometry
        self._n = 0
        # columns with spare capacity (doubling), so appending a batch copies only the batch
        self._buf: dict[str, npt.NDArray[Any]] = {
            name: np.zeros(16, dtype=dt) for name, dt in (PING_COLUMNS | FEATURE_COLUMNS).items()
        }

    def __len__(self) -> int:
        return self._n

    @property
    def cols(self) -> dict[str, npt.NDArray[Any]]:
        """Views of the filled part of every column (do not keep across merges)."""
        return {name: a[: self._n] for name, a in self._buf.items()}

    @property
    def seq(self) -> I64:
        out: I64 = self._buf["seq"][: self._n]
        return out

    @property
    def device_time(self) -> F64:
        out: F64 = self._buf["device_time"][: self._n]
        return out

    def _set(self, cols: dict[str, npt.NDArray[Any]]) -> None:
        n = int(cols["seq"].shape[0])
        cap = max(16, 1 << (n - 1).bit_length())
        self._buf = {}
        for name, a in cols.items():
            buf = np.zeros(cap, dtype=a.dtype)
            buf[:n] = a
            self._buf[name] = buf
        self._n = n

    def merge(self, batch: PingBatch, drift_s: float) -> tuple[I64, I64, I64]:
        """Add a batch; return (accepted seqs, duplicate seqs, clock-drift seqs)."""
        seq = batch.columns["seq"]
        _, first = np.unique(seq, return_index=True)
        keep = np.zeros(seq.shape[0], dtype=np.bool_)
        keep[first] = True
        held = self.seq
        if held.shape[0] and int(seq.min()) <= int(held[-1]):
            at = np.minimum(np.searchsorted(held, seq), held.shape[0] - 1)
            keep &= held[at] != seq
        dup_seqs: I64 = seq[~keep]
        new = {name: np.asarray(batch.columns[name])[keep] for name in PING_COLUMNS}
        if new["seq"].shape[0] == 0:
            return new["seq"], dup_seqs, new["seq"]
        new.update(self.geometry.features(new))
        new["drift"] = self._drift(new, drift_s)
        append_only = not len(self) or int(new["seq"].min()) > int(self.seq[-1])
        order = np.argsort(new["seq"], kind="stable")
        n, m = self._n, int(order.shape[0])
        if append_only and n + m <= self._buf["seq"].shape[0]:
            for name, buf in self._buf.items():
                buf[n : n + m] = new[name][order]
            self._n = n + m
        else:
            cols = {
                name: np.concatenate((a[:n], new[name][order])) for name, a in self._buf.items()
            }
            if not append_only:
                merged = np.argsort(cols["seq"], kind="stable")
                cols = {name: a[merged] for name, a in cols.items()}
            self._set(cols)
        accepted: I64 = new["seq"][order]
        drifted: I64 = new["seq"][order][new["drift"][order]]
        return accepted, dup_seqs, drifted

    def _drift(self, new: dict[str, npt.NDArray[Any]], drift_s: float) -> B1:
        """Clock drift: the device clock is ahead of the server (always suspicious), or behind it
        on a *live* ping (the newest of its batch and newer than anything held before). Buffered
        pings replayed after a reconnect are legitimately late and are not flagged."""
        lag = new["server_time"] - new["device_time"]
        seq = new["seq"]
        newest_before = int(self.seq[-1]) if len(self) else -1
        live = (seq == seq.max()) & (seq > newest_before)
        out: B1 = (lag < -drift_s) | (live & (lag > drift_s))
        return out

    def to_document(self) -> dict[str, list[Any]]:
        names = [*PING_COLUMNS, "drift"]
        return {name: self.cols[name].tolist() for name in names}

    @staticmethod
    def from_document(geometry: TripGeometry, doc: dict[str, list[Any]]) -> Timeline:
        tl = Timeline(geometry)
        raw = {name: np.array(doc[name], dtype=dt) for name, dt in PING_COLUMNS.items()}
        batch = PingBatch.from_columns(raw)
        cols = dict(batch.columns)
        cols.update(geometry.features(cols))
        cols["drift"] = np.array(doc["drift"], dtype=np.bool_)
        order = np.argsort(cols["seq"], kind="stable")
        tl._set({name: np.asarray(cols[name])[order] for name in tl._buf})
        return tl
