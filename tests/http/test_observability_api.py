"""Metrics, request ids, correlation ids and JSON log lines, over the real falcon app."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import falcon.testing
import pytest
from prometheus_client.parser import text_string_to_metric_families

from kefu.http.jsonlog import JsonFormatter
from kefu.http.observability import REQUEST_ID
from tests.http.conftest import ACTION_BODIES, VALID_TICKET, Headers

Client = falcon.testing.TestClient


def samples(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    result = client.simulate_get("/metrics")
    assert result.status_code == 200
    assert result.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(result.text)
        for s in family.samples
    }


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Every JSON line the request logger writes during the test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("kefu.requests")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_requests_are_counted_by_route_template_and_status_with_their_latency(
    client: Client,
    auth: Callable[..., Headers],
    open_ticket: Callable[..., dict[str, Any]],
    catch_up: Callable[[], int],
) -> None:
    route = "/tickets/{aggregate_id:uuid}"
    before = samples(client)
    ticket_id = open_ticket()["id"]
    catch_up()
    client.simulate_get(f"/tickets/{ticket_id}", headers=auth())
    client.simulate_get("/tickets/00000000-0000-0000-0000-000000000000", headers=auth())
    after = samples(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("kefu_http_requests_total", method="GET", route=route, status="200") == 1
    assert grew("kefu_http_requests_total", method="GET", route=route, status="404") == 1
    assert grew("kefu_http_requests_total", method="POST", route="/tickets", status="201") == 1
    count = "kefu_http_request_duration_seconds_count"
    assert grew(count, method="GET", route=route) == 2
    assert (
        grew("kefu_http_request_duration_seconds_bucket", method="GET", route=route, le="+Inf") == 2
    )


def test_commands_are_counted_by_kind_and_outcome(
    client: Client, auth: Callable[..., Headers], open_ticket: Callable[..., dict[str, Any]]
) -> None:
    dispatch = "POST /tickets/{aggregate_id:uuid}/dispatch"
    before = samples(client)
    ticket_id = open_ticket()["id"]
    key = {**auth(), "Idempotency-Key": "k-1"}
    body = ACTION_BODIES["dispatch"]
    for _ in range(2):
        client.simulate_post(f"/tickets/{ticket_id}/dispatch", json=body, headers=key)
    client.simulate_post(f"/tickets/{ticket_id}/dispatch", json={"bad": 1}, headers=auth())
    after = samples(client)

    def grew(kind: str, outcome: str) -> float:
        labels = {"kind": kind, "outcome": outcome}
        return value(after, "kefu_commands_total", **labels) - value(
            before, "kefu_commands_total", **labels
        )

    assert grew("POST /tickets", "accepted") == 1
    batches = "kefu_group_commit_batch_size_count"
    assert value(after, batches) > value(before, batches)  # commands went through group commit
    assert grew(dispatch, "accepted") == 1
    assert grew(dispatch, "replayed") == 1
    assert grew(dispatch, "refused") == 1


def test_metrics_show_each_projections_position_and_lag_behind_the_log(
    client: Client, open_ticket: Callable[..., dict[str, Any]], catch_up: Callable[[], int]
) -> None:
    open_ticket()
    open_ticket()
    lagging = samples(client)
    assert value(lagging, "kefu_log_head") == 2
    assert value(lagging, "kefu_projection_behind_events", projection="ticket_views") == 2
    assert value(lagging, "kefu_projection_position", projection="ticket_views") == 0
    catch_up()
    caught_up = samples(client)
    assert value(caught_up, "kefu_projection_behind_events", projection="ticket_views") == 0
    assert value(caught_up, "kefu_projection_position", projection="ticket_views") == 2


def test_metrics_need_no_token(client: Client) -> None:
    assert client.simulate_get("/metrics").status_code == 200


def test_a_request_id_is_echoed_when_valid_and_made_when_absent_or_invalid(client: Client) -> None:
    given = client.simulate_get("/health", headers={"X-Request-ID": "edge-42.a:b"})
    made = client.simulate_get("/health")
    hostile = client.simulate_get("/health", headers={"X-Request-ID": "x" * 129})
    odd = client.simulate_get("/health", headers={"X-Request-ID": "a b<script>"})

    assert given.headers["X-Request-ID"] == "edge-42.a:b"
    for result in (made, hostile, odd):
        echoed = result.headers["X-Request-ID"]
        assert REQUEST_ID.match(echoed) and echoed not in ("x" * 129, "a b<script>")
    assert made.headers["X-Request-ID"] != hostile.headers["X-Request-ID"]


def test_the_correlation_id_is_echoed_and_is_the_one_stored_on_the_event(
    client: Client,
    auth: Callable[..., Headers],
    history: Callable[[str], list[dict[str, Any]]],
) -> None:
    given = "6f1c2a4e-1111-4a0b-9c39-4d4c2a7b9e01"
    sent = client.simulate_post(
        "/tickets", json=VALID_TICKET, headers={**auth(), "X-Correlation-ID": given}
    )
    made = client.simulate_post("/tickets", json=VALID_TICKET, headers=auth())

    assert sent.headers["X-Correlation-ID"] == given
    assert history(sent.json["id"])[0]["metadata"]["correlation_id"] == given
    made_id = made.headers["X-Correlation-ID"]
    assert history(made.json["id"])[0]["metadata"]["correlation_id"] == made_id


def test_a_malformed_correlation_id_refuses_the_command_and_writes_nothing(
    client: Client, auth: Callable[..., Headers], log_head: Callable[[], int]
) -> None:
    result = client.simulate_post(
        "/tickets", json=VALID_TICKET, headers={**auth(), "X-Correlation-ID": "not-a-uuid"}
    )
    assert result.status_code == 400
    assert log_head() == 0


def test_each_request_and_each_command_is_one_json_log_line(
    client: Client, auth: Callable[..., Headers], captured: io.StringIO
) -> None:
    headers = {**auth(), "X-Request-ID": "req-7"}
    created = client.simulate_post("/tickets", json=VALID_TICKET, headers=headers)
    client.simulate_get("/health")

    request, command, health = json_lines(captured)
    assert request["event"] == "request" and command["event"] == "command"
    assert request["request_id"] == command["request_id"] == "req-7"
    assert request["correlation_id"] == created.headers["X-Correlation-ID"]
    assert request["actor"] == "desk-app"
    assert (request["route"], request["status"], request["method"]) == ("/tickets", 201, "POST")
    assert request["duration_ms"] >= 0
    assert (command["kind"], command["outcome"]) == ("POST /tickets", "accepted")
    assert command["command_id"]
    assert (health["route"], health["actor"]) == ("/health", None)
