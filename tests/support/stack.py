"""Test helpers around the embedded stack: calls with tokens, status details, storage access."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from devstack.suite import Suite


def auth(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


@contextmanager
def raises_status(code: grpc.StatusCode) -> Iterator[dict[str, Any]]:
    """Expects an RpcError with ``code``; yields a dict filled with its parsed details."""
    found: dict[str, Any] = {}
    with pytest.raises(grpc.RpcError) as info:
        yield found
    error = info.value
    assert error.code() == code, f"expected {code}, got {error.code()}: {error.details()}"
    found["message"] = error.details()
    status = rpc_status.from_call(error)
    found["violations"] = []
    found["preconditions"] = []
    found["reason"] = None
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                found["violations"] = [v.field for v in bad.field_violations]
            elif detail.Is(error_details_pb2.PreconditionFailure.DESCRIPTOR):
                pre = error_details_pb2.PreconditionFailure()
                detail.Unpack(pre)
                found["preconditions"] = [(v.type, v.subject) for v in pre.violations]
            elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info_detail = error_details_pb2.ErrorInfo()
                detail.Unpack(info_detail)
                found["reason"] = info_detail.reason
                found["domain"] = info_detail.domain


def channel(suite: Suite, service: str) -> grpc.Channel:
    """A channel to one of the suite's services (TLS, with a client certificate, when the suite
    runs with TLS)."""
    address = suite.services[service].address
    credentials = suite.grpc_credentials()
    if credentials is not None:
        return grpc.secure_channel(address, credentials)
    return grpc.insecure_channel(address)


def database(suite: Suite, service: str) -> str:
    """The MongoDB database of ``service`` in this test session."""
    return suite.services[service].env["MONGODB_DATABASE"]


def bucket(suite: Suite, service: str) -> str:
    """The bucket of ``service`` in this test session."""
    return suite.services[service].env["S3_BUCKET"]


def health(suite: Suite, service: str) -> int | None:
    from devstack.suite import health_status

    return health_status(suite.services[service].address)


def wait_for(predicate: Callable[[], bool], what: str, within: float = 60.0) -> None:
    """Polls ``predicate`` (a bounded wait for background work, not a timing assertion)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not seen within {within:.0f} s")


def fast_channel(address: str) -> grpc.Channel:
    """A channel of its own (not shared with other tests) that reconnects within half a second
    after the server at ``address`` restarts."""
    return grpc.insecure_channel(
        address,
        options=[
            ("grpc.use_local_subchannel_pool", 1),
            ("grpc.initial_reconnect_backoff_ms", 100),
            ("grpc.min_reconnect_backoff_ms", 100),
            ("grpc.max_reconnect_backoff_ms", 500),
        ],
    )
