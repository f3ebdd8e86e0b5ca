"""Demo data: each service's module ``devstack/demo/<service>.py`` has ``load(suite)`` that
creates its part through the public gRPC APIs and returns lines to print."""

from __future__ import annotations

import importlib
import importlib.util

from devstack.suite import DOMAIN_SERVICES, Suite


def load_all(suite: Suite) -> list[str]:
    lines: list[str] = []
    for name in DOMAIN_SERVICES:
        module_name = f"devstack.demo.{name}"
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        lines += module.load(suite)
    return lines
