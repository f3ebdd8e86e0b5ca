"""The numba kernels that the analysis calls from Python, and how many compiled specialisations
each holds, so that start-up can tell whether warm-up left anything to compile on the hot path.

A kernel that only other kernels call (a row function) is compiled into its callers; when they
are loaded from the cache it is never compiled on its own, so it is not counted.
"""

from __future__ import annotations

import importlib
import pkgutil

from numba.core.dispatcher import Dispatcher


def _all_kernels() -> dict[str, Dispatcher]:
    package = __name__.rpartition(".")[0]
    found: dict[str, Dispatcher] = {}
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
        module = importlib.import_module(f"{package}.{info.name}")
        for name, value in vars(module).items():
            if isinstance(value, Dispatcher) and value.py_func.__module__ == module.__name__:
                found[f"{info.name}.{name}"] = value
    return found


def entry_kernels() -> dict[str, Dispatcher]:
    """The domain's kernels that no other kernel calls, by ``module.function``."""
    every = _all_kernels()
    called = {
        id(callee)
        for kernel in every.values()
        for name in kernel.py_func.__code__.co_names
        if isinstance(callee := kernel.py_func.__globals__.get(name), Dispatcher)
    }
    return {name: k for name, k in every.items() if id(k) not in called}


def compiled() -> dict[str, int]:
    """Compiled (or cache-loaded) specialisations of each entry kernel; 0 means its first call
    will compile it."""
    return {name: len(kernel.signatures) for name, kernel in entry_kernels().items()}
