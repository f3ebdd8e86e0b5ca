"""Scanner pipeline benchmark: numba kernels vs the NumPy/SciPy reference on a 2 x 2048 x 6000 scan.

Run: .venv/bin/python benchmarks/scan_pipeline.py [--rows 2048] [--cols 6000] [--repeat 5]
Prints the machine, per-stage times (best of N repetitions, after warm-up), the end-to-end
pipeline vs the reference, vs one streaming read of the input, and the labelling throughput.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numba
import numpy as np

from services.scanner.domain import (
    Declaration,
    GoodsCategory,
    GoodsLine,
    analyse,
    analyse_reference,
    encode_png,
    warm_up,
)
from services.scanner.domain.calibration import calibrate
from services.scanner.domain.classes import MATERIAL_MASK, classify
from services.scanner.domain.labelling import label_keys, paint_labels
from services.scanner.domain.params import AnalysisParameters
from services.scanner.domain.phantoms import PhantomKind, make_phantom
from services.scanner.domain.regions import region_table
from services.scanner.domain.render import render
from services.scanner.domain.smoothing import smooth
from services.scanner.domain.structure import detect_structure

MEDIANS: dict[str, float] = {}


def best(fn: Callable[[], Any], repeat: int, name: str = "") -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls (seconds) and the last result; median kept by name."""
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    if name:
        MEDIANS[name] = float(np.median(times))
    return min(times), out


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2048)
    ap.add_argument("--cols", type=int, default=6000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-storage", action="store_true", help="skip timing the S3 writes")
    a = ap.parse_args()
    threads = numba.get_num_threads()
    t = time.perf_counter()
    warm_up()
    t_warm = time.perf_counter() - t
    layer = numba.threading_layer()  # type: ignore[attr-defined]
    print(f"machine: {cpu_model()}; {os.cpu_count()} logical CPUs; numba {numba.__version__} "
          f"with {threads} threads ({layer} layer); numpy {np.__version__}")  # fmt: skip
    print(f"load average before: {load_average()} (other processes share these CPUs)")
    print(f"warm-up (compile or load cache): {t_warm:.2f} s")
    ph = make_phantom(PhantomKind.STEEL_IN_ORGANIC, rows=a.rows, cols=a.cols, seed=1)
    s, g = ph.scan, ph.geometry
    decl = Declaration(
        goods=(GoodsLine("6109", "cotton t-shirts", GoodsCategory.TEXTILES),),
        gross_weight_kg=ph.cargo_mass_kg,
    )
    n_px = a.rows * a.cols
    print(f"scan: 2 x {a.rows} x {a.cols} uint16 ({2 * n_px * 2 / 1e6:.0f} MB); "
          f"times are the best of {a.repeat} runs")  # fmt: skip
    both = np.stack([s.low, s.high])
    t_read, _ = best(lambda: np.add.reduce(both, axis=None), 2 * a.repeat, "read")

    # per-stage (single-step kernels; the pipeline fuses steps 1-3 and 7 into one pass)
    st: dict[str, float] = {}

    def calibration() -> tuple[Any, Any]:
        return (
            calibrate(s.low, s.dark_low, s.air_low),
            calibrate(s.high, s.dark_high, s.air_high),
        )

    st["calibration"], (mu_l, mu_h) = best(calibration, a.repeat)
    st["smoothing"], (sl, sh) = best(
        lambda: (smooth(mu_l, s.dark_low, s.air_low), smooth(mu_h, s.dark_high, s.air_high)),
        a.repeat,
    )
    st["classes"], cls = best(lambda: classify(sl, sh), a.repeat)
    st["false-colour array"], rgb = best(lambda: render(cls, sh), a.repeat)
    st["structure"], structure = best(
        lambda: detect_structure(sh, AnalysisParameters().structure, 0.2), a.repeat
    )
    inner = structure.interior

    def labelling() -> tuple[Any, ...]:
        return label_keys(cls, inner, ((3, 1), (0, MATERIAL_MASK)))

    st["labelling"], (dense_runs, mat_runs) = best(labelling, a.repeat)
    st["region statistics"], _ = best(
        lambda: (region_table(dense_runs, sh, cls), region_table(mat_runs, sh, cls)), a.repeat
    )
    t_paint, _ = best(lambda: paint_labels(mat_runs, cls.shape), a.repeat)
    t_png, png = best(lambda: encode_png(rgb), max(1, a.repeat // 2))

    t_pipe, res = best(lambda: analyse(s, decl, g), 2 * a.repeat, "pipeline")
    t_ref, ref = best(lambda: analyse_reference(s, decl, g), max(1, a.repeat // 2), "reference")
    assert [f.rule for f in res.findings] == [f.rule for f in ref.findings]

    print("\nstage                         numba (ms)   reference (ms)")
    ref_t = ref.timings_s
    for name, key in (
        ("calibration", "calibration"),
        ("smoothing", "smoothing"),
        ("classes", "classes"),
        ("false-colour array", "false_colour"),
        ("structure", "structure"),
        ("labelling", "labelling"),
        ("region statistics", "region_statistics"),
    ):
        print(f"  {name:<27} {st[name] * 1e3:10.1f}   {ref_t[key] * 1e3:12.1f}")
    fused = res.timings_s
    print("\npipeline analyse() stages (steps 1-3, 7 and the step-4 profiles fused), last run:")
    for k, v in fused.items():
        print(f"  {k:<35} {v * 1e3:8.1f} ms")
    print(f"\nPNG encoding (Pillow, level 1, {len(png) / 1e6:.1f} MB): {t_png * 1e3:.0f} ms")
    print(f"streaming read of both planes (np.add.reduce): {t_read * 1e3:.1f} ms")
    print(f"pipeline analyse() total:           {t_pipe * 1e3:8.1f} ms")
    print(f"reference analyse_reference() total:{t_ref * 1e3:8.1f} ms")
    print(f"medians: pipeline {MEDIANS['pipeline'] * 1e3:.1f} ms, reference "
          f"{MEDIANS['reference'] * 1e3:.1f} ms, read {MEDIANS['read'] * 1e3:.1f} ms")  # fmt: skip
    print(f"speed-up vs reference: {t_ref / t_pipe:.1f}x (target >= 5x)")
    print(f"pipeline / streaming read: {t_pipe / t_read:.1f}x (target <= 10x)")
    inner_px = inner.height * inner.width
    lab = st["labelling"]
    per_core = 2 * inner_px / lab / 1e6 / threads
    print(f"labelling: 2 labellings (dense, material; one pass) of the "
          f"{inner.height} x {inner.width} "
          f"interior in {lab * 1e3:.1f} ms = {2 * inner_px / lab / 1e6:.0f} MP/s on {threads} "
          f"threads = {per_core:.0f} MP/s/core (target >= 300)")  # fmt: skip
    with_paint = 2 * inner_px / (lab + 2 * t_paint) / 1e6 / threads
    print(f"  plus painting a full int32 label image: {t_paint * 1e3:.1f} ms "
          f"({with_paint:.0f} MP/s/core if both were painted)")  # fmt: skip
    print(f"findings: {[f.rule.value for f in res.findings]}; risk {res.risk:.2f}")
    if not a.no_storage:
        storage_times(both.tobytes(), png, a.repeat)
    print(f"load average after: {load_average()}")


def storage_times(raw: bytes, png: bytes, repeat: int) -> None:
    """Storing the raw planes and the rendering in the S3 store the service uses (the embedded
    SeaweedFS, or the one named by S3_ENDPOINT/S3_ACCESS_KEY/S3_SECRET_KEY), through the same
    ObjectStore code: timed apart from the analysis."""
    import asyncio
    import tempfile

    from devstack.stores import start_s3
    from services.platform.objects import ObjectStore

    with tempfile.TemporaryDirectory() as tmp:
        process = None
        endpoint = os.environ.get("S3_ENDPOINT", "")
        access, secret = os.environ.get("S3_ACCESS_KEY", ""), os.environ.get("S3_SECRET_KEY", "")
        if not endpoint:
            process, endpoint, access, secret = start_s3(Path(tmp) / "s3", Path(tmp) / "logs")
        store = ObjectStore(endpoint, access, secret, "bench-scans")
        try:

            async def run() -> tuple[float, float]:
                await store.ensure_bucket()
                t_raw = t_img = float("inf")
                for i in range(max(1, repeat // 2)):
                    t = time.perf_counter()
                    await store.put(f"raw/{i}.bin", raw, "application/octet-stream")
                    t_raw = min(t_raw, time.perf_counter() - t)
                    t = time.perf_counter()
                    await store.put(f"rendered/{i}.png", png, "image/png")
                    t_img = min(t_img, time.perf_counter() - t)
                return t_raw, t_img

            t_raw, t_img = asyncio.run(run())
        finally:
            store.close()
            if process is not None:
                process.stop()
    print(f"storage (S3 at {endpoint}, separate from the analysis): raw planes "
          f"{len(raw) / 1e6:.0f} MB in {t_raw * 1e3:.0f} ms ({len(raw) / t_raw / 1e6:.0f} MB/s); "
          f"false-colour PNG {len(png) / 1e6:.1f} MB in {t_img * 1e3:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
