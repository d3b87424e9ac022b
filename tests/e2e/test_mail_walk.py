"""End to end by email: a customer's mail sent with smtplib to the real `kefu intake smtp`
opens a ticket; the agent's public reply reaches the customer's mailbox (a real SMTP server)
through the outbox of `kefu serve`; the customer's answer to that reply joins the thread, and
the ticket list finds the ticket by the words of the thread."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.test_serve import free_port, start
from tests.mailbox import body_of, smtp_server
from tests.receivers import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
CUSTOMER = "li.lei@customer.example"
DESK = "help@desk.example"


def _mail(subject: str, body: str, **headers: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = f"李雷 <{CUSTOMER}>"
    mail["To"] = DESK
    mail["Subject"] = subject
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body, charset="gb18030")
    return mail


def _accepts(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as probe:
            return probe.noop()[0] == 250
    except OSError:
        return False


def test_a_mail_opens_a_ticket_the_reply_is_mailed_and_the_answer_joins_the_thread(
    fresh_postgres_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env |= {
        "KEFU_DATABASE_URL": fresh_postgres_url,
        "KEFU_API_TOKENS": "e2e-token:e2e-desk:admin",
        "KEFU_TEST_TOKEN": "e2e-token",
        "KEFU_READ_WAIT_SECONDS": "20",
        "KEFU_WEBHOOK_KEY": "e2e-webhook-key",
        "KEFU_ATTACHMENTS_DIR": str(tmp_path / "files"),
        "KEFU_INTAKE_ADDRESS": DESK,
    }
    with smtp_server() as (mailbox, smtp_port):
        env |= {"KEFU_SMTP_HOST": "127.0.0.1", "KEFU_SMTP_PORT": str(smtp_port)}
        server = start(tmp_path, env)
        intake_port = free_port()
        intake = subprocess.Popen(
            [sys.executable, "-m", "kefu.cli", "intake", "smtp", "--port", str(intake_port)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_until(lambda: _accepts(intake_port), seconds=90, what="kefu intake smtp")
            with smtplib.SMTP("127.0.0.1", intake_port, timeout=60) as smtp:
                first = _mail(
                    "发票金额不对", "上月发票金额多收了59元", Message_ID="<q1@customer.example>"
                )
                smtp.send_message(first)
                with pytest.raises(smtplib.SMTPRecipientsRefused):  # not the desk's address
                    smtp.sendmail(CUSTOMER, ["other@desk.example"], first.as_bytes())
            ticket = _found(server, "发票金额")
            status, reply = server.call(
                "POST", f"/tickets/{ticket['id']}/thread",
                {"kind": "public_reply", "body": "您好，差额已退回，请查收。"},
            )  # fmt: skip
            assert status == 201, reply
            wait_until(lambda: mailbox.to(CUSTOMER) != [], seconds=90, what="the reply's email")
            [sent] = mailbox.to(CUSTOMER)
            assert f"[#{ticket['id']}]" in sent["Subject"] and "差额已退回" in body_of(sent)
            # It answers the customer's mail, so their mail client threads it.
            assert sent["In-Reply-To"] == sent["References"] == "<q1@customer.example>"

            answer = _mail(
                f"Re: {sent['Subject']}", "还没有收到退款", In_Reply_To=sent["Message-ID"]
            )
            with smtplib.SMTP("127.0.0.1", intake_port, timeout=60) as smtp:
                smtp.send_message(answer)
            wait_until(
                lambda: len(_customer_messages(server, ticket["id"])) == 2,
                seconds=90,
                what="the customer's answer in the thread",
            )
            assert _found(server, "没有收到退款")["id"] == ticket["id"]
            entries = _customer_messages(server, ticket["id"])
            assert [e["address"] for e in entries] == [CUSTOMER, CUSTOMER]
            wait_until(
                lambda: _reply_delivery(server, ticket["id"]) == "sent",
                seconds=90,
                what="the reply's delivery recorded",
            )
        finally:
            os.killpg(intake.pid, signal.SIGTERM)
            intake_exit = intake.wait(timeout=30)
            exit_code = server.stop_with_ctrl_c()
    assert (intake_exit, exit_code) == (0, 0)


def _found(server: Any, words: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    def listed() -> bool:
        status, page = server.call("GET", f"/tickets?q={quote(words)}")
        found[:] = page["items"] if status == 200 else []
        return len(found) == 1

    wait_until(listed, seconds=90, what=f"a ticket holding {words}")
    return found[0]


def _customer_messages(server: Any, ticket_id: str) -> list[dict[str, Any]]:
    status, page = server.call("GET", f"/tickets/{ticket_id}/thread")
    assert status == 200, page
    return [e for e in page["items"] if e["kind"] == "customer_message"]


def _reply_delivery(server: Any, ticket_id: str) -> str | None:
    _, page = server.call("GET", f"/tickets/{ticket_id}/thread")
    [reply] = [e for e in page["items"] if e["kind"] == "public_reply"]
    return str(reply["delivery"])
