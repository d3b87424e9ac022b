"""Notifications on both backends, through a real SMTP server (aiosmtpd) and a real HTTP
SMS gateway: who gets what, in which language, when (quiet hours, reminders), exactly once,
and what the providers answered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from kefu.bootstrap import Services, build_services
from kefu.commands.agents import RegisterAgent
from kefu.commands.complaints import RegisterComplaint
from kefu.commands.customers import MarkPreferences, RecordMilestone, RegisterCustomer
from kefu.commands.tickets import (
    DispatchTicket,
    OpenTicket,
    ResolveTicket,
    ReviewTicket,
    StartTicket,
    UrgeTicket,
)
from kefu.commands.visits import NotReached, ScheduleVisit
from kefu.domain.channels import Channel
from kefu.domain.complaint_values import ComplaintType
from kefu.domain.message import Message
from kefu.settings import Settings
from tests.integration.conftest import MovableClock, context
from tests.mailbox import Mailbox, body_of, smtp_server
from tests.receivers import Receiver, receiver

# 2030-03-04 09:00 in Shanghai (UTC+8)
START = datetime(2030, 3, 4, 1, 0, tzinfo=UTC)


def directory_naming(agent: str) -> dict[str, Any]:
    """Staff contacts, with registered agent Zhao under his id (commands check agents exist)."""
    return {
        "staff": {
            "mgr-sales": {"name": "王经理", "email": "wang@desk.example", "channels": ["email"]},
            "duty-manager": {"name": "Duty Li", "email": "li@desk.example", "language": "en"},
            agent: {
                "name": "Agent Zhao",
                "email": "zhao@desk.example",
                "phone": "+8613800000007",
                "channels": ["email", "sms"],
            },
        },
        "managers": {"after_sales": "mgr-sales"},
        "duty": ["duty-manager"],
    }


@dataclass
class Desk:
    services: Services
    mailbox: Mailbox
    gateway: Receiver
    clock: MovableClock
    agent: str

    def deliver(self) -> None:
        """What `kefu outbox run` does, once, synchronously."""
        outbox = self.services.outbox_service()
        outbox.follower.catch_up()
        assert outbox.notifier is not None and outbox.messages is not None
        outbox.notifier.catch_up()
        outbox.follower.catch_up()
        outbox.messages.send_due()
        outbox.follower.catch_up()
        outbox.worker.close()

    def messages(self, **where: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.services.outbox.messages.page(where, "", 500)]


@pytest.fixture
def desk(database_url: str, tmp_path: Path) -> Iterator[Desk]:
    first = build_services(Settings(database_url=database_url))
    try:
        registered = RegisterAgent(name="Agent Zhao", extension="8007")
        agent = str(first.agents.register(registered, context()).answer.id)
    finally:
        first.close()
    directory = tmp_path / "directory.json"
    directory.write_text(json.dumps(directory_naming(agent), ensure_ascii=False), encoding="utf-8")
    clock = MovableClock(START)
    with smtp_server() as (mailbox, port), receiver() as gateway:
        settings = Settings(
            database_url=database_url,
            webhook_key="k",
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_from="desk@kefu.example",
            sms_gateway_url=gateway.url,
            sms_gateway_token="gateway-secret",
            directory_file=str(directory),
            outbox_backoff_seconds=0,
            outbox_max_attempts=2,
        )
        services = build_services(settings, clock=clock)
        try:
            yield Desk(services, mailbox, gateway, clock, agent)
        finally:
            services.close()


def customer(desk: Desk, **fields: Any) -> UUID:
    command = RegisterCustomer(name=fields.pop("name", "Chen Jing"), **fields)
    return desk.services.customers.register(command, context()).answer.id


def resolved_ticket(desk: Desk, customer_id: UUID | str) -> UUID:
    t = desk.services.tickets
    ticket = t.open(
        OpenTicket(
            channel=Channel.PHONE,
            category="repair",
            subject="洗衣机不转",
            customer_id=UUID(str(customer_id)),
        ),
        context(),
    ).answer.id
    t.act(ticket, "review", ReviewTicket(), context())
    t.act(
        ticket,
        "dispatch",
        DispatchTicket(department="after_sales", agent_id=UUID(desk.agent)),
        context(),
    )
    t.act(ticket, "start", StartTicket(), context())
    t.act(ticket, "resolve", ResolveTicket(resolution="更换了电机", code="REPAIRED"), context())
    return ticket


def test_a_major_complaint_emails_the_manager_at_once_and_records_the_smtp_answer(
    desk: Desk,
) -> None:
    command = RegisterComplaint(
        channel=Channel.WECHAT,
        customer_id=customer(desk),
        type=ComplaintType.LOGISTICS_DELAY,
        description="沙发晚到十天并有划痕",
        contact="wechat:cust-8",
        major=True,
    )
    complaint = desk.services.complaints.register(command, context()).answer.id
    desk.deliver()
    [mail] = desk.mailbox.to("li@desk.example")  # no department yet: the named manager
    # A long subject is folded onto a continuation line; unfolded, it starts with the tag.
    assert str(mail["Subject"]).strip().startswith("[Major complaint]")  # Duty Li reads English
    assert str(complaint) in body_of(mail) and "沙发晚到十天" in body_of(mail)
    [record] = desk.messages(rule="major_complaint")
    assert record["status"] == "sent" and record["answer"].startswith("250 ")
    desk.deliver()
    assert desk.mailbox.count() == 1  # sent once, whatever runs again


def test_a_resolved_ticket_texts_the_customer_in_chinese_through_the_gateway(desk: Desk) -> None:
    cid = customer(desk, phones=("13900000001",))
    ticket = resolved_ticket(desk, cid)
    desk.deliver()
    [sms] = [r for r in desk.gateway.received if "更换了电机" in r.event["text"]]
    assert sms.event["to"] == "+8613900000001" and "洗衣机不转" in sms.event["text"]
    assert sms.headers["Authorization"] == "Bearer gateway-secret"
    [record] = desk.messages(rule="ticket_resolved")
    assert record["recipient_id"] == str(cid) and record["channel"] == "sms"
    assert record["status"] == "sent" and record["answer"].startswith("200")
    assert sms.event["reference"] == record["id"] and ticket


def test_an_urge_reaches_the_assignee_on_each_of_their_channels(desk: Desk) -> None:
    opened = desk.services.tickets.open(
        OpenTicket(channel=Channel.PHONE, category="repair", subject="no power"), context()
    ).answer.id
    t = desk.services.tickets
    t.act(opened, "review", ReviewTicket(), context())
    t.act(
        opened,
        "dispatch",
        DispatchTicket(department="after_sales", agent_id=UUID(desk.agent)),
        context(),
    )
    t.act(opened, "urge", UrgeTicket(urged_by="customer", reason="waiting two days"), context())
    desk.deliver()
    [mail] = desk.mailbox.to("zhao@desk.example")
    assert "【催单】" in mail["Subject"] and "waiting two days" in body_of(mail)
    texts = [r.event for r in desk.gateway.received]
    assert [t["to"] for t in texts] == ["+8613800000007"]
    assert {r["channel"] for r in desk.messages(rule="ticket_urged")} == {"email", "sms"}


def test_a_message_due_in_quiet_hours_waits_for_their_end(desk: Desk) -> None:
    cid = customer(desk, email="chen@example.com")
    quiet = MarkPreferences(preferences={"notify_by": "email"}, quiet_hours=("08:00-12:00",))
    desk.services.customers.act(cid, "preferences", quiet, context())
    resolved_ticket(desk, cid)  # 09:00 local: inside the window
    desk.deliver()
    assert desk.mailbox.to("chen@example.com") == []
    [waiting] = desk.messages(rule="ticket_resolved")
    assert waiting["status"] == "queued" and waiting["due_at"].startswith("2030-03-04T04:00")
    desk.clock.now += timedelta(hours=3)  # 12:00 local
    desk.deliver()
    assert len(desk.mailbox.to("chen@example.com")) == 1


def test_a_milestone_reminder_goes_days_before_and_a_rescheduled_one_replaces_it(
    desk: Desk,
) -> None:
    cid = customer(desk, phones=("13900000002",))
    first = RecordMilestone(kind="delivery", on=date(2030, 3, 20), note="")
    desk.services.customers.act(cid, "milestones", first, context())
    desk.deliver()
    [queued] = desk.messages(rule="milestone_reminder")
    assert queued["due_at"] == "2030-03-15T02:00:00.000000Z"  # 5 days before, 10:00 local
    moved = RecordMilestone(kind="delivery", on=date(2030, 3, 25), note="改期")
    desk.services.customers.act(cid, "milestones", moved, context())
    desk.deliver()
    statuses = {r["due_at"][:10]: r["status"] for r in desk.messages(rule="milestone_reminder")}
    assert statuses == {"2030-03-15": "cancelled", "2030-03-20": "queued"}
    desk.clock.now = datetime(2030, 3, 20, 2, 0, tzinfo=UTC)
    desk.deliver()
    desk.deliver()
    [sms] = desk.gateway.received
    assert "2030-03-25" in sms.event["text"]


def test_a_birthday_greeting_is_sent_once_a_year(desk: Desk) -> None:
    customer(desk, name="Lin", phones=("13900000003",), birthday=date(1990, 3, 4))
    customer(desk, name="Other", phones=("13900000004",), birthday=date(1990, 3, 5))
    desk.deliver()
    desk.clock.now += timedelta(hours=2)  # 11:00 local, past the 10:00 send hour
    notifier = desk.services.notifier()
    assert notifier.sweep_birthdays(date(2030, 3, 4)) == 0  # swept already on first pass
    desk.deliver()
    texts = [r.event for r in desk.gateway.received]
    assert [t["to"] for t in texts] == ["+8613900000003"] and "生日快乐" in texts[0]["text"]


def test_a_refused_address_fails_at_once_with_the_servers_answer(desk: Desk) -> None:
    desk.gateway.status = 400  # the gateway refuses the number
    cid = customer(desk, phones=("13900000005",))
    resolved_ticket(desk, cid)
    desk.deliver()
    [record] = desk.messages(rule="ticket_resolved")
    assert record["status"] == "failed" and record["answer"].startswith("400")
    assert record["attempts"] == 1
    history = list(desk.services.app.events.get(UUID(record["id"])))
    assert [type(e).__name__ for e in history] == ["Queued", "Failed"]
    assert isinstance(desk.services.app.repository.get(UUID(record["id"])), Message)


def test_an_unreached_customer_reminds_the_agent_once_and_a_later_change_cancels_it(
    desk: Desk,
) -> None:
    cid = customer(desk, name="Wu Fang", phones=("13900000006",))
    plan = ScheduleVisit(
        customer_id=cid, purpose="7DC", due_on=date(2030, 3, 4), assignee_id=UUID(desk.agent)
    )
    visit = desk.services.visits.schedule(plan, context()).answer.id
    desk.services.visits.act(visit, "not-reached", NotReached(note="no answer"), context())
    desk.services.visits.act(visit, "not-reached", NotReached(note="busy tone"), context())
    desk.deliver()
    statuses = sorted(r["status"] for r in desk.messages(rule="visit_not_reached"))
    assert statuses == ["cancelled", "cancelled", "sent", "sent"]  # email and SMS, twice
    [mail] = desk.mailbox.to("zhao@desk.example")
    text = body_of(mail)
    assert "Wu Fang" in text and "7DC" in text and "11:00" in text  # 09:00 + the 2 h retry


def test_events_older_than_the_horizon_when_first_read_make_no_message(desk: Desk) -> None:
    cid = customer(desk, phones=("13900000007",))
    resolved_ticket(desk, cid)  # resolved while no outbox ran
    desk.clock.now += timedelta(hours=49)  # the outbox starts two days later
    desk.deliver()
    assert desk.messages(rule="ticket_resolved") == [] and desk.gateway.count() == 0
    resolved_ticket(desk, cid)  # a fresh event is messaged as usual
    desk.deliver()
    assert len(desk.messages(rule="ticket_resolved")) == 1 and desk.gateway.count() == 1
