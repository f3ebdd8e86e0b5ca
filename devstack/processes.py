"""Child processes that are always stopped: own process group, TERM then KILL, logs to a file."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


class Process:
    """A started child; ``stop()`` ends it and its children."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")
        self.popen = subprocess.Popen(
            self.argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def wait(self, timeout: float) -> int | None:
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds; returns the exit code."""
        if self.alive():
            self.signal(signal.SIGTERM)
            if self.wait(timeout) is None:
                self.signal(signal.SIGKILL)
                self.wait(5.0)
        else:
            # The leader is gone; make sure nothing it started lingers.
            self.signal(signal.SIGKILL)
        self._log.close()
        return self.popen.returncode

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        self.signal(signal.SIGKILL)
        self.wait(5.0)

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def stop_all(processes: list[Process], timeout: float = 15.0) -> None:
    """Stops several processes at once (each gets the full ``timeout``)."""
    threads = [threading.Thread(target=p.stop, args=(timeout,)) for p in processes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def wait_until(
    ready: Callable[[], bool], timeout: float, what: str, process: Process | None = None
) -> None:
    """Polls ``ready`` until true; raises with the process log tail when it never becomes true.

    A ``process`` that never became ready (or whose wait was interrupted) is stopped, so that a
    failed start leaves nothing running."""
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            if process is not None and not process.alive():
                raise RuntimeError(
                    f"{what}: process exited with {process.popen.returncode}\n{process.tail()}"
                )
            time.sleep(0.1)
        tail = process.tail() if process else ""
        raise TimeoutError(f"{what}: not ready after {timeout:.0f}s\n{tail}")
    except BaseException:
        if process is not None:
            process.stop()
        raise
