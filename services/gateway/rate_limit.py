"""Per-client rate limits: one token bucket per token subject.

A bucket holds at most ``burst`` tokens and refills at ``rate`` tokens per second; each request
takes one. A request that finds the bucket empty is refused with the time until the next token,
which the gateway sends as ``Retry-After``. Buckets that have refilled completely are forgotten,
so memory stays bounded by the clients active within the last ``burst / rate`` seconds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets keyed by client; ``take`` is O(1) and needs no lock in one event loop."""

    def __init__(
        self,
        rate_per_second: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        sweep_above: int = 10_000,
    ) -> None:
        if not rate_per_second > 0:
            raise ValueError("rate_per_second must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = rate_per_second
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._sweep_above = sweep_above

    def take(self, key: str) -> float:
        """Takes one token for ``key``: 0.0 when allowed, else seconds until one is available."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._sweep_above:
                self._sweep(now)
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        else:
            elapsed = max(0.0, now - bucket.stamp)
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
            bucket.stamp = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def tracked(self) -> int:
        """How many clients have a bucket (for tests and metrics)."""
        return len(self._buckets)

    def _sweep(self, now: float) -> None:
        full_after = self.burst / self.rate
        for key in [k for k, b in self._buckets.items() if now - b.stamp >= full_after]:
            del self._buckets[key]


def retry_after_header(wait_seconds: float) -> str:
    """``Retry-After`` in whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(wait_seconds)))
