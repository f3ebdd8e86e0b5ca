"""OpenTelemetry traces and metrics for a service: set up once, flushed at shutdown.

Spans and metrics are exported over OTLP/gRPC when OTEL_EXPORTER_OTLP_ENDPOINT is set and
nowhere otherwise. HTTP requests at the gateway, gRPC server calls, outgoing gRPC calls (every
channel from :mod:`services.platform.clients`) and PyMongo commands are instrumented, so one trace
runs gateway → service → storage, and camera → scanner and seal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.grpc import aio_server_interceptor, filters
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF


@dataclass(slots=True)
class Telemetry:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    #: whether anything leaves the process (an OTLP endpoint is configured)
    exporting: bool = False

    def server_interceptor(self) -> Any:
        """Server spans for every RPC but health checks: probes every few seconds are noise,
        and the instrumentation breaks streaming handlers that write instead of yield (the
        health service's Watch)."""
        return aio_server_interceptor(  # type: ignore[no-untyped-call]
            tracer_provider=self.tracer_provider,
            filter_=filters.negate(filters.health_check()),
        )

    def shutdown(self) -> None:
        """Flushes what is buffered and stops the exporters."""
        self.tracer_provider.force_flush()
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


def setup(service: str, otlp_endpoint: str | None) -> Telemetry:
    resource = Resource.create(
        {"service.name": f"customs-{service}", "service.namespace": "customs"}
    )
    # Without an exporter nothing is recorded (ALWAYS_OFF): spans still get ids, so logs keep
    # their trace ids and calls still carry the context on, at a fraction of the cost. With
    # one, the SDK's default sampler applies (OTEL_TRACES_SAMPLER may change it).
    tracer_provider = (
        TracerProvider(resource=resource)
        if otlp_endpoint
        else TracerProvider(resource=resource, sampler=ALWAYS_OFF)
    )
    readers: list[MetricReader] = []
    if otlp_endpoint:
        insecure = not otlp_endpoint.startswith("https://")
        tracer_provider.add_span_processor(
            BatchSpanProcessor(
                OTLPSpanExporter(endpoint=otlp_endpoint, insecure=insecure),
                schedule_delay_millis=1000,
            )
        )
        readers.append(
            PeriodicExportingMetricReader(
                OTLPMetricExporter(endpoint=otlp_endpoint, insecure=insecure),
                export_interval_millis=5000,
            )
        )
    meter_provider = MeterProvider(resource=resource, metric_readers=readers)
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    PymongoInstrumentor().instrument(tracer_provider=tracer_provider)
    return Telemetry(tracer_provider, meter_provider, exporting=bool(otlp_endpoint))
