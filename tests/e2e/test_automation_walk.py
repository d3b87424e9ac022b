"""End to end over real gunicorn: the rules put a VIP ticket in the 10-minute lane, and an
overdue ticket is warned, breached and escalated with nobody issuing a command, and the
escalation's notice reaches the duty manager by email (a real SMTP server) and a subscriber by
webhook (a real HTTP receiver). A short SLA in this test's configuration keeps the wait
bounded; no timing is asserted."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_serve import Server, serve_env, start
from tests.mailbox import Mailbox, body_of, smtp_server
from tests.receivers import Receiver, receiver, wait_until

pytestmark = pytest.mark.e2e
__all__ = ["serve_env"]  # the fixture: embedded SQLite, then PostgreSQL

SHORT = {
    "name": "e2e-short",
    "categories": ["e2e-overdue"],
    "first_response": "2s",
    "warn_at": 0.5,
    "escalation": [
        {
            "level": 1,
            "raise_priority": True,
            "department": "supervisors",
            "notify": ["duty-manager"],
        }
    ],
}
DIRECTORY = {"staff": {"duty-manager": {"name": "值班王经理", "email": "wang@desk.example"}}}


def until(server: Server, path: str, holds: Callable[[Any], bool], seconds: float = 60) -> Any:
    """GETs `path` until `holds(body)` (the automation runs in the runner process)."""
    deadline = time.monotonic() + seconds
    body: Any = None
    while time.monotonic() < deadline:
        status, body = server.call("GET", path)
        if status == 200 and holds(body):
            return body
        time.sleep(0.3)
    raise AssertionError(f"{path} never got there in {seconds} s; last: {body}")


def test_rules_prioritise_and_assign_a_vip_ticket_and_an_overdue_ticket_escalates_by_itself(
    serve_env: dict[str, str], tmp_path: Path
) -> None:
    sla_file = tmp_path / "sla.json"
    sla_file.write_text(json.dumps({"policies": [SHORT]}))
    directory = tmp_path / "directory.json"
    directory.write_text(json.dumps(DIRECTORY, ensure_ascii=False), encoding="utf-8")
    with smtp_server() as (mailbox, port), receiver() as hook:
        env = {
            **serve_env,
            "KEFU_SLA_FILE": str(sla_file),
            "KEFU_DIRECTORY_FILE": str(directory),
            "KEFU_SMTP_HOST": "127.0.0.1",
            "KEFU_SMTP_PORT": str(port),
            "KEFU_WEBHOOK_KEY": "e2e-webhook-key",  # the outbox runs beside the runner
        }
        server = start(tmp_path, env)
        try:
            overdue_id = walk(server, hook.url)
            notice_reaches_its_people(server, overdue_id, mailbox, hook)
        finally:
            assert server.stop_with_ctrl_c() == 0


def walk(server: Server, hook_url: str) -> str:
    """The VIP lane and the overdue ticket's escalation; returns the overdue ticket's id."""
    subscribed = {"url": hook_url, "event_kinds": ["Notice.Raised"]}
    status, webhook = server.call("POST", "/webhooks", subscribed)
    assert status == 201, webhook
    status, customer = server.call(
        "POST", "/customers", {"name": "王芳", "phones": ["139 0013 9000"], "tier": "vip"}
    )
    assert status == 201
    status, agent = server.call("POST", "/agents", {"name": "李娜", "extension": "8001"})
    assert status == 201, agent
    owner = server.call("POST", f"/customers/{customer['id']}/owner", {"agent_id": agent["id"]})
    assert owner[0] == 200, owner
    body = {"channel": "wechat", "category": "billing", "subject": "发票开错了",
            "customer_id": customer["id"]}  # fmt: skip
    status, vip = server.call("POST", "/tickets", body)
    assert (status, vip["status"]) == (201, "open")

    seen = until(server, f"/tickets/{vip['id']}", lambda t: t["status"] == "dispatched")
    assert (seen["priority"], seen["department"], seen["assignee_id"]) == (
        "urgent",
        "vip",
        agent["id"],
    )
    assert seen["tags"] == ["10-minute-lane"]
    assert seen["sla"]["policy"] == "default-urgent"

    late = {"channel": "phone", "category": "e2e-overdue", "subject": "nobody answers"}
    status, overdue = server.call("POST", "/tickets", late)
    assert status == 201
    escalated = until(server, f"/tickets/{overdue['id']}", lambda t: t["escalation_level"] >= 1)
    assert (escalated["priority"], escalated["department"]) == ("important", "supervisors")
    first = escalated["sla"]["clocks"]["first_response"]
    assert (first["warned"], first["breached"]) == (True, True)
    status, history = server.call("GET", f"/tickets/{overdue['id']}/history")
    actors = {e["type"].rsplit(".", 1)[-1]: e["metadata"]["actor_id"] for e in history["events"]}
    assert actors["Opened"] != "system"
    assert actors["SlaWarned"] == actors["SlaBreached"] == actors["Escalated"] == "system"
    return str(overdue["id"])


def notice_reaches_its_people(
    server: Server, overdue_id: str, mailbox: Mailbox, hook: Receiver
) -> None:
    """The escalation's notice: one email to the duty manager, one webhook, both recorded."""
    wait_until(lambda: mailbox.to("wang@desk.example") != [], what="the duty manager's email")
    wait_until(lambda: hook.count() >= 1, what="the Notice.Raised webhook")
    [mail] = mailbox.to("wang@desk.example")
    assert overdue_id in body_of(mail) and "first_response overdue" in body_of(mail)
    [post] = hook.received
    assert post.event["kind"] == "Notice.Raised"
    assert post.event["payload"]["record_id"] == overdue_id
    assert post.event["metadata"]["actor_id"] == "system"
    sent = until(
        server,
        "/messages?rule=automation_notice",
        lambda b: [m["status"] for m in b["items"]] == ["sent"],
    )
    assert sent["items"][0]["recipient_id"] == "duty-manager"
