"""Traces leave a service over OTLP when configured, with the caller's context carried through
the gRPC server span down to the MongoDB command spans; JSON logs carry trace ids."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from customs.seal.v1 import seal_pb2, seal_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import (
    metrics_service_pb2,
    metrics_service_pb2_grpc,
)
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

from devstack.processes import free_port
from devstack.stores import Stores
from devstack.suite import Suite
from services.platform.logs import JsonFormatter
from tests.support.stack import auth


class Receiver(
    trace_service_pb2_grpc.TraceServiceServicer, metrics_service_pb2_grpc.MetricsServiceServicer
):
    """A minimal OTLP/gRPC collector that keeps what it is sent."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, str, bytes]] = []  # (service.name, span name, trace id)
        self.metric_names: set[str] = set()
        self.lock = threading.Lock()

    def Export(self, request: Any, context: Any) -> Any:
        with self.lock:
            if isinstance(request, trace_service_pb2.ExportTraceServiceRequest):
                for resource_spans in request.resource_spans:
                    attrs = {
                        a.key: a.value.string_value for a in resource_spans.resource.attributes
                    }
                    for scope in resource_spans.scope_spans:
                        for span in scope.spans:
                            self.spans.append(
                                (attrs.get("service.name", ""), span.name, span.trace_id)
                            )
                return trace_service_pb2.ExportTraceServiceResponse()
            for resource_metrics in request.resource_metrics:
                for scope in resource_metrics.scope_metrics:
                    self.metric_names.update(m.name for m in scope.metrics)
            return metrics_service_pb2.ExportMetricsServiceResponse()


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    """An OTLP receiver on a free port, and the endpoint to configure for it."""
    found = Receiver()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(found, server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(found, server)
    port = free_port()
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    try:
        yield found, f"http://127.0.0.1:{port}"
    finally:
        server.stop(0)


def test_spans_exported_with_context_from_caller_to_database(
    tmp_path: Path, stores: Stores, receiver: tuple[Receiver, str]
) -> None:
    receiver, endpoint = receiver
    suite = Suite(tmp_path, stores, namespace=f"ot{uuid.uuid4().hex[:6]}")
    try:
        seal = suite.start("seal", {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})
        stub = seal_pb2_grpc.SealServiceStub(grpc.insecure_channel(seal.address))
        trace_id = uuid.uuid4().hex
        metadata = [
            *auth(suite.token("officer", "officer")),
            ("traceparent", f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"),
        ]
        stub.CreateSeal(
            seal_pb2.CreateSealRequest(
                seal_id="OT-1",
                seal=seal_pb2.Seal(manufacturer="M", serial_number="S", battery_percent=50),
            ),
            metadata=metadata,
        )
        seal.process.stop()  # shutdown flushes what is buffered
        ours = [(svc, name) for svc, name, tid in receiver.spans if tid.hex() == trace_id]
        assert ("customs-seal", "/customs.seal.v1.SealService/CreateSeal") in ours
        database_spans = [name for svc, name in ours if svc == "customs-seal" and "insert" in name]
        assert database_spans, f"no MongoDB span in the caller's trace: {ours}"
        assert "rpc.server.duration" in receiver.metric_names
    finally:
        suite.stop()


def test_one_trace_runs_from_the_gateway_through_the_service_to_the_database(
    tmp_path: Path, stores: Stores, receiver: tuple[Receiver, str]
) -> None:
    """An HTTP request that arrives with a traceparent: the gateway's server span, the seal
    service's server span and its MongoDB spans share the trace."""
    receiver, endpoint = receiver
    own = Suite(tmp_path, stores, namespace=f"og{uuid.uuid4().hex[:6]}")
    traced = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
    try:
        seal = own.start("seal", traced)
        # only the seal service is called here; the other addresses are never dialled
        others = {f"{n.upper()}_ADDRESS": seal.address for n in ("scanner", "camera", "dutylog")}
        gateway = own.start_gateway({**traced, **others})
        stub = seal_pb2_grpc.SealServiceStub(grpc.insecure_channel(seal.address))
        stub.CreateSeal(
            seal_pb2.CreateSealRequest(
                seal_id="OT-2",
                seal=seal_pb2.Seal(manufacturer="M", serial_number="S", battery_percent=50),
            ),
            metadata=auth(own.token("officer", "officer")),
        )
        trace_id = uuid.uuid4().hex
        reply = httpx.get(
            f"{gateway.address}/v1/seals/OT-2",
            headers={
                "Authorization": f"Bearer {own.token('officer', 'officer')}",
                "traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01",
            },
        )
        assert reply.status_code == 200, reply.text
        gateway.process.stop()  # both flush what they buffered when they stop
        seal.process.stop()
        ours = {(svc, kind) for svc, kind, tid in receiver.spans if tid.hex() == trace_id}
        names = {svc: [k for s, k in ours if s == svc] for svc, _ in ours}
        assert any("/v1/seals/" in k for k in names.get("customs-gateway", [])), ours
        assert ("customs-seal", "/customs.seal.v1.SealService/GetSeal") in ours, ours
        assert any("find" in k for k in names.get("customs-seal", [])), ours
        # with an exporter the gateway's HTTP metrics go out too (without one they are off)
        assert any(n.startswith("http.server.") for n in receiver.metric_names), (
            receiver.metric_names
        )
    finally:
        own.stop()


def test_nothing_is_exported_without_endpoint(tmp_path: Path, stores: Stores) -> None:
    """Without OTEL_EXPORTER_OTLP_ENDPOINT the service runs and logs no export attempt."""
    suite = Suite(tmp_path, stores, namespace=f"nx{uuid.uuid4().hex[:6]}")
    try:
        seal = suite.start("seal")
        stub = seal_pb2_grpc.SealServiceStub(grpc.insecure_channel(seal.address))
        stub.ListSeals(seal_pb2.ListSealsRequest(), metadata=auth(suite.token("o", "officer")))
        time.sleep(1.5)
        seal.process.stop()
        assert "export" not in seal.process.log_path.read_text().lower()
    finally:
        suite.stop()


def test_json_log_lines_carry_trace_ids_and_hide_secrets() -> None:
    from opentelemetry.sdk.trace import TracerProvider

    tracer = TracerProvider().get_tracer("test")
    formatter = JsonFormatter("seal")
    with tracer.start_as_current_span("work") as span:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
        record.service_token = "secret-value"
        line = json.loads(formatter.format(record))
    assert line["message"] == "hello world"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert line["service_token"] == "[redacted]"
    token = "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl"
    access = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s"',
        ("1.2.3.4", "GET", f"/console/?token={token}"),
        None,
    )
    assert token not in formatter.format(access)
