"""The /webhooks and /events routes over the real falcon app."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import falcon.testing
import pytest

from kefu.bootstrap import Services
from kefu.domain.signing import derive_secret
from tests.http.conftest import FakeClock, Headers, desk_services
from tests.receivers import receiver

KEY = "api-test-key"


@pytest.fixture
def services(tmp_path: Path, clock: FakeClock) -> Iterator[Services]:
    with desk_services(tmp_path, clock, webhook_key=KEY, events_max_wait_seconds=10) as built:
        yield built


@pytest.fixture
def register(
    client: falcon.testing.TestClient, auth: Callable[..., Headers]
) -> Callable[..., falcon.testing.Result]:
    def register_(role: str = "admin", **body: Any) -> falcon.testing.Result:
        fields = {"url": "http://127.0.0.1:9/hook", "aggregate_kinds": ["ticket"], **body}
        return client.simulate_post("/webhooks", json=fields, headers=auth(role))

    return register_


def test_an_admin_registers_a_webhook_and_reads_it_back_without_its_secret(
    client: falcon.testing.TestClient,
    auth: Callable[..., Headers],
    register: Callable[..., falcon.testing.Result],
    catch_up: Callable[[], int],
) -> None:
    created = register(event_kinds=["Complaint.Registered"], description="CRM sync")
    assert created.status_code == 201 and created.headers["Location"].startswith("/webhooks/")
    catch_up()
    read = client.simulate_get(created.headers["Location"], headers=auth("admin")).json
    assert read["url"] == "http://127.0.0.1:9/hook" and read["status"] == "active"
    assert read["event_kinds"] == ["Complaint.Registered"] and "secret" not in read
    listed = client.simulate_get("/webhooks", headers=auth("admin")).json["items"]
    assert [item["id"] for item in listed] == [created.json["id"]]


def test_only_admins_manage_webhooks(
    client: falcon.testing.TestClient,
    auth: Callable[..., Headers],
    register: Callable[..., falcon.testing.Result],
) -> None:
    assert register(role="service").status_code == 403
    assert client.simulate_get("/webhooks", headers=auth("reporter")).status_code == 403
    created = register()
    secret = client.simulate_get(f"/webhooks/{created.json['id']}/secret", headers=auth())
    assert secret.status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "http://example.com/x", "aggregate_kinds": ["tickets"]}, "event_kinds"),
        ({"url": "http://example.com/x", "event_kinds": ["Ticket.Exploded"]}, "event_kinds"),
        ({"url": "http://example.com/x", "aggregate_kinds": []}, "event_kinds"),
        ({"url": "http://example.com/x", "secret": "mine"}, "secret"),
    ],
)
def test_a_bad_subscription_is_a_422_naming_the_field(
    register: Callable[..., falcon.testing.Result], body: dict[str, Any], field: str
) -> None:
    result = register(**body)
    assert result.status_code == 422, result.text
    assert result.json["errors"][0]["field"] == field


def test_the_secret_is_derived_and_rotation_replaces_it(
    client: falcon.testing.TestClient,
    auth: Callable[..., Headers],
    register: Callable[..., falcon.testing.Result],
) -> None:
    webhook_id = register().json["id"]
    first = client.simulate_get(f"/webhooks/{webhook_id}/secret", headers=auth("admin")).json
    assert first["secret"] == derive_secret(KEY.encode(), UUID(webhook_id), 1)
    rotated = client.simulate_post(
        f"/webhooks/{webhook_id}/rotate-secret", json={}, headers=auth("admin")
    )
    assert rotated.status_code == 200
    second = client.simulate_get(f"/webhooks/{webhook_id}/secret", headers=auth("admin")).json
    assert second["secret_version"] == 2 and second["secret"] != first["secret"]


def test_pausing_a_paused_webhook_is_a_409_naming_what_is_allowed(
    client: falcon.testing.TestClient,
    auth: Callable[..., Headers],
    register: Callable[..., falcon.testing.Result],
) -> None:
    path = f"/webhooks/{register().json['id']}/pause"
    body = {"reason": "receiver maintenance"}
    assert client.simulate_post(path, json=body, headers=auth("admin")).status_code == 200
    again = client.simulate_post(path, json=body, headers=auth("admin"))
    assert again.status_code == 409 and "resume" in again.json["allowed_now"]


def test_the_delivery_log_shows_status_attempts_and_latency(
    client: falcon.testing.TestClient,
    auth: Callable[..., Headers],
    register: Callable[..., falcon.testing.Result],
    open_ticket: Callable[..., dict[str, Any]],
    services: Services,
) -> None:
    with receiver() as hook:
        webhook_id = register(url=hook.url).json["id"]
        ticket = open_ticket()
        outbox = services.outbox_service()
        outbox.follower.catch_up()
        outbox.worker.send_due(webhook_id)
        outbox.worker.close()
    log = client.simulate_get(f"/webhooks/{webhook_id}/deliveries", headers=auth("admin"))
    [row] = log.json["items"]
    assert row["aggregate_id"] == ticket["id"] and row["kind"] == "Ticket.Opened"
    assert row["status"] == "delivered" and row["attempts"] == 1
    assert row["last_status_code"] == 200 and row["latency_ms"] >= 0
    bad = client.simulate_get(
        f"/webhooks/{webhook_id}/deliveries", params={"status": "lost"}, headers=auth("admin")
    )
    assert bad.status_code == 400


def test_the_event_stream_pages_by_position_and_filters_by_kind(
    client: falcon.testing.TestClient,
    auth: Callable[..., Headers],
    open_ticket: Callable[..., dict[str, Any]],
    act: Callable[..., falcon.testing.Result],
    register: Callable[..., falcon.testing.Result],
) -> None:
    register()  # a subscription's own events never appear in the stream
    ticket = open_ticket()
    act(ticket["id"], "urge")
    everything = client.simulate_get("/events", headers=auth()).json
    assert [e["kind"] for e in everything["events"]] == ["Ticket.Opened", "Ticket.Urged"]
    first = everything["events"][0]
    assert first["aggregate_id"] == ticket["id"] and first["aggregate_version"] == 1
    assert first["metadata"]["actor_id"] == "desk-app" and first["payload"]["subject"]
    urges = client.simulate_get("/events", params={"kinds": "Ticket.Urged"}, headers=auth())
    assert [e["kind"] for e in urges.json["events"]] == ["Ticket.Urged"]
    after = client.simulate_get(
        "/events", params={"after": first["position"], "limit": 1}, headers=auth()
    ).json
    assert [e["kind"] for e in after["events"]] == ["Ticket.Urged"]
    rest = client.simulate_get("/events", params={"after": after["next_after"]}, headers=auth())
    assert rest.json["events"] == [] and rest.json["next_after"] == after["next_after"]


@pytest.mark.parametrize(
    "params",
    [{"kinds": "Ticket.Nope"}, {"aggregate_kinds": "subscription"}, {"wait": "11"}, {"x": "1"}],
)
def test_a_bad_event_stream_query_is_a_400(
    client: falcon.testing.TestClient, auth: Callable[..., Headers], params: dict[str, str]
) -> None:
    result = client.simulate_get("/events", params=params, headers=auth())
    assert result.status_code == 400, result.text


def test_reporters_may_not_follow_the_event_stream(
    client: falcon.testing.TestClient, auth: Callable[..., Headers]
) -> None:
    assert client.simulate_get("/events", headers=auth("reporter")).status_code == 403


def test_a_long_poll_answers_with_the_event_that_arrives_while_it_waits(
    client: falcon.testing.TestClient,
    auth: Callable[..., Headers],
    open_ticket: Callable[..., dict[str, Any]],
) -> None:
    head = client.simulate_get("/events", headers=auth()).json["next_after"]
    answers: list[Any] = []
    poll = threading.Thread(
        target=lambda: answers.append(
            client.simulate_get("/events", params={"after": head, "wait": 10}, headers=auth())
        )
    )
    poll.start()
    opened = open_ticket()
    poll.join(timeout=60)
    [answer] = answers
    assert [e["aggregate_id"] for e in answer.json["events"]] == [opened["id"]]


def test_the_openapi_document_describes_webhooks_the_stream_and_messages(
    client: falcon.testing.TestClient,
) -> None:
    document = client.simulate_get("/openapi.json").json
    paths = document["paths"]
    for path in ("/webhooks", "/webhooks/{subscription_id}/redeliver", "/events", "/messages"):
        assert path in paths
    assert "RegisterWebhook" in document["components"]["schemas"]
    assert "/messages/{message_id}/delivery-report" in paths
