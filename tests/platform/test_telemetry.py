"""Traces leave a service over OTLP when configured, with the caller's context carried through
the gRPC server span down to the MongoDB command spans; JSON logs carry trace ids."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
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


def test_spans_exported_with_context_from_caller_to_database(
    tmp_path: Path, stores: Stores
) -> None:
    receiver = Receiver()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(receiver, server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(receiver, server)
    port = free_port()
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    suite = Suite(tmp_path, stores, namespace=f"ot{uuid.uuid4().hex[:6]}")
    try:
        seal = suite.start("seal", {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}"})
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
        server.stop(0)


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
