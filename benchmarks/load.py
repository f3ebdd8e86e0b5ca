"""A bounded mixed-load run against the whole suite on the embedded stack.

Starts its own SecantusDB, SeaweedFS, the four services and the gateway, then for --duration
seconds, all at once:

- pings: --seals armed GPS seals on Cát Lái → Mộc Bài transits (the scenario mix of
  benchmarks/seal_rules.py: deviations, stops, lock events, outages with late replays), each
  pinging every --ping-interval seconds in real time and uploading what it buffered every
  --upload-every seconds, over --streams concurrent StreamPings streams (device gateways);
- camera events: recognition events (plate + a sealed container) and scale readings at the
  Cát Lái and Mộc Bài lanes, --camera-rate per second (exits ask scanner and seal);
- scans: one full-size dual-energy scan (2 x 2048 x 6000 uint16, 49 MB) every --scan-every
  seconds, uploaded in 1 MiB chunks and analysed;
- dossier reads: GET /v1/containers/{number} through the gateway, --dossier-rate per second.

It samples the resident memory of every process every 2 s, prints throughput and latency
percentiles per kind, the refusals by status, memory at start / peak / end, and then probes
saturation: --burst concurrent calls at the seal service (more than GRPC_MAX_CONCURRENT_RPCS,
256), how fast the excess is refused, what becomes of the admitted calls, and how soon after the
burst a light call is answered again.

    .venv/bin/python benchmarks/load.py [--duration 300] [--seals 2000] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gen" / "python"))

import grpc
import httpx
import numpy as np
from customs.camera.v1 import camera_pb2, camera_pb2_grpc
from customs.scanner.v1 import scanner_pb2_grpc
from customs.seal.v1 import seal_pb2, seal_pb2_grpc

from benchmarks import seal_rules
from benchmarks.seal_ingest import setup_trips
from devstack.demo.camera import Gates
from devstack.stores import start_stores
from devstack.suite import DOMAIN_SERVICES, Suite
from services.platform import iso6346
from services.scanner import sample as scans
from services.scanner.domain.phantoms import Phantom, PhantomKind, make_phantom
from services.seal import sample
from services.seal.domain.simulator import by_reception, demo_trip, simulate

Metadata = tuple[tuple[str, str], ...]


def auth(token: str) -> Metadata:
    return (("authorization", f"Bearer {token}"),)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


@dataclass
class Stats:
    """Latencies (ms) of the calls that succeeded and refusals by status, per kind."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    refused: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    units: Counter[str] = field(default_factory=Counter)  # pings, bytes: what each kind moved

    def ok(self, kind: str, started: float, units: int = 1) -> None:
        self.latencies[kind].append((time.perf_counter() - started) * 1000.0)
        self.units[kind] += units

    def failed(self, kind: str, status: str) -> None:
        self.refused[kind][status] += 1


