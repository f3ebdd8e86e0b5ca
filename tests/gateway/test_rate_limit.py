"""Per-subject token buckets: the limiter alone with a fake clock, and 429 over HTTP."""

from __future__ import annotations

import httpx
import pytest

from devstack.suite import Suite
from services.gateway.rate_limit import RateLimiter, retry_after_header
from tests.gateway.conftest import bearer, own_gateway


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refusal_with_the_wait_until_the_next_token() -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_second=2.0, burst=3, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(0.5)
    clock.now += 0.25
    assert limiter.take("a") == pytest.approx(0.25)
    clock.now += 0.25
    assert limiter.take("a") == 0.0
    assert limiter.take("a") == pytest.approx(0.5)


def test_subjects_have_their_own_buckets_and_refill_caps_at_burst() -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_second=1.0, burst=2, clock=clock)
    limiter.take("a"), limiter.take("a")
    assert limiter.take("a") > 0
    assert limiter.take("b") == 0.0
    clock.now += 1000
    assert [limiter.take("a") for _ in range(3)][2] > 0  # refilled to 2, not to 1000


def test_idle_full_buckets_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_second=1.0, burst=2, clock=clock, sweep_above=3)
    for key in "abc":
        limiter.take(key)
    clock.now += 2.0  # a, b and c are full again
    limiter.take("d")
    assert limiter.tracked() == 1


def test_configuration_is_checked_and_retry_after_rounds_up() -> None:
    with pytest.raises(ValueError, match="rate"):
        RateLimiter(0.0, 1)
    with pytest.raises(ValueError, match="burst"):
        RateLimiter(1.0, 0)
    assert retry_after_header(0.01) == "1"
    assert retry_after_header(2.2) == "3"


def test_over_the_limit_is_429_with_retry_after_per_subject(suite: Suite) -> None:
    # One token per 100 s: nothing refills while the test runs, however slow the machine.
    limited = {"GATEWAY_RATE_PER_SECOND": "0.01", "GATEWAY_BURST": "2"}
    with (
        own_gateway(suite, "gateway-ratelimit", limited) as gateway,
        httpx.Client(base_url=gateway.address, timeout=10) as http,
    ):
        eager = bearer(suite.token("eager-client", "officer"))
        other = bearer(suite.token("other-client", "officer"))
        assert [http.get("/v1/seals", headers=eager).status_code for _ in range(2)] == [200, 200]
        refused = http.get("/v1/seals", headers=eager)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["retry-after"]) <= 100
        assert refused.json()["reason"] == "RATE_LIMITED"
        assert http.get("/v1/seals", headers=other).status_code == 200
        assert http.get("/healthz").status_code == 200  # not rate limited
