"""The /messages, /notifications and /reports/messages routes over the real falcon app."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from kefu.bootstrap import Services, build_services
from kefu.commands.agents import RegisterAgent
from kefu.settings import Settings
from tests.http.conftest import FakeClock, Headers, desk_services
from tests.integration.conftest import context
from tests.receivers import Receiver, receiver

ZHAO = {"name": "Zhao", "phone": "+8613800000007", "channels": ["sms"]}


@pytest.fixture
def gateway() -> Iterator[Receiver]:
    with receiver() as started:
        yield started


@pytest.fixture
def agent_id(tmp_path: Path) -> str:
    """Agent Zhao, registered before the services start (the staff directory names agents)."""
    first = build_services(Settings(database_url=f"sqlite:///{tmp_path}/kefu.sqlite3"))
    try:
        registered = RegisterAgent(name="Zhao", extension="8007")
        return str(first.agents.register(registered, context()).answer.id)
    finally:
        first.close()


@pytest.fixture
def services(
    tmp_path: Path, clock: FakeClock, gateway: Receiver, agent_id: str
) -> Iterator[Services]:
    directory = tmp_path / "directory.json"
    directory.write_text(json.dumps({"staff": {agent_id: ZHAO}}))
    extra = {"directory_file": str(directory), "sms_gateway_url": gateway.url}
    with desk_services(tmp_path, clock, webhook_key="k", **extra) as built:
        yield built


@pytest.fixture
def urged_message(
    act: Callable[..., falcon.testing.Result],
    open_ticket: Callable[..., dict[str, Any]],
    services: Services,
    agent_id: str,
) -> Callable[[bool], str]:
    """Urges a ticket assigned to agent Zhao: one SMS queued (and sent when asked); its id."""

    def make(send: bool) -> str:
        ticket = open_ticket()["id"]
        assert act(ticket, "review").status_code == 200
        dispatch = {"department": "billing", "agent_id": agent_id}
        assert act(ticket, "dispatch", dispatch).status_code == 200
        assert act(ticket, "urge").status_code == 200
        outbox = services.outbox_service()
        outbox.follower.catch_up()
        assert outbox.notifier is not None and outbox.messages is not None
        outbox.notifier.catch_up()
        outbox.follower.catch_up()
        if send:
            outbox.messages.send_due()
            outbox.follower.catch_up()
        outbox.worker.close()
        [row] = services.outbox.messages.page({"rule": "ticket_urged"}, "", 10)
        return str(row["id"])

    return make


def test_a_preview_renders_a_template_with_the_fields_given(
    client: falcon.testing.TestClient, auth: Callable[..., Headers]
) -> None:
    body = {
        "template": "ticket_resolved",
        "channel": "sms",
        "language": "zh",
        "fields": {"subject": "洗衣机不转", "resolution": "更换了电机"},
    }
    preview = client.simulate_post("/notifications/preview", json=body, headers=auth())
    assert preview.status_code == 200, preview.text
    assert "洗衣机不转" in preview.json["body"] and "更换了电机" in preview.json["body"]
    assert preview.json["missing"] == []
    body["fields"] = {}
    english = client.simulate_post(
        "/notifications/preview", json={**body, "language": "en"}, headers=auth()
    )
    assert english.json["body"].startswith("Your request") and "subject" in english.json["missing"]


@pytest.mark.parametrize(
    "body",
    [
        {"template": "nope", "channel": "sms"},
        {"template": "birthday", "channel": "fax"},
        {"template": "birthday", "channel": "sms", "language": "fr"},
    ],
)
def test_a_bad_preview_is_a_422(
    client: falcon.testing.TestClient, auth: Callable[..., Headers], body: dict[str, Any]
) -> None:
    assert (
        client.simulate_post("/notifications/preview", json=body, headers=auth()).status_code == 422
    )


def test_the_templates_are_listed_with_their_fields(
    client: falcon.testing.TestClient, auth: Callable[..., Headers]
) -> None:
    items = client.simulate_get("/notifications/templates", headers=auth()).json["items"]
    major = {(t["channel"], t["language"]) for t in items if t["name"] == "complaint_major"}
    assert major == {("email", "zh"), ("email", "en"), ("sms", "zh"), ("sms", "en")}
    assert all("recipient_name" in t["fields"] for t in items if t["name"] == "birthday")


def test_a_queued_message_is_listed_read_and_cancelled_once(
    client: falcon.testing.TestClient,
    auth: Callable[..., Headers],
    urged_message: Callable[[bool], str],
) -> None:
    message = urged_message(False)
    listed = client.simulate_get("/messages", params={"status": "queued"}, headers=auth()).json
    assert [m["id"] for m in listed["items"]] == [message]
    read = client.simulate_get(f"/messages/{message}", headers=auth()).json
    assert read["address"] == "+8613800000007" and "【催单】" in read["body"]
    path = f"/messages/{message}/cancel"
    cancelled = client.simulate_post(path, json={"reason": "resolved by phone"}, headers=auth())
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    again = client.simulate_post(path, json={"reason": "again"}, headers=auth())
    assert again.status_code == 409
    history = client.simulate_get(f"/messages/{message}/history", headers=auth("auditor"))
    assert [e["type"] for e in history.json["events"]] == ["Queued", "Cancelled"]


def test_a_delivery_report_completes_a_sent_message_and_the_send_report_counts_it(
    client: falcon.testing.TestClient,
    auth: Callable[..., Headers],
    urged_message: Callable[[bool], str],
    gateway: Receiver,
    services: Services,
) -> None:
    message = urged_message(True)
    assert [r.event["reference"] for r in gateway.received] == [message]
    report = {"delivered": True, "answer": "DELIVRD"}
    done = client.simulate_post(f"/messages/{message}/delivery-report", json=report, headers=auth())
    assert done.status_code == 200 and done.json["status"] == "delivered"
    services.outbox_service().follower.catch_up()
    params = {"from": "2030-03-01", "to": "2030-03-31"}
    rows = client.simulate_get("/reports/messages", params=params, headers=auth("reporter"))
    assert rows.json["rows"] == [
        {
            "day": "2030-03-04",
            "template": "ticket_urged",
            "channel": "sms",
            "total": 1,
            "queued": 0,
            "sent": 0,
            "delivered": 1,
            "failed": 0,
            "cancelled": 0,
        }
    ]
    spreadsheet = client.simulate_get(
        "/reports/messages", params={**params, "format": "csv"}, headers=auth("reporter")
    )
    lines = list(csv.reader(io.StringIO(spreadsheet.text)))
    assert lines[0][:3] == ["day", "template", "channel"] and lines[1][:4] == [
        "2030-03-04",
        "ticket_urged",
        "sms",
        "1",
    ]


def test_a_bad_report_range_is_a_400(
    client: falcon.testing.TestClient, auth: Callable[..., Headers]
) -> None:
    bad = {"from": "2030-03-31", "to": "2030-03-01"}
    assert client.simulate_get("/reports/messages", params=bad, headers=auth()).status_code == 400
    assert client.simulate_get("/reports/messages", headers=auth()).status_code == 400
