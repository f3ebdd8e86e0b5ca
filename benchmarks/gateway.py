"""Gateway overhead and dossier latency, against a stack this script starts and stops.

1. A REST read (``GET /v1/seals/{id}`` through the gateway, one keep-alive httpx client) vs the
   direct gRPC call it wraps (``SealService.GetSeal``, one sync channel), same token, same seal,
   interleaved in rounds so that drift of the machine hits both alike: p50 and p99 of each, and
   the p50 ratio (bar, DESIGN.md §7: at most 1.5).
2. ``GET /v1/containers/{number}`` (four services asked concurrently) under 1, 4 and 16
   concurrent clients, each with its own keep-alive connection: p50, p99 and throughput. The
   container has what a dossier holds in service (seeded first, through the gateway): three
   analysed scans, four gate passages with watchlist hits, a sealed Cát Lái → Mộc Bài transit
   with its whole track, and a room whose log mentions it among many other entries, with the
   alarms captured from its alerts.

    .venv/bin/python benchmarks/gateway.py [--requests 2000] [--dossiers 100]

It starts SecantusDB and SeaweedFS (or uses MONGODB_URI / S3_ENDPOINT), the four services and the
gateway in a temporary folder, with the gateway's rate limit raised out of the way.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "gen" / "python"))

import grpc
import httpx
from customs.seal.v1 import seal_pb2, seal_pb2_grpc

from devstack.stores import start_stores
from devstack.suite import DOMAIN_SERVICES, Suite
from services.platform import iso6346
from tests.gateway.scenery import (
    bearer,
    eventually,
    make_room,
    make_site,
    plate_number,
    scan_container,
    seal_transit,
)

SCANS, PASSAGES, ENTRIES, MENTIONS_EVERY, OTHER_WATCHED = 3, 4, 300, 10, 50


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{cpu_model()}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, load average {load[0]:.2f} {load[1]:.2f}"
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(label: str, seconds: list[float]) -> tuple[float, float]:
    ms = [s * 1000 for s in seconds]
    p50, p99 = percentile(ms, 50), percentile(ms, 99)
    print(
        f"  {label:<34} n={len(ms):>5}  p50 {p50:7.3f} ms  p99 {p99:7.3f} ms  "
        f"mean {statistics.fmean(ms):7.3f} ms"
    )
    return p50, p99


def rest_vs_grpc(suite: Suite, gateway: str, requests: int) -> None:
    token = suite.token("bench-officer", "officer")
    metadata: tuple[tuple[str, str | bytes], ...] = (("authorization", f"Bearer {token}"),)
    seal_id = f"BENCH-{uuid.uuid4().hex[:6]}"
    with grpc.insecure_channel(suite.services["seal"].address) as channel:
        stub = seal_pb2_grpc.SealServiceStub(channel)
        stub.CreateSeal(
            seal_pb2.CreateSealRequest(
                seal_id=seal_id,
                seal=seal_pb2.Seal(manufacturer="M", serial_number=seal_id, battery_percent=90),
            ),
            metadata=metadata,
            timeout=5,
        )
        request = seal_pb2.GetSealRequest(name=f"seals/{seal_id}")
        headers = {"Authorization": f"Bearer {token}"}
        direct: list[float] = []
        rest: list[float] = []
        lean: list[float] = []
        path = f"/v1/seals/{seal_id}"
        host = gateway.removeprefix("http://")
        plain = http.client.HTTPConnection(host, timeout=10)

        def lean_get() -> None:
            plain.request("GET", path, headers=headers)
            response = plain.getresponse()
            body = response.read()
            if response.status != 200:
                raise RuntimeError(f"REST read failed: {response.status} {body!r}")

        with httpx.Client(base_url=gateway, timeout=10) as http_client:
            for _ in range(200):  # warm every path (connections, caches, lazy imports)
                stub.GetSeal(request, metadata=metadata, timeout=5)
                http_client.get(path, headers=headers).raise_for_status()
                lean_get()
            rounds = 10
            per_round = max(1, requests // rounds)
            for _ in range(rounds):
                for _ in range(per_round):
                    start = time.perf_counter()
                    stub.GetSeal(request, metadata=metadata, timeout=5)
                    direct.append(time.perf_counter() - start)
                for _ in range(per_round):
                    start = time.perf_counter()
                    response = http_client.get(path, headers=headers)
                    rest.append(time.perf_counter() - start)
                    if response.status_code != 200:
                        raise RuntimeError(
                            f"REST read failed: {response.status_code} {response.text}"
                        )
                for _ in range(per_round):
                    start = time.perf_counter()
                    lean_get()
                    lean.append(time.perf_counter() - start)
        plain.close()
    print("REST read vs the gRPC call it wraps (GetSeal), one keep-alive connection each:")
    g50, _ = summary("direct gRPC GetSeal", direct)
    r50, _ = summary("REST, httpx client", rest)
    l50, _ = summary("REST, http.client (stdlib)", lean)
    for name, value in (("httpx", r50), ("http.client", l50)):
        verdict = "meets" if value / g50 <= 1.5 else "MISSES"
        print(f"  p50 ratio REST ({name}) / gRPC: {value / g50:.2f} ({verdict} the 1.5 bar)")
    print("  (the gRPC client is C-core; httpx adds its own pure-Python client cost to REST)")


def seed(suite: Suite, gateway: str) -> str:
    """A container with a dossier's worth of data, and other data around it that the dossier
    must leave out; returns its number once the duty log has captured its alerts."""
    number = iso6346.make("BEN", "U", f"{uuid.uuid4().int % 1_000_000:06d}").text
    supervisor = bearer(suite.token("bench-seeder", "supervisor", "officer"))
    with httpx.Client(base_url=gateway, timeout=120) as http:
        site = make_site(suite)
        room = make_room(http, suite, [site.name])
        for i in range(OTHER_WATCHED + 1):
            value = number if i == 0 else iso6346.make("OTH", "U", f"{i:06d}").text
            http.post(
                "/v1/watchlistEntries",
                params={"watchlist_entry_id": f"bench-{uuid.uuid4().hex[:8]}"},
                json={
                    "kind": "WATCH_KIND_CONTAINER",
                    "value": value,
                    "reason": "risk profile: undervalued textiles",
                    "action": "WATCH_ACTION_ALERT",
                },
                headers=supervisor,
            ).raise_for_status()
        for _ in range(SCANS):
            scan_container(http, suite, number, site.name)
        plate = plate_number()
        for i in range(PASSAGES):
            passage = site.read(site.entry if i % 2 == 0 else site.exit, plate, [number])
            http.post(f"/v1/{passage.name}:close", headers=supervisor).raise_for_status()
        seal_transit(http, suite, number)
        for i in range(ENTRIES):
            mentioned = i % MENTIONS_EVERY == 0
            entry: dict[str, Any] = {
                "kind": "ENTRY_KIND_OBSERVATION",
                "text": f"round {i}: lanes checked" + (f", {number} seen" if mentioned else ""),
            }
            if mentioned:
                entry["references"] = {"container_numbers": [number]}
            http.post(
                f"/v1/rooms/{room}/entries", json=entry, headers=supervisor
            ).raise_for_status()

        def captured() -> bool | None:
            dossier = http.get(f"/v1/containers/{number}", headers=supervisor).json()
            return True if (dossier["dutylog"] or {}).get("open_alarms") else None

        eventually(captured, f"an alarm about {number} in the duty log", within=120)
    return number


def dossiers(suite: Suite, gateway: str, per_client: int) -> None:
    token = suite.token("bench-supervisor", "supervisor", "officer", "analyst")
    headers = {"Authorization": f"Bearer {token}"}
    number = seed(suite, gateway)
    with httpx.Client(base_url=gateway, timeout=30) as http:
        first = http.get(f"/v1/containers/{number}", headers=headers)
        first.raise_for_status()
        dossier = first.json()
        missing = [f"{m['service']} ({m['status']}: {m['detail']})" for m in dossier["missing"]]
    scans, passages = dossier["scanner"]["scans"], dossier["camera"]["passages"]
    track, log = dossier["seal"]["track"], dossier["dutylog"]
    print(
        f"Seeded dossier of {number}: {len(scans)} scans, {len(passages)} passages, seal track "
        f"of {len(track['points'])} of {track.get('total_points', 0)} points, "
        f"{len(log['entries'])} log entries, {len(log['open_alarms'])} open alarms, "
        f"risk {dossier['risk']['level']} ({len(first.content) / 1024:.0f} KiB)"
    )
    print("Container dossier GET /v1/containers/{number} under concurrent clients:")
    print(f"  parts missing in every dossier: {', '.join(missing) or 'none'}")
    for clients in (1, 4, 16):
        times: list[float] = []
        lock = threading.Lock()
        errors: list[str] = []

        def client(times: list[float], errors: list[str], lock: threading.Lock) -> None:
            mine: list[float] = []
            with httpx.Client(base_url=gateway, timeout=30) as http:
                for _ in range(per_client):
                    start = time.perf_counter()
                    response = http.get(f"/v1/containers/{number}", headers=headers)
                    mine.append(time.perf_counter() - start)
                    if response.status_code != 200:
                        errors.append(f"{response.status_code} {response.text[:200]}")
                    elif len(gaps := response.json()["missing"]) > len(missing):
                        errors.append(
                            "missing "
                            + ", ".join(
                                f"{m['service']} ({m['status']}: {m['detail']})" for m in gaps
                            )
                        )
            with lock:
                times.extend(mine)

        threads = [
            threading.Thread(target=client, args=(times, errors, lock)) for _ in range(clients)
        ]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        summary(f"{clients:>2} concurrent clients", times)
        print(
            f"  {'':<34} throughput {len(times) / elapsed:7.1f} dossiers/s, "
            f"{len(errors)} failed or incomplete"
        )
        for reason, count in Counter(errors).most_common(3):
            print(f"  {'':<34} {count} x {reason}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="timed calls per path")
    parser.add_argument("--dossiers", type=int, default=100, help="dossiers per client")
    args = parser.parse_args()
    print(f"Machine: {machine()}")
    os.environ["GATEWAY_RATE_PER_SECOND"] = "1000000"  # inherited by the gateway process
    os.environ["GATEWAY_BURST"] = "1000000"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as folder:
        root = Path(folder)
        stores = start_stores(root)
        suite = Suite(root, stores, namespace=f"bench{uuid.uuid4().hex[:6]}")
        try:
            for name in DOMAIN_SERVICES:
                suite.start(name)
            gateway = suite.start_gateway().address
            rest_vs_grpc(suite, gateway, args.requests)
            dossiers(suite, gateway, args.dossiers)
        finally:
            suite.stop()
            stores.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
