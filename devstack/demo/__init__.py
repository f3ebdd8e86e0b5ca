"""Demo data: each service's module ``devstack/demo/<service>.py`` has ``load(suite)`` that
creates its part through the public gRPC APIs and returns lines to print, and may have
``prepare(suite)``, run for every module before any ``load``."""

from __future__ import annotations

import importlib
import importlib.util

from devstack.suite import DOMAIN_SERVICES, Suite


def load_all(suite: Suite) -> list[str]:
    modules = [
        importlib.import_module(f"devstack.demo.{name}")
        for name in DOMAIN_SERVICES
        if importlib.util.find_spec(f"devstack.demo.{name}") is not None
    ]
    for module in modules:
        if hasattr(module, "prepare"):
            module.prepare(suite)
    lines: list[str] = []
    for module in modules:
        lines += module.load(suite)
    return lines
