"""Kernels are compiled before the service reports SERVING, and warm-up leaves nothing to
compile for the scans the service receives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from devstack.processes import Process, free_port
from devstack.suite import REPO, Suite
from services.scanner.domain.kernels import entry_kernels
from tests.support.stack import fast_channel, wait_for

Status = health_pb2.HealthCheckResponse

# Run in a fresh interpreter, where nothing is compiled yet: warm-up, then one scan taken in
# the way the service takes an upload (payload buffer, calibration lines as integers), analysed
# and rendered by the engine's job.
_FRESH_PROCESS = """
import hashlib, json
from services.scanner.domain import Declaration, warm_up
from services.scanner.domain.kernels import compiled
from services.scanner.domain.phantoms import PhantomKind, make_phantom
from services.scanner.engine import Job, run_job
from services.scanner.intake import UploadBuffer

before = compiled()
warm_up()
warmed = compiled()
ph = make_phantom(PhantomKind.WALL_LAYER, rows=200, cols=333, seed=2)
s = ph.scan
data = s.low.astype("<u2").tobytes() + s.high.astype("<u2").tobytes()
buffer = UploadBuffer(len(data))
buffer.append(data)
_, low, high = buffer.finish(hashlib.sha256(data).hexdigest(), 200, 333)
lines = {k: [int(round(v)) for v in getattr(s, k)]
         for k in ("dark_low", "air_low", "dark_high", "air_high")}
outcome = run_job(Job("scanners/X/scans/1", low, high, lines, Declaration(), ph.geometry))
print(json.dumps({"before": before, "warmed": warmed, "after": compiled(),
                  "rules": outcome.rules}))
"""


def test_warm_up_compiles_every_kernel_a_scan_needs() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join((str(REPO), str(REPO / "gen" / "python"))),
        },
        timeout=600,
    )
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(counts["warmed"]) == set(entry_kernels())
    assert all(n == 0 for n in counts["before"].values())
    assert all(n >= 1 for n in counts["warmed"].values()), counts["warmed"]
    assert counts["after"] == counts["warmed"]  # nothing compiled on the hot path
    assert counts["rules"] == ["FALSE_COMPARTMENT"]


def _statuses_until_serving(address: str, process: Process) -> list[int]:
    """The health statuses the server answers (each change once), from its first answer until
    SERVING (polling Check)."""
    seen: list[int] = []
    deadline = time.monotonic() + 300  # a bound on the wait, not a timing assertion
    with fast_channel(address) as channel:
        check = health_pb2_grpc.HealthStub(channel).Check
        while not seen or seen[-1] != Status.SERVING:
            assert process.alive() and time.monotonic() < deadline, process.tail()
            try:
                reply = check(health_pb2.HealthCheckRequest(), wait_for_ready=True, timeout=1)
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.DEADLINE_EXCEEDED:
                    raise
                continue
            if not seen or seen[-1] != reply.status:
                seen.append(reply.status)
            time.sleep(0.02)
    return seen


def _messages(log: Path) -> list[dict[str, Any]]:
    entries = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
    return entries


def test_not_serving_until_the_kernels_are_ready(suite: Suite, tmp_path: Path) -> None:
    """A second scanner (own database and bucket, the suite's numba cache) answers NOT_SERVING
    while it loads and runs every kernel, and SERVING only once they are ready."""
    address = f"127.0.0.1:{free_port()}"
    env = suite.service_env("scanner-warm-up", address)
    log = tmp_path / "scanner.log"
    process = Process(
        "scanner-warm-up", [sys.executable, "-m", "services.scanner"], log, env=env, cwd=REPO
    )
    try:
        statuses = _statuses_until_serving(address, process)
        # kernels ready is logged before health turns SERVING, so it is there by now
        ready = [m for m in _messages(log) if m["message"] == "kernels ready"]
        wait_for(lambda: any(m["message"] == "serving" for m in _messages(log)), "serving log")
    finally:
        process.stop()
    assert statuses == [Status.NOT_SERVING, Status.SERVING], process.tail()
    assert len(ready) == 1, process.tail()
    assert ready[0]["not_compiled"] == [] and ready[0]["kernels"] == len(entry_kernels())
    order = [m["message"] for m in _messages(log)]
    assert order.index("listening") < order.index("kernels ready") < order.index("serving")
