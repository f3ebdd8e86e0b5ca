"""The README's run command: starts everything with demo data, prints where to look, and Ctrl-C
leaves nothing running."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from devstack.suite import REPO


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmdline:
                found.append(f"{proc.name}: {cmdline[:120]}")
    return found


def _camera_demo(http: httpx.Client) -> None:
    """A port gate and a land border gate with entry and exit lanes, and among the passages a
    correctable misread, a weight discrepancy and a held exit."""
    sites = {s["name"]: s for s in http.get("/v1/sites").json()["sites"]}
    kinds = {name: sites[name]["kind"] for name in ("sites/cat-lai", "sites/moc-bai")}
    assert kinds == {"sites/cat-lai": "SITE_KIND_SEAPORT", "sites/moc-bai": "SITE_KIND_LAND_BORDER"}
    for site in ("cat-lai", "moc-bai"):
        gates = http.get(f"/v1/sites/{site}/gates").json()["gates"]
        assert gates, site
        lanes = http.get(f"/v1/{gates[0]['name']}/lanes").json()["lanes"]
        directions = {lane["direction"] for lane in lanes}
        assert directions == {"LANE_DIRECTION_ENTRY", "LANE_DIRECTION_EXIT"}, site
    passages: list[dict[str, Any]] = http.get(
        "/v1/sites/-/passages", params={"page_size": 100}
    ).json()["passages"]
    misread = [
        read
        for p in passages
        for read in p.get("containers", [])
        if read.get("status") == "CONTAINER_READ_STATUS_CORRECTED" and read.get("proposals")
    ]
    assert misread, passages
    outcomes = {p.get("weight", {}).get("outcome") for p in passages}
    assert "WEIGHT_OUTCOME_DISCREPANCY" in outcomes
    held = [p for p in passages if p.get("decision", {}).get("action") == "BARRIER_ACTION_HOLD"]
    assert held and all(p["direction"] == "LANE_DIRECTION_EXIT" for p in held)
    assert all(p["decision"]["reasons"] for p in held)


def test_run_command_serves_demo_data_and_stops_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "stack"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONGODB_", "S3_"))}
    run = subprocess.Popen(
        [str(REPO / "scripts" / "run"), "--data", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=REPO,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 240
        assert run.stdout is not None
        while time.monotonic() < deadline:
            line = run.stdout.readline()
            if not line:
                break
            output.append(line)
            if line.strip().startswith("demo:"):
                break
        text = "".join(output)
        gateway = re.search(r"gateway \(HTTP/JSON\)\s+(http://\S+)", text)
        token = re.search(r"supervisor \(all roles\): (\S+)", text)
        assert gateway and token, text
        headers = {"Authorization": f"Bearer {token.group(1)}"}
        ready = httpx.get(f"{gateway.group(1)}/readyz", timeout=10).json()
        assert ready["ready"] is True, ready
        seals = httpx.get(f"{gateway.group(1)}/v1/seals", headers=headers, timeout=10).json()
        assert {"seals/SL-0001", "seals/SL-0003"} <= {s["name"] for s in seals["seals"]}
        with httpx.Client(base_url=gateway.group(1), headers=headers, timeout=10) as http:
            _camera_demo(http)
    finally:
        run.send_signal(signal.SIGINT)
        run.wait(90)
        if run.stdout is not None:
            run.stdout.close()
    assert run.returncode == 0
    assert _processes_mentioning(str(data)) == []
