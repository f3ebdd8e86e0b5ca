"""The analysis engine: one analysis at a time per process (each uses every numba thread), in
its own thread off the event loop; kernels compiled (or loaded from NUMBA_CACHE_DIR) at start."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.scanner.domain import Declaration, RawScan, ScannerGeometry, analyse, warm_up
from services.scanner.domain.kernels import compiled
from services.scanner.domain.model import U16Array
from services.scanner.products import Products, analysis_document, make_products

log = logging.getLogger("customs.scanner.engine")


@dataclass(frozen=True, slots=True, eq=False)
class Job:
    """One scan to analyse."""

    name: str
    low: U16Array
    high: U16Array
    calibration: dict[str, list[int]]
    declaration: Declaration
    geometry: ScannerGeometry


@dataclass(frozen=True, slots=True)
class Outcome:
    """The stored analysis document, the rules that fired and the derived products."""

    analysis: dict[str, Any]
    rules: list[str]
    risk: float
    products: Products


def _line(values: list[int]) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.asarray(values, dtype=np.float64)


def run_job(job: Job) -> Outcome:
    """Analysis, then the derived products (blocking; runs in the engine's thread)."""
    c = job.calibration
    scan = RawScan(
        job.low,
        job.high,
        _line(c["dark_low"]),
        _line(c["air_low"]),
        _line(c["dark_high"]),
        _line(c["air_high"]),
    )
    started = time.perf_counter()
    result = analyse(scan, job.declaration, job.geometry)
    elapsed_ms = (time.perf_counter() - started) * 1000.0
    doc = analysis_document(result, elapsed_ms)
    products = make_products(result, doc, job.name)
    return Outcome(doc, [f["rule"] for f in doc["findings"]], doc["risk"], products)


class Engine:
    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis")

    async def warm_up(self) -> None:
        """Compiles (or loads from the cache) every kernel; run before reporting SERVING. The
        "kernels ready" log line says how many kernels are compiled and which are not."""
        started = time.perf_counter()
        await asyncio.get_running_loop().run_in_executor(self._pool, warm_up)
        counts = compiled()
        missing = sorted(name for name, n in counts.items() if n == 0)
        if missing:
            log.warning("warm-up left kernels to compile on first use: %s", ", ".join(missing))
        log.info(
            "kernels ready",
            extra={
                "seconds": round(time.perf_counter() - started, 2),
                "kernels": len(counts),
                "not_compiled": missing,
            },
        )

    async def run(self, job: Job) -> Outcome:
        return await asyncio.get_running_loop().run_in_executor(self._pool, run_job, job)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
