"""The one place numba compilation flags are set for every kernel of the suite.

Kernels are private functions decorated with ``@njit(**KERNEL)`` (or ``**PARALLEL_KERNEL`` when
each ``prange`` iteration writes only its own slice) behind a typed public wrapper.
"""

from __future__ import annotations

from typing import Any, Final

#: Serial kernel: releases the GIL so callers can run it in a thread pool; cached on disk
#: (NUMBA_CACHE_DIR must be writable) so start-up warm-up loads instead of compiling.
KERNEL: Final[dict[str, Any]] = {
    "nogil": True,
    "cache": True,
    "fastmath": False,
    "error_model": "numpy",
}

#: Parallel kernel: as KERNEL, with prange over independent slices.
PARALLEL_KERNEL: Final[dict[str, Any]] = {**KERNEL, "parallel": True}