class Memory:
    """Resident memory (MiB) of named processes, sampled every 2 s in a thread."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.samples: dict[str, list[float]] = defaultdict(list)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def rss_mib(pid: int) -> float:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
        return float("nan")

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                try:
                    self.samples[name].append(self.rss_mib(pid))
                except OSError:
                    pass
            self._stop.wait(2.0)

    def __enter__(self) -> Memory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


#: Device clocks of the simulated trips start here; the run shifts them to the wall clock.
BASE = 1_790_000_000.0
Upload = tuple[float, str, list[dict[str, Any]]]  # (send time after BASE, seal, pings)


def ping_uploads(seals: list[str], duration: float, interval: float, every: float) -> list[Upload]:
    """Every seal's uploads in the run, in send order. Each carries what the device buffered
    since its last one; device times follow the wall clock once shifted (:func:`pings`)."""
    uploads = []
    for i, name in enumerate(seals):
        trip = demo_trip(
            trip_id=f"L-{i}", device_id=name.split("/")[1], start_time=BASE + (i % 97) * 0.1
        )
        rows = [
            r
            for r in simulate(trip, seal_rules.scenario(i, interval, 150.0))
            if r["server_time"] <= BASE + duration
        ]
        for window in by_reception(rows, every):
            uploads.append((max(r["server_time"] for r in window) - BASE, name, window))
    uploads.sort(key=lambda u: u[0])
    return uploads


async def pings(
    address: str, token: str, uploads: list[Upload], t0: float, streams: int, stats: Stats
) -> None:
    """Sends each upload at its time after ``t0`` on one of ``streams`` streams, its device
    times moved to the wall clock; times each until its acknowledgement."""
    queues: list[asyncio.Queue[seal_pb2.StreamPingsRequest | None]] = [
        asyncio.Queue() for _ in range(streams)
    ]

    async def one(queue: asyncio.Queue[seal_pb2.StreamPingsRequest | None]) -> None:
        sent: list[tuple[float, int]] = []

        async def requests() -> AsyncIterator[seal_pb2.StreamPingsRequest]:
            while (request := await queue.get()) is not None:
                sent.append((time.perf_counter(), len(request.pings)))
                yield request

        async with grpc.aio.insecure_channel(address) as channel:
            stub = seal_pb2_grpc.SealServiceStub(channel)
            acked = 0
            try:
                async for ack in stub.StreamPings(requests(), metadata=auth(token)):
                    while acked < ack.acknowledged_requests:
                        started, count = sent[acked]
                        stats.ok("pings (upload → durable ack)", started, count)
                        acked += 1
            except grpc.aio.AioRpcError as error:
                stats.failed("pings (upload → durable ack)", error.code().name)

    tasks = [asyncio.create_task(one(q)) for q in queues]
    for k, (after, seal, rows) in enumerate(uploads):
        delay = t0 + after - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        (request,) = sample.requests(seal, [rows], time_shift=t0 - BASE)
        queues[k % streams].put_nowait(request)
    for q in queues:
        q.put_nowait(None)
    await asyncio.gather(*tasks)


async def paced(rate: float, until: float, call: Callable[[int], Any]) -> None:
    """Starts ``call(k)`` ``rate`` times a second until ``until`` (calls may overlap)."""
    running: set[asyncio.Task[Any]] = set()
    for k in itertools.count():
        at = time.time()
        if at >= until:
            break
        task = asyncio.create_task(call(k))
        running.add(task)
        task.add_done_callback(running.discard)
        await asyncio.sleep(max(0.0, 1.0 / rate - (time.time() - at)))
    await asyncio.gather(*running, return_exceptions=True)


async def camera_events(
    suite: Suite,
    lanes: dict[str, str],
    containers: list[str],
    rate: float,
    until: float,
    stats: Stats,
) -> None:
    device = auth(suite.token("load-gate", "device"))
    gates = [("cat-lai", "out-1"), ("moc-bai", "in-1"), ("moc-bai", "out-1"), ("cat-lai", "in-1")]
    async with grpc.aio.insecure_channel(suite.services["camera"].address) as channel:
        stub = camera_pb2_grpc.CameraServiceStub(channel)

        async def event(k: int) -> None:
            site, lane = gates[k % len(gates)]
            number = containers[(k // len(gates)) % len(containers)]
            at = time.time()
            observed = camera_pb2.RecognitionEvent(
                camera=lanes[f"{site}/{lane}/camera"],
                plate=camera_pb2.PlateRead(text=f"51C-{k % 1000:03d}.{k % 97:02d}", confidence=0.9),
                containers=[camera_pb2.ContainerRead(text=number, confidence=0.95)],
                seal_presence=camera_pb2.SEAL_PRESENCE_PRESENT,
                snapshot=b"\xff\xd8\xff\xe0load-" + str(k).encode() + bytes(20_000),
                snapshot_content_type="image/jpeg",
            )
            observed.observe_time.FromNanoseconds(int(at * 1e9))
            started = time.perf_counter()
            try:
                await stub.RecordRecognitionEvent(
                    camera_pb2.RecordRecognitionEventRequest(
                        parent=lanes[f"{site}/{lane}"],
                        event_id=f"load-{k}",
                        recognition_event=observed,
                    ),
                    metadata=device,
                    timeout=10,
                )
                stats.ok("camera recognition event", started)
                reading = camera_pb2.ScaleReading(
                    scale_id="scale-1", gross_weight_kg=31_000 + 50 * (k % 40), stable=True
                )
                reading.measure_time.FromNanoseconds(int(at * 1e9))
                started = time.perf_counter()
                await stub.RecordScaleReading(
                    camera_pb2.RecordScaleReadingRequest(
                        parent=lanes[f"{site}/{lane}"],
                        event_id=f"load-w-{k}",
                        scale_reading=reading,
                    ),
                    metadata=device,
                    timeout=10,
                )
                stats.ok("camera scale reading", started)
            except grpc.aio.AioRpcError as error:
                stats.failed("camera recognition event", error.code().name)

        await paced(rate, until, event)


async def scan_uploads(suite: Suite, ph: Phantom, every: float, until: float, stats: Stats) -> None:
    data = scans.payload(ph)
    device = auth(suite.token("load-scanner", "device"))
    async with grpc.aio.insecure_channel(
        suite.services["scanner"].address,
        options=[("grpc.max_send_message_length", 8 * 1024 * 1024)],
    ) as channel:
        stub = scanner_pb2_grpc.ScannerServiceStub(channel)
        scanner = (
            await stub.CreateScanner(
                scans.create_scanner("LOAD-01", ph, "load scanner"),
                metadata=auth(suite.token("load-sup", "supervisor")),
            )
        ).scanner.name

        async def upload(k: int) -> None:
            number = iso6346.make("LDS", "U", f"{k:06d}").text
            declared = scans.declaration(f"LOAD-{k}", (), 0.0)
            meta = scans.upload_metadata(ph, scanner, f"load-{k}", [number], declared, data)
            started = time.perf_counter()
            try:
                await stub.UploadScan(
                    scans.upload_requests(meta, data), metadata=device, timeout=300
                )
                stats.ok("scan upload (49 MB, stored + analysed)", started, len(data))
            except grpc.aio.AioRpcError as error:
                stats.failed("scan upload (49 MB, stored + analysed)", error.code().name)

        await paced(1.0 / every, until, upload)


async def dossiers(
    url: str, token: str, containers: list[str], rate: float, until: float, stats: Stats
) -> None:
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as http:

        async def read(k: int) -> None:
            number = random.choice(containers)
            started = time.perf_counter()
            try:
                reply = await http.get(f"/v1/containers/{number}")
            except httpx.HTTPError as error:
                stats.failed("dossier (REST, 4 services)", type(error).__name__)
                return
            if reply.status_code == 200:
                stats.ok("dossier (REST, 4 services)", started)
            else:
                stats.failed("dossier (REST, 4 services)", str(reply.status_code))

        await paced(rate, until, read)


async def saturation(address: str, token: str, burst: int) -> dict[str, Any]:
    """``burst`` concurrent ListAttachments (a page of 1000) at once; latency by outcome."""
    outcomes: dict[str, list[float]] = defaultdict(list)
    async with grpc.aio.insecure_channel(address) as channel:
        stub = seal_pb2_grpc.SealServiceStub(channel)

        async def one() -> None:
            started = time.perf_counter()
            try:
                await stub.ListAttachments(
                    seal_pb2.ListAttachmentsRequest(page_size=1000),
                    metadata=auth(token),
                    timeout=60,
                )
                outcomes["OK"].append((time.perf_counter() - started) * 1000)
            except grpc.aio.AioRpcError as error:
                outcomes[error.code().name].append((time.perf_counter() - started) * 1000)

        t0 = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(burst)))
        wall = time.perf_counter() - t0
        t1 = time.perf_counter()
        while True:  # served again? a light call until one is answered
            try:
                await stub.ListAttachments(
                    seal_pb2.ListAttachmentsRequest(page_size=10), metadata=auth(token), timeout=10
                )
                break
            except grpc.aio.AioRpcError:
                await asyncio.sleep(0.5)
        recovered = time.perf_counter() - t1
    return {
        "burst": burst,
        "wall_s": round(wall, 2),
        "served_again_after_s": round(recovered, 2),
        "outcomes": {
            code: {
                "count": len(ms),
                "p50_ms": round(percentile(ms, 50), 1),
                "p99_ms": round(percentile(ms, 99), 1),
            }
            for code, ms in sorted(outcomes.items())
        },
    }


async def run(
    suite: Suite,
    args: argparse.Namespace,
    seals: list[str],
    lanes: dict[str, str],
    ph: Phantom,
    stats: Stats,
) -> float:
    containers = [iso6346.make("BEN", "U", f"{i:06d}").text for i in range(len(seals))]
    uploads = ping_uploads(seals, args.duration, args.ping_interval, args.upload_every)
    t0 = time.time() + 2.0
    print(
        f"load: {sum(len(rows) for _, _, rows in uploads):,} pings in {len(uploads):,} uploads, "
        f"{args.camera_rate}/s camera events, a scan every {args.scan_every} s, "
        f"{args.dossier_rate}/s dossiers, for {args.duration:.0f} s",
        flush=True,
    )
    until = t0 + args.duration
    await asyncio.sleep(max(0.0, t0 - time.time()))
    started = time.perf_counter()
    await asyncio.gather(
        pings(
            suite.services["seal"].address,
            suite.token("load-gw", "device"),
            uploads,
            t0,
            args.streams,
            stats,
        ),
        camera_events(suite, lanes, containers, args.camera_rate, until, stats),
        scan_uploads(suite, ph, args.scan_every, until, stats),
        dossiers(
            suite.services["gateway"].address,
            suite.token("load-officer", "officer"),
            containers,
            args.dossier_rate,
            until,
            stats,
        ),
    )
    return time.perf_counter() - started


def report(stats: Stats, seconds: float, memory: Memory, probe: dict[str, Any]) -> dict[str, Any]:
    print(f"\nran {seconds:.0f} s (the last calls included)")
    print(
        f"{'kind':<40} {'done':>8} {'per s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  refused"
    )
    out: dict[str, Any] = {"seconds": round(seconds, 1), "kinds": {}, "memory_mib": {}}
    for kind in sorted(set(stats.latencies) | set(stats.refused)):
        ms = stats.latencies.get(kind, [])
        row = {
            "done": len(ms),
            "per_s": round(len(ms) / seconds, 2),
            "units": stats.units[kind],
            "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1),
            "p99_ms": round(percentile(ms, 99), 1),
            "refused": dict(stats.refused.get(kind, {})),
        }
        out["kinds"][kind] = row
        print(
            f"{kind:<40} {row['done']:>8} {row['per_s']:>8} {row['p50_ms']:>8} "
            f"{row['p95_ms']:>8} {row['p99_ms']:>8}  {row['refused'] or '-'}"
        )
    pings = stats.units["pings (upload → durable ack)"]
    print(f"pings stored and acknowledged: {pings:,} ({pings / seconds:,.0f} per s)")
    print(f"\n{'process':<12} {'start MiB':>10} {'peak MiB':>10} {'end MiB':>10}")
    for name, values in sorted(memory.samples.items()):
        if values:
            row = {"start": round(values[0]), "peak": round(max(values)), "end": round(values[-1])}
            out["memory_mib"][name] = row
            print(f"{name:<12} {row['start']:>10} {row['peak']:>10} {row['end']:>10}")
    print(
        f"\nsaturation: {probe['burst']} concurrent ListAttachments at the seal service "
        f"(GRPC_MAX_CONCURRENT_RPCS 256), {probe['wall_s']} s in all"
    )
    for code, row in probe["outcomes"].items():
        print(f"  {code:<20} {row['count']:>6}  p50 {row['p50_ms']} ms  p99 {row['p99_ms']} ms")
    print(f"  a light call answered again {probe['served_again_after_s']} s after the burst")
    out["saturation"] = probe
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=300.0, help="seconds of load")
    ap.add_argument("--seals", type=int, default=2000)
    ap.add_argument("--ping-interval", type=float, default=2.0, help="seconds between pings")
    ap.add_argument("--upload-every", type=float, default=10.0, help="seconds between uploads")
    ap.add_argument("--streams", type=int, default=4, help="StreamPings streams (gateways)")
    ap.add_argument("--camera-rate", type=float, default=2.0, help="recognition events per s")
    ap.add_argument("--scan-every", type=float, default=20.0, help="seconds between scans")
    ap.add_argument("--scan-rows", type=int, default=2048)
    ap.add_argument("--scan-columns", type=int, default=6000)
    ap.add_argument("--dossier-rate", type=float, default=4.0, help="dossier reads per s")
    ap.add_argument("--burst", type=int, default=1500, help="concurrent calls of the probe")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--keep", action="store_true", help="keep the data folder (logs)")
    args = ap.parse_args()
    print(
        f"machine: {seal_rules.cpu_model()}, {os.cpu_count()} logical CPUs, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )
    root = Path(tempfile.mkdtemp(prefix="load-"))
    stores = start_stores(root)
    suite = Suite(root, stores, namespace=f"load{uuid.uuid4().hex[:6]}")
    try:
        for name in DOMAIN_SERVICES:
            suite.start(name)
        suite.start_gateway({"GATEWAY_RATE_PER_SECOND": "100000", "GATEWAY_BURST": "100000"})
        print(f"setting up {args.seals} armed seals and the gates ...", flush=True)
        seals = setup_trips(suite, args.seals)
        with grpc.insecure_channel(suite.services["camera"].address) as channel:
            lanes = Gates(camera_pb2_grpc.CameraServiceStub(channel), suite).layout()
        pids = {name: s.process.popen.pid for name, s in suite.services.items()}
        pids.update({f"store:{n}": p.popen.pid for n, p in stores.processes.items()})
        ph = make_phantom(
            PhantomKind.STEEL_IN_ORGANIC, rows=args.scan_rows, cols=args.scan_columns, seed=11
        )
        stats = Stats()
        with Memory(pids) as memory:
            seconds = asyncio.run(run(suite, args, seals, lanes, ph, stats))
            probe = asyncio.run(
                saturation(
                    suite.services["seal"].address, suite.token("load-o", "officer"), args.burst
                )
            )
        figures = report(stats, seconds, memory, probe)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    finally:
        suite.stop()
        stores.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"kept {root}")


if __name__ == "__main__":
    main()
