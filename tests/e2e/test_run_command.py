"""The README's run command: starts everything with demo data, prints where to look, and Ctrl-C
leaves nothing running."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

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
    finally:
        run.send_signal(signal.SIGINT)
        run.wait(90)
        if run.stdout is not None:
            run.stdout.close()
    assert run.returncode == 0
    assert _processes_mentioning(str(data)) == []
