"""The automation acting through the outbox, on both backends, with a clock the test moves and
a real SMTP server (aiosmtpd): an escalation's and a rule's notices reach their people once
across a crash, a second process and a replay; a late member visit is escalated once; a rule
dispatches by a strategy over the agents with a skill."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic

from kefu.bootstrap import Services, build_services
from kefu.commands.agents import RegisterAgent
from kefu.commands.customers import AssignOwner, RegisterCustomer
from kefu.commands.tickets import DispatchTicket, OpenTicket
from kefu.commands.visits import ScheduleVisit
from kefu.domain.channels import Channel
from kefu.domain.customer import Tier
from kefu.domain.notice import Notice
from kefu.domain.ticket import Ticket
from kefu.domain.visit import Visit
from kefu.processes.automation import SYSTEM_ACTOR
from kefu.settings import Settings
from tests.integration.conftest import MovableClock, context
from tests.mailbox import Mailbox, body_of, smtp_server

T0 = datetime(2030, 3, 4, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
QUICK = {
    "name": "quick",
    "categories": ["quick"],
    "first_response": "10m",
    "escalation": [{"level": 1, "notify": ["manager:after_sales", "duty"]}],
}


@dataclass
class Desk:
    settings: Settings
    services: Services
    mailbox: Mailbox
    clock: MovableClock
    agents: dict[str, str]

    def settle(self, services: Services | None = None) -> None:
        runner = (services or self.services).projection_runner()
        for _ in range(10):
            if runner.catch_up() == 0:
                return
        raise AssertionError("the runner kept finding work")

    def deliver(self) -> None:
        """What `kefu outbox run` does, once, synchronously."""
        outbox = self.services.outbox_service()
        assert outbox.notifier is not None and outbox.messages is not None
        outbox.follower.catch_up()
        outbox.notifier.catch_up()
        outbox.follower.catch_up()
        outbox.messages.send_due()
        outbox.follower.catch_up()
        outbox.worker.close()

    def messages(self) -> list[dict[str, Any]]:
        found = self.services.outbox.messages.page({"rule": "automation_notice"}, "", 500)
        return [dict(row) for row in found]

    def notices(self) -> list[Notice.Raised]:
        found = self.services.app.recorder.select_notifications(
            start=0, limit=500, topics=[get_topic(Notice.Raised)]
        )
        return [self.services.app.mapper.to_domain_event(n) for n in found]  # type: ignore[misc]


def staff(name: str, address: str) -> dict[str, Any]:
    return {"name": name, "email": address, "channels": ["email"]}


@pytest.fixture
def desk(database_url: str, tmp_path: Path) -> Iterator[Desk]:
    first = build_services(Settings(database_url=database_url))
    try:
        billing = ("billing",)
        agents = {
            name: str(first.agents.register(command, context()).answer.id)
            for name, command in {
                "zhao": RegisterAgent(name="赵", extension="8001", skill_groups=billing),
                "qian": RegisterAgent(name="钱", extension="8002", skill_groups=billing),
                "sun": RegisterAgent(name="孙", extension="8003", skill_groups=billing, order=1),
            }.items()
        }
    finally:
        first.close()
    directory = {
        "staff": {
            "mgr-sales": staff("王经理", "wang@desk.example"),
            "duty-1": staff("值班李", "li@desk.example"),
            agents["zhao"]: staff("赵", "zhao@desk.example"),
        },
        "managers": {"after_sales": "mgr-sales"},
        "duty": ["duty-1"],
    }
    rules = [
        {"name": "quick-heads-up", "on": ["ticket_opened"], "when": {"categories": ["quick"]},
         "then": [{"notify": [agents["zhao"]]}]},
        {"name": "billing-by-load", "on": ["ticket_opened"], "when": {"categories": ["billing"]},
         "then": [{"dispatch": {"department": "billing", "strategy": "fewest_open"}}]},
        {"name": "owner-else-in-turn", "on": ["ticket_opened"], "when": {"categories": ["refund"]},
         "then": [{"dispatch": {"department": "billing", "agent_id": "owner",
                                "strategy": "round_robin"}}]},
    ]  # fmt: skip
    files = {"directory": directory, "sla": {"policies": [QUICK]}, "rules": {"rules": rules}}
    for name, content in files.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(content, ensure_ascii=False), "utf-8")
    clock = MovableClock(T0)
    with smtp_server() as (mailbox, port):
        settings = Settings(
            database_url=database_url,
            webhook_key="k",
            smtp_host="127.0.0.1",
            smtp_port=port,
            directory_file=str(tmp_path / "directory.json"),
            sla_file=str(tmp_path / "sla.json"),
            rules_file=str(tmp_path / "rules.json"),
        )
        services = build_services(settings, clock=clock)
        try:
            yield Desk(settings, services, mailbox, clock, agents)
        finally:
            services.close()


def open_ticket(desk: Desk, category: str) -> UUID:
    command = OpenTicket(channel=Channel.PHONE, category=category, subject="app will not log in")
    return desk.services.tickets.open(command, context()).answer.id


def test_an_escalation_and_a_rules_notice_reach_their_people_once_across_crash_and_replay(
    desk: Desk,
) -> None:
    ticket_id = open_ticket(desk, "quick")
    desk.settle()
    desk.clock.now = T0 + timedelta(minutes=11)  # the first response is overdue
    desk.services.automation.catch_up()  # escalates, then "crashes" before the views move
    restarted = build_services(desk.settings, clock=desk.clock)
    try:
        restarted.automation.fire_due()  # the stale timer row: found done
        restarted.automation.replay()
        desk.services.automation.replay()
        desk.settle(restarted)
    finally:
        restarted.close()
    desk.settle()
    desk.deliver()
    desk.deliver()

    notices = desk.notices()
    assert sorted((n.meta.channel, n.level) for n in notices) == [
        ("rule:quick-heads-up", 0),
        ("sla:quick", 1),
    ]
    assert {(n.record_id, n.meta.actor_id) for n in notices} == {(ticket_id, SYSTEM_ACTOR)}
    [escalated] = [
        e for e in desk.services.app.events.get(ticket_id) if isinstance(e, Ticket.Escalated)
    ]
    assert next(n for n in notices if n.level == 1).meta.command_id == escalated.meta.command_id
    for address in ("wang@desk.example", "li@desk.example", "zhao@desk.example"):
        [mail] = desk.mailbox.to(address)
        assert str(ticket_id) in body_of(mail)
    [to_manager] = desk.mailbox.to("wang@desk.example")
    assert "first_response overdue" in body_of(to_manager)
    records = desk.messages()
    assert sorted(r["recipient_id"] for r in records) == sorted(
        ["mgr-sales", "duty-1", desk.agents["zhao"]]
    )
    assert {r["status"] for r in records} == {"sent"}
    assert all(r["answer"].startswith("250 ") for r in records)


def test_a_late_member_visit_is_escalated_once_and_its_agent_and_the_duty_staff_told(
    desk: Desk,
) -> None:
    member = RegisterCustomer(name="吴芳", tier=Tier.MEMBER)
    customer_id = desk.services.customers.register(member, context()).answer.id
    plan = ScheduleVisit(
        customer_id=customer_id, purpose="7DC", due_on=date(2030, 3, 4),
        assignee_id=UUID(desk.agents["zhao"]),
    )  # fmt: skip
    visit_id = desk.services.visits.schedule(plan, context()).answer.id
    desk.settle()
    desk.clock.now = datetime(2030, 3, 7, 15, 59, tzinfo=UTC)  # 23:59 on the last day
    desk.settle()
    assert not any(isinstance(e, Visit.Escalated) for e in desk.services.app.events.get(visit_id))

    desk.clock.now = datetime(2030, 3, 7, 16, 0, tzinfo=UTC)  # midnight: the 3 days are over
    desk.settle()
    second = build_services(desk.settings, clock=desk.clock)
    try:
        second.automation.fire_due()
        desk.services.automation.fire_due()
    finally:
        second.close()
    desk.deliver()

    escalations = [
        e for e in desk.services.app.events.get(visit_id) if isinstance(e, Visit.Escalated)
    ]
    assert [(e.to, e.meta.actor_id, e.meta.channel) for e in escalations] == [
        ("supervisor", SYSTEM_ACTOR, "deadline:visit")
    ]
    assert desk.services.automation.status().pending_timers == 0
    view = desk.services.read_models.visits.get(visit_id)
    assert view is not None and view.escalated_at == desk.clock.now
    [mail] = desk.mailbox.to("zhao@desk.example")
    assert "2030-03-07" in body_of(mail) and str(visit_id) in body_of(mail)
    assert len(desk.mailbox.to("li@desk.example")) == 1


def test_a_rule_dispatches_by_the_fewest_open_tickets_among_agents_with_the_skill(
    desk: Desk,
) -> None:
    busy = open_ticket(desk, "other")
    by_hand = DispatchTicket(department="billing", agent_id=UUID(desk.agents["zhao"]))
    desk.services.tickets.act(busy, "dispatch", by_hand, context())
    desk.settle()

    opened = [open_ticket(desk, "billing") for _ in range(3)]  # in one pass of the automation
    desk.settle()
    desk.services.automation.replay()

    def assignee(ticket_id: UUID) -> str:
        return str(desk.services.app.load(Ticket, ticket_id).assignee_id)

    # zhao has one open ticket; qian and sun none: qian (order 0) first, then sun (order 1),
    # then all three have one and zhao and qian (order 0) tie: the smaller id.
    first_tie = min(desk.agents["zhao"], desk.agents["qian"], key=UUID)
    assert [assignee(t) for t in opened] == [desk.agents["qian"], desk.agents["sun"], first_tie]
    assert {desk.services.app.load(Ticket, t).department for t in opened} == {"billing"}

    # Round robin goes on after the agent given the newest ticket, in agent order (order, id);
    # a customer's own agent (熟客) comes before the strategy.
    in_turn = sorted(desk.agents.values(), key=lambda a: (a == desk.agents["sun"], UUID(a)))
    after = in_turn[(in_turn.index(first_tie) + 1) % 3 :] + in_turn[: in_turn.index(first_tie) + 1]
    customer = desk.services.customers.register(RegisterCustomer(name="周"), context()).answer.id
    owner = AssignOwner(agent_id=UUID(desk.agents["sun"]))
    desk.services.customers.act(customer, "owner", owner, context())
    refunds = [open_ticket(desk, "refund") for _ in range(2)]
    with_owner = OpenTicket(
        channel=Channel.PHONE, category="refund", subject="退款", customer_id=customer
    )
    refunds.append(desk.services.tickets.open(with_owner, context()).answer.id)
    desk.settle()
    assert [assignee(t) for t in refunds] == [after[0], after[1], desk.agents["sun"]]
