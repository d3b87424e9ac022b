"""OpenTelemetry tracing (KEFU_OTLP_ENDPOINT): a span per request reaches a real OTLP/HTTP
receiver, named by the route, continuing the caller's W3C trace, with the log line's fields."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import falcon.testing
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from kefu.bootstrap import build_services
from kefu.http.app import create_app
from kefu.settings import Settings, SettingsError
from tests.http.conftest import VALID_TICKET
from tests.receivers import Receiver, receiver, wait_until

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")  # export batches every 50 ms
    with receiver() as started:
        yield started


def spans(collector: Receiver) -> dict[str, Any]:
    found = {}
    for received in list(collector.received):
        request = ExportTraceServiceRequest.FromString(received.body)
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                for span in scope.spans:
                    attributes = {a.key: a.value for a in span.attributes}
                    found[span.name] = (span, attributes, resource.resource)
    return found


def test_each_request_is_a_span_sent_to_the_collector(collector: Receiver, tmp_path: Path) -> None:
    endpoint = collector.url.removesuffix("/hook")
    services = build_services(
        Settings(
            database_url=f"sqlite:///{tmp_path / 'kefu.sqlite3'}",
            api_tokens="t:desk-app:service",
            otlp_endpoint=endpoint,
        )
    )
    try:
        client = falcon.testing.TestClient(create_app(services))
        headers = {"Authorization": "Bearer t", "traceparent": TRACEPARENT, "X-Request-ID": "r-1"}
        assert client.simulate_post("/tickets", json=VALID_TICKET, headers=headers).status == (
            "201 Created"
        )
        assert client.simulate_get("/health").status_code == 200
        wait_until(lambda: {"POST /tickets", "GET /health"} <= set(spans(collector)), what="spans")
    finally:
        services.close()
    types = {
        v for r in collector.received for k, v in r.headers.items() if k.lower() == "content-type"
    }
    assert types == {"application/x-protobuf"}
    span, attributes, resource = spans(collector)["POST /tickets"]
    assert span.trace_id.hex() == TRACE_ID  # continues the caller's trace
    assert span.kind == span.SPAN_KIND_SERVER
    assert attributes["http.route"].string_value == "/tickets"
    assert attributes["http.response.status_code"].int_value == 201
    assert attributes["kefu.request_id"].string_value == "r-1"
    assert attributes["kefu.actor"].string_value == "desk-app"
    service = {a.key: a.value.string_value for a in resource.attributes}["service.name"]
    assert service == "kefu"
    health, _, _ = spans(collector)["GET /health"]
    assert health.trace_id.hex() != TRACE_ID  # no traceparent: a trace of its own


def test_an_endpoint_without_the_tracing_extra_is_refused_at_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("kefu.settings._installed", lambda module: False)
    with pytest.raises(SettingsError, match=r"pip install 'kefu\[tracing\]'"):
        Settings.from_env({"KEFU_OTLP_ENDPOINT": "http://collector:4318"})
