"""End to end: `kefu serve` (gunicorn, the projection runner and the outbox beside it);
registering a major complaint emails the manager (a real SMTP server) and POSTs a signed
webhook (a real HTTP receiver), each within a bounded wait."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import pytest

from kefu.domain.signing import verify
from tests.e2e.test_complaint_walk import REGISTER
from tests.e2e.test_serve import Server, serve_env, start  # noqa: F401 (serve_env is a fixture)
from tests.mailbox import body_of, smtp_server
from tests.receivers import receiver, wait_until

pytestmark = pytest.mark.e2e

DIRECTORY = {"staff": {"duty-manager": {"name": "王经理", "email": "wang@desk.example"}}}


def test_a_major_complaint_reaches_the_manager_by_email_and_subscribers_by_webhook(
    serve_env: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    directory = tmp_path / "directory.json"
    directory.write_text(json.dumps(DIRECTORY, ensure_ascii=False), encoding="utf-8")
    with smtp_server() as (mailbox, port), receiver() as hook:
        env = {
            **serve_env,
            "KEFU_SMTP_HOST": "127.0.0.1",
            "KEFU_SMTP_PORT": str(port),
            "KEFU_DIRECTORY_FILE": str(directory),
            "KEFU_WEBHOOK_KEY": "e2e-webhook-key",
        }
        server = start(tmp_path, env)
        try:
            status, webhook = server.call(
                "POST", "/webhooks", {"url": hook.url, "event_kinds": ["Complaint.Registered"]}
            )
            assert status == 201, webhook
            _, secret = server.call("GET", f"/webhooks/{webhook['id']}/secret")
            status, customer = server.call("POST", "/customers", {"name": "陈先生"})
            assert status == 201, customer
            body = {**REGISTER, "customer_id": customer["id"]}
            status, complaint = server.call("POST", "/complaints", body)
            assert status == 201, complaint
            wait_until(lambda: mailbox.to("wang@desk.example") != [], what="the manager's email")
            wait_until(lambda: hook.count() == 1, what="the webhook")
            [mail] = mailbox.to("wang@desk.example")
            assert "重大投诉" in mail["Subject"] and complaint["id"] in body_of(mail)
            [post] = hook.received
            assert post.event["aggregate_id"] == complaint["id"]
            signed = (post.headers["Kefu-Signature"], int(post.headers["Kefu-Timestamp"]))
            assert verify(secret["secret"], signed[1], post.body, signed[0])
            # The receiver counts the POST before its answer reaches the outbox, which then
            # records the delivery: the log says "delivered" a moment after the hook has it.
            wait_until(
                lambda: delivery_statuses(server, webhook["id"]) == ["delivered"],
                what="the delivery recorded as delivered",
            )
            commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in server.children()]
            assert sum(b"\x00outbox\x00run" in c for c in commands) == 1
        finally:
            exit_code = server.stop_with_ctrl_c()
    assert exit_code == 0
    assert UUID(complaint["id"])


def delivery_statuses(server: Server, webhook_id: str) -> list[str]:
    _, log = server.call("GET", f"/webhooks/{webhook_id}/deliveries")
    return [d["status"] for d in log["items"]]
