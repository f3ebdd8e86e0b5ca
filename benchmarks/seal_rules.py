"""Seal rule pipeline alone, in process: pings per second per core.

Many simulated devices on the Cát Lái → Mộc Bài transit (a mix of normal trips, deviations,
stops, lock events and coverage outages with late replays) upload in small batches, interleaved
across devices like a busy ingestion stream. Timed per batch: decode wire dicts into columns,
merge/order/dedupe into the trip timeline, corridor distance and geofence kernels, episode
kernels and alert reconciliation; plus the periodic sweeper over every trip.
Simulation (making the dicts) is done before timing.

    .venv/bin/python benchmarks/seal_rules.py [--devices 200] [--batch 20]

Bar (DESIGN.md §7): >= 20,000 pings per second per core.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numba

from services.seal.domain.monitor import TripMonitor
from services.seal.domain.pings import LockState, PingBatch
from services.seal.domain.simulator import (
    Detour,
    Scenario,
    Stop,
    batches,
    demo_trip,
    simulate,
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def scenario(i: int, interval_s: float, speed_mps: float) -> Scenario:
    base = Scenario(seed=i, interval_s=interval_s, speed_mps=speed_mps)
    mix = i % 5
    if mix == 1:
        return replace(base, detours=(Detour(30_000, 36_000, 800.0),))
    if mix == 2:
        return replace(base, stops=(Stop(20_000, 1800.0, 20.0),))
    if mix == 3:
        return replace(base, outages=((2000.0, 3000.0),))
    if mix == 4:
        return replace(base, lock_changes=((2000.0, LockState.OPENED), (2300.0, LockState.CLOSED)))
    return base


def build(
    devices: int, batch: int, interval_s: float, speed_mps: float
) -> tuple[list[TripMonitor], list[tuple[int, list[dict[str, Any]]]]]:
    monitors: list[TripMonitor] = []
    per_device: list[list[list[dict[str, Any]]]] = []
    for i in range(devices):
        trip = demo_trip(
            trip_id=f"trip-{i:05d}", device_id=f"SEAL-{i:05d}", start_time=1.79e9 + 0.5 * i
        )
        monitors.append(TripMonitor(trip))
        per_device.append(list(batches(simulate(trip, scenario(i, interval_s, speed_mps)), batch)))
    # interleave uploads of all devices in reception order, as they reach the service
    stream = [(i, b) for i, device_batches in enumerate(per_device) for b in device_batches]
    stream.sort(key=lambda item: item[1][-1]["server_time"])
    return monitors, stream


def run(
    devices: int, batch: int, sweep_every: int, interval_s: float = 15.0, speed_mps: float = 18.0
) -> tuple[int, dict[str, int], float]:
    monitors, stream = build(devices, batch, interval_s, speed_mps)
    pings = sum(len(b) for _, b in stream)
    kinds: dict[str, int] = {}
    t0 = time.perf_counter()
    now = 0.0
    for n, (i, rows) in enumerate(stream, start=1):
        events = monitors[i].ingest(PingBatch.from_dicts(rows)).events
        now = max(now, rows[-1]["server_time"])
        if n % sweep_every == 0:  # the sweeper's tick, after a round of uploads
            for m in monitors:
                events += tuple(m.sweep(now))
        for e in events:
            kinds[e.kind.value] = kinds.get(e.kind.value, 0) + 1
    return pings, kinds, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=200)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--interval", type=float, default=15.0, help="seconds between pings")
    ap.add_argument("--speed", type=float, default=18.0, help="truck speed, m/s")
    args = ap.parse_args()
    print(f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs, {platform.python_version()}")
    print(
        f"numba {numba.__version__}: kernels are serial (nogil), 1 thread used "
        f"(numba thread pool size {numba.get_num_threads()} unused)"
    )
    run(5, args.batch, 50)  # warm-up: load or compile the cached kernels
    sweep_every = max(1, args.devices)  # one full sweep per round of uploads
    for batch in sorted({5, args.batch, 100}):
        best = None
        for _ in range(args.repeat):
            pings, alerts, dt = run(args.devices, batch, sweep_every, args.interval, args.speed)
            best = dt if best is None or dt < best else best
        assert best is not None
        print(
            f"devices={args.devices:5d} batch={batch:3d} pings={pings:7d} "
            f"({pings // args.devices} per trip) "
            f"time={best:6.2f}s  -> {pings / best:9,.0f} pings/s on one core"
        )
        print(f"    alert events: {dict(sorted(alerts.items()))}")


if __name__ == "__main__":
    main()
