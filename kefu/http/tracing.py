"""Optional OpenTelemetry tracing: one server span per request, exported over OTLP/HTTP.

On when `KEFU_OTLP_ENDPOINT` names a collector (`http://collector:4318`; spans go to its
`/v1/traces`) and the `tracing` extra is installed (`pip install 'kefu[tracing]'`). A caller's
W3C `traceparent` header continues its trace. The span is named by the route template
(`POST /tickets/{aggregate_id:uuid}/{action}`) and carries the status, the request and
correlation ids and the actor, the same fields as the JSON log line. Spans are batched and sent
from a thread of each worker process, so a slow or absent collector never slows a request.
"""

from __future__ import annotations

from typing import Any

import falcon
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

SERVICE_NAME = "kefu"


class TracingMiddleware:
    """Starts a server span when a request arrives and ends it with the answer."""

    def __init__(self, provider: trace.TracerProvider) -> None:
        self.tracer = provider.get_tracer("kefu.http")
        self.propagator = TraceContextTextMapPropagator()

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        carrier = {name.lower(): value for name, value in req.headers.items()}
        parent = self.propagator.extract(carrier)
        req.context.span = self.tracer.start_span(
            req.method, context=parent, kind=trace.SpanKind.SERVER
        )

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        span: trace.Span | None = getattr(req.context, "span", None)
        if span is None:
            return
        route = req.uri_template or "(unmatched)"
        caller = getattr(req.context, "caller", None)
        correlation = getattr(req.context, "correlation_id", None)
        span.update_name(f"{req.method} {route}")
        span.set_attributes(
            {
                "http.request.method": req.method,
                "http.route": route,
                "http.response.status_code": resp.status_code,
                "kefu.request_id": str(getattr(req.context, "request_id", "")),
                "kefu.correlation_id": str(correlation or ""),
                "kefu.actor": caller.actor_id if caller is not None else "",
            }
        )
        if resp.status_code >= 500:
            span.set_status(trace.StatusCode.ERROR)
        span.end()


def otlp_tracing(endpoint: str) -> TracingMiddleware:
    """The middleware, exporting in batches to the collector at `endpoint`."""
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return TracingMiddleware(provider)
