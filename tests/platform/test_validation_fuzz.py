"""Property-based bad input against every unary and client-streaming RPC of every service:
whatever arrives, the answer is a canonical status (INVALID_ARGUMENT naming a field, NOT_FOUND,
FAILED_PRECONDITION, ...), never a server error."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devstack.stores import Stores
from devstack.suite import DOMAIN_SERVICES, Suite
from tests.platform.test_access_matrix import methods

EXAMPLES = 20
_SAMPLES = ["", "CSQU3054383", "CSQU3054384", "sites/cat-lai", "seals/SL-1", "rooms/national",
            "scanners/CL-01", "x" * 300, "../../etc", "名", " "]  # fmt: skip
_INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}


def _scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    if field.type == FieldDescriptor.TYPE_STRING:
        return st.sampled_from(_SAMPLES) | st.text(max_size=24)
    if field.type == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=64)
    if field.type == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if field.type == FieldDescriptor.TYPE_ENUM:
        return st.sampled_from([v.number for v in field.enum_type.values] + [99])
    if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        extremes = st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -1.0, 1e9])
        return extremes | st.floats(-1e6, 1e6, width=32)
    low, high = _INT_RANGES[field.type]
    return st.sampled_from([low, high, 0, -1 if low < 0 else 1]) | st.integers(
        -1000, 100000
    ).filter(lambda v: low <= v <= high)


def _timestamps() -> st.SearchStrategy[Timestamp]:
    return st.builds(
        lambda s, n: Timestamp(seconds=s, nanos=n),
        st.integers(-62135596800, 253402300799), st.integers(0, 999_999_999),
    )  # fmt: skip


def message(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Any]:
    cls: Any = message_factory.GetMessageClass(descriptor)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        if field.message_type is not None:
            if field.message_type.GetOptions().map_entry:
                fields[field.name] = st.dictionaries(st.text(max_size=8), st.text(max_size=8),
                                                     max_size=2)  # fmt: skip
                continue
            if field.message_type.full_name == "google.protobuf.Timestamp":
                one: st.SearchStrategy[Any] = _timestamps()
            elif depth >= 2:
                continue
            else:
                one = message(field.message_type, depth + 1)
        else:
            one = _scalar(field)
        repeated = field.is_repeated
        fields[field.name] = st.lists(one, max_size=3) if repeated else one
    return st.fixed_dictionaries({}, optional=fields).map(lambda kw: cls(**kw))


@pytest.fixture(scope="module")
def fuzz_suite(tmp_path_factory: pytest.TempPathFactory, stores: Stores) -> Iterator[Suite]:
    root: Path = tmp_path_factory.mktemp("fuzz")
    running = Suite(root, stores, namespace=f"fz{uuid.uuid4().hex[:6]}")
    try:
        for name in DOMAIN_SERVICES:
            running.start(name)
        yield running
    finally:
        running.stop()


CASES = [
    pytest.param(service, method, id=f"{service}.{method.name}")
    for service in DOMAIN_SERVICES
    for method, _ in methods(service)
    if not method.server_streaming
]


@pytest.mark.parametrize(("service", "method"), CASES)
def test_no_server_error_on_any_input(
    fuzz_suite: Suite, service: str, method: MethodDescriptor
) -> None:
    token = fuzz_suite.token("fuzzer", "officer", "analyst", "supervisor", "auditor", "device",
                             "service")  # fmt: skip
    metadata = (("authorization", f"Bearer {token}"),)
    request_type: Any = message_factory.GetMessageClass(method.input_type)
    response_type: Any = message_factory.GetMessageClass(method.output_type)
    path = f"/{method.containing_service.full_name}/{method.name}"
    kwargs: dict[str, Any] = {
        "request_serializer": request_type.SerializeToString,
        "response_deserializer": response_type.FromString,
    }
    channel = grpc.insecure_channel(fuzz_suite.services[service].address)
    requests = st.lists(message(method.input_type), min_size=1, max_size=2)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(requests)
    def check(batch: list[Any]) -> None:
        try:
            if method.client_streaming:
                channel.stream_unary(path, **kwargs)(iter(batch), metadata=metadata, timeout=10)
            else:
                channel.unary_unary(path, **kwargs)(batch[0], metadata=metadata, timeout=10)
        except grpc.RpcError as error:
            code = error.code()
            assert code not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), (
                f"{method.name}: {code.name} {error.details()} for {batch[0]}"
            )
            if code == grpc.StatusCode.INVALID_ARGUMENT:
                status = rpc_status.from_call(error)
                assert status is not None, f"{method.name}: INVALID_ARGUMENT without details"
                named = []
                for detail in status.details:
                    if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                        bad = error_details_pb2.BadRequest()
                        detail.Unpack(bad)
                        named += [v.field for v in bad.field_violations if v.field]
                assert named, f"{method.name}: INVALID_ARGUMENT naming no field: {error.details()}"

    try:
        check()
    finally:
        channel.close()
