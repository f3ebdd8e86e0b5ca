"""Every role against every RPC of every service: allowed roles get past the guard, the others
are PERMISSION_DENIED, nobody without a token gets in, and no token reaches the logs."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import MethodDescriptor

from devstack.suite import DOMAIN_SERVICES, Suite
from services.platform.auth import Role
from services.platform.server import ServiceSpec

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}")


def spec(service: str) -> ServiceSpec:
    module = importlib.import_module(f"services.{service}.service")
    found: ServiceSpec = module.SPEC
    return found


def methods(service: str) -> Iterator[tuple[MethodDescriptor, frozenset[Role]]]:
    s = spec(service)
    for grpc_service in s.grpc_services:
        descriptor = descriptor_pool.Default().FindServiceByName(grpc_service)
        policy = next(p for p in s.policies if p.service == grpc_service)
        for method in descriptor.methods:
            yield method, policy.roles_for(f"/{grpc_service}/{method.name}")


def call(channel: grpc.Channel, method: MethodDescriptor, token: str | None) -> grpc.StatusCode:
    """Calls ``method`` with an empty request; returns the status code it ended with."""
    request_type: Any = message_factory.GetMessageClass(method.input_type)
    response_type: Any = message_factory.GetMessageClass(method.output_type)
    path = f"/{method.containing_service.full_name}/{method.name}"
    kwargs: dict[str, Any] = {
        "request_serializer": request_type.SerializeToString,
        "response_deserializer": response_type.FromString,
    }
    metadata = (("authorization", f"Bearer {token}"),) if token else None
    try:
        if method.client_streaming:
            requests = iter([request_type()])
            if method.server_streaming:
                for _ in channel.stream_stream(path, **kwargs)(
                    requests, metadata=metadata, timeout=1.0
                ):
                    pass
            else:
                channel.stream_unary(path, **kwargs)(requests, metadata=metadata, timeout=5.0)
        elif method.server_streaming:
            for _ in channel.unary_stream(path, **kwargs)(
                request_type(), metadata=metadata, timeout=1.0
            ):
                pass
        else:
            channel.unary_unary(path, **kwargs)(request_type(), metadata=metadata, timeout=5.0)
    except grpc.RpcError as error:
        return error.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


@pytest.mark.parametrize("service", DOMAIN_SERVICES)
def test_every_rpc_has_a_policy(service: str) -> None:
    missing = [m.name for m, roles in methods(service) if not roles]
    assert missing == [], f"RPCs of {service} without roles (denied to everyone): {missing}"


def test_duty_log_has_no_rpc_that_alters_or_deletes_entries() -> None:
    names = [m.name for m, _ in methods("dutylog")]
    assert [n for n in names if n.startswith(("Update", "Delete", "Remove", "Edit"))] == []


@pytest.mark.parametrize("service", DOMAIN_SERVICES)
def test_role_matrix(suite: Suite, service: str) -> None:
    tokens = {role: suite.token(f"matrix-{role.value}", role.value) for role in Role}
    wrong: list[str] = []
    with grpc.insecure_channel(suite.services[service].address) as channel:
        for method, allowed in methods(service):
            if call(channel, method, None) != grpc.StatusCode.UNAUTHENTICATED:
                wrong.append(f"{method.name} without token")
            for role, token in tokens.items():
                code = call(channel, method, token)
                denied = code == grpc.StatusCode.PERMISSION_DENIED
                if (role in allowed) == denied or code == grpc.StatusCode.UNAUTHENTICATED:
                    wrong.append(f"{method.name} as {role.value}: {code.name}")
                if code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN):
                    wrong.append(f"{method.name} as {role.value}: server error on empty input")
    assert wrong == []


def test_no_token_or_secret_in_any_log(suite: Suite) -> None:
    leaked = []
    for running in suite.services.values():
        text = running.process.log_path.read_text(errors="replace")
        if _JWT.search(text):
            leaked.append(running.name)
        if running.env.get("S3_SECRET_KEY") and running.env["S3_SECRET_KEY"] in text:
            leaked.append(f"{running.name}: S3 secret")
    assert leaked == []
