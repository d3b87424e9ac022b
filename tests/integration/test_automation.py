"""The automation process on the real stores, both backends, with a clock the test moves:
SLA warnings, breaches and escalations happen exactly once across crashes and restarts,
a ticket waiting for the customer never breaches, and a replay acts on nothing twice."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic

from kefu.bootstrap import Services, build_services
from kefu.commands.agents import RegisterAgent
from kefu.commands.complaints import (
    AcknowledgeComplaint,
    AttributeResponsibility,
    RegisterComplaint,
)
from kefu.commands.customers import AssignOwner, RegisterCustomer
from kefu.commands.tickets import (
    AwaitCustomer,
    DispatchTicket,
    OpenTicket,
    RecordCustomerReply,
)
from kefu.domain.channels import Channel
from kefu.domain.complaint import Complaint
from kefu.domain.complaint_values import ComplaintType
from kefu.domain.customer import Tier
from kefu.domain.deadlines import DeadlinePolicy, Priority
from kefu.domain.metadata import EventMetadata
from kefu.domain.notice import Notice
from kefu.domain.ticket import Ticket
from kefu.processes.automation import AUTOMATION_NAME, SYSTEM_ACTOR
from kefu.settings import Settings
from tests.integration.conftest import context

T0 = datetime(2030, 3, 6, 1, 0, tzinfo=UTC)
QUICK = {
    "name": "quick",
    "categories": ["quick"],
    "first_response": "10m",
    "next_update": "20m",
    "resolution": "60m",
    "warn_at": 0.5,
    "escalation": [
        {"level": 1, "raise_priority": True, "department": "supervisors", "notify": ["boss"]},
        {"level": 2, "after": "30m", "agent_id": "lead-1"},
    ],
}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def at(self, minutes: float) -> None:
        self.now = T0 + timedelta(minutes=minutes)


Opener = Callable[[], Services]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def open_desk(database_url: str, clock: Clock, tmp_path: Path) -> Iterator[Opener]:
    """Opens Services with our clock and a short SLA; opening again is a restart."""
    sla_file = tmp_path / "sla.json"
    sla_file.write_text(json.dumps({"policies": [QUICK]}))
    opened: list[Services] = []

    def open_() -> Services:
        settings = Settings(database_url=database_url, sla_file=str(sla_file))
        opened.append(build_services(settings, clock=clock))
        return opened[-1]

    yield open_
    for services in opened:
        services.close()


@pytest.fixture
def desk(open_desk: Opener) -> Services:
    return open_desk()


def open_quick(desk: Services) -> UUID:
    command = OpenTicket(channel=Channel.PHONE, category="quick", subject="app will not log in")
    return desk.tickets.open(command, context()).answer.id


def act(desk: Services, ticket_id: UUID, action: str, command: Any) -> None:
    desk.tickets.act(ticket_id, action, command, context())


def events(desk: Services, ticket_id: UUID) -> list[Any]:
    return list(desk.app.events.get(ticket_id))


def counted(desk: Services, ticket_id: UUID) -> Counter[tuple[str, str, int]]:
    """(event, clock, level) of every SLA event and escalation of the ticket."""
    return Counter(
        (type(e).__name__, getattr(e, "clock", ""), getattr(e, "level", 0))
        for e in events(desk, ticket_id)
        if isinstance(e, Ticket.SlaWarned | Ticket.SlaBreached | Ticket.Escalated)
    )


def settle(desk: Services) -> None:
    """Runs the runner until nothing is left to do at the clock's current time."""
    runner = desk.projection_runner()
    for _ in range(10):
        if runner.catch_up() == 0:
            return
    raise AssertionError("the runner kept finding work")


def test_a_breach_warns_breaches_and_escalates_exactly_once_across_a_crash_and_restart(
    desk: Services, open_desk: Opener, clock: Clock
) -> None:
    ticket_id = open_quick(desk)
    settle(desk)
    clock.at(6)  # past 50 % of the 10-minute first response
    settle(desk)
    assert counted(desk, ticket_id) == {("SlaWarned", "first_response", 0): 1}

    clock.at(11)
    desk.automation.catch_up()  # records the breach, then "crashes" before the views move
    restarted = open_desk()
    restarted.automation.fire_due()  # the stale timer row: decided again from the events
    restarted.automation.fire_due()
    desk.automation.fire_due()
    settle(restarted)
    settle(desk)

    assert counted(desk, ticket_id) == {
        ("SlaWarned", "first_response", 0): 1,
        ("SlaBreached", "first_response", 0): 1,
        ("Escalated", "first_response", 1): 1,
    }
    ticket = desk.app.load(Ticket, ticket_id)
    assert (ticket.priority, ticket.department) == (Priority.IMPORTANT, "supervisors")

    clock.at(41)  # 30 minutes after the breach, still unanswered: the second level
    settle(restarted)
    settle(desk)
    assert counted(desk, ticket_id)[("Escalated", "first_response", 2)] == 1
    assert desk.app.load(Ticket, ticket_id).assignee_id == "lead-1"


def test_automation_events_say_system_which_policy_and_what_caused_them(
    desk: Services, clock: Clock
) -> None:
    ticket_id = open_quick(desk)
    opened = events(desk, ticket_id)[0]
    clock.at(6)
    settle(desk)

    [warned] = [e for e in events(desk, ticket_id) if isinstance(e, Ticket.SlaWarned)]
    meta: EventMetadata = warned.meta
    assert (meta.actor_id, meta.actor_role, meta.channel) == (
        SYSTEM_ACTOR,
        "automation",
        "sla:quick",
    )
    assert meta.causation_id == opened.meta.command_id
    assert warned.due_at == T0 + timedelta(minutes=5)


def test_a_ticket_waiting_for_the_customer_does_not_breach_and_resumes_where_it_stopped(
    desk: Services, clock: Clock
) -> None:
    ticket_id = open_quick(desk)
    clock.at(1)
    agent_id = an_agent(desk, "李雷")
    act(desk, ticket_id, "dispatch", DispatchTicket(department="technical", agent_id=agent_id))
    clock.at(2)
    act(desk, ticket_id, "await-customer", AwaitCustomer(note="which phone model?"))
    settle(desk)

    clock.at(5 * 60)  # hours later: the customer has not answered
    settle(desk)
    assert counted(desk, ticket_id) == {}
    view = desk.read_models.tickets.get(ticket_id)
    assert view is not None and view.status == "pending"
    assert view.sla is not None and view.sla.paused_since == T0 + timedelta(minutes=2)

    act(desk, ticket_id, "customer-reply", RecordCustomerReply(message="an old one"))
    clock.at(5 * 60 + 27)  # 2 + 27 = 29 minutes of resolution time used: no warning yet
    settle(desk)
    assert ("SlaWarned", "resolution", 0) not in counted(desk, ticket_id)
    clock.at(5 * 60 + 59)  # 2 + 59 > 60
    settle(desk)
    found = counted(desk, ticket_id)
    assert found[("SlaWarned", "resolution", 0)] == 1
    assert found[("SlaBreached", "resolution", 0)] == 1
    # The reply owed an agent update within 20 minutes; none came.
    assert found[("SlaBreached", "next_update", 0)] == 1


def test_a_replay_and_a_second_process_act_on_nothing_twice(
    desk: Services, open_desk: Opener, clock: Clock
) -> None:
    planned = Ticket.open(
        channel=Channel.PHONE, customer_id=None, category="quick", priority=Priority.NORMAL,
        subject="from a visit", description="", policy=DeadlinePolicy(),
        meta=context().metadata(), at=T0,
    )  # fmt: skip
    opened_by = planned.pending_events[0].meta.command_id  # type: ignore[attr-defined]
    desk.app.save(planned)  # opened without SLA terms, as the visit planner does
    settle(desk)
    head = desk.app.recorder.max_notification_id()

    desk.automation.replay()
    second = open_desk()
    second.automation.replay()
    second.automation.catch_up()

    assert desk.app.recorder.max_notification_id() == head
    assigned = [e for e in events(desk, planned.id) if isinstance(e, Ticket.SlaAssigned)]
    assert [e.policy for e in assigned] == ["quick"]
    assert (assigned[0].meta.actor_id, assigned[0].meta.causation_id) == (SYSTEM_ACTOR, opened_by)


def test_a_paused_automation_does_nothing_until_resumed(desk: Services, clock: Clock) -> None:
    ticket_id = open_quick(desk)
    settle(desk)
    desk.read_models.automation.set_paused(AUTOMATION_NAME, True, clock())
    clock.at(11)

    settle(desk)
    status = desk.automation.status()
    assert status.paused and status.pending_timers == 1
    assert counted(desk, ticket_id) == {}

    desk.read_models.automation.set_paused(AUTOMATION_NAME, False, clock())
    settle(desk)
    assert counted(desk, ticket_id)[("SlaBreached", "first_response", 0)] == 1


def an_agent(desk: Services, name: str) -> UUID:
    """A registered agent (commands refuse agents that do not exist)."""
    return desk.agents.register(RegisterAgent(name=name, extension="8001"), context()).answer.id


def vip_customer(desk: Services, owner: UUID | None = None) -> UUID:
    """A VIP customer file whose owner agent is `owner` (a new agent when not given)."""
    registered = RegisterCustomer(name="王芳", phones=("139 0013 9000",), tier=Tier.VIP)
    customer_id = desk.customers.register(registered, context()).answer.id
    owner = owner or an_agent(desk, "李娜")
    desk.customers.act(customer_id, "owner", AssignOwner(agent_id=owner), context())
    return customer_id


def test_a_vip_ticket_enters_the_10_minute_lane_by_the_rules_once_under_replay(
    desk: Services, open_desk: Opener
) -> None:
    owner = an_agent(desk, "李娜")
    customer_id = vip_customer(desk, owner)
    opened = OpenTicket(
        channel=Channel.WECHAT,
        category="billing",
        subject="发票开错了",
        customer_id=customer_id,
    )
    ticket_id = desk.tickets.open(opened, context()).answer.id
    settle(desk)
    desk.automation.replay()
    open_desk().automation.replay()
    settle(desk)

    ticket = desk.app.load(Ticket, ticket_id)
    assert (ticket.priority, ticket.department, ticket.assignee_id) == (
        Priority.URGENT,
        "vip",
        str(owner),
    )
    by_rule = [e for e in events(desk, ticket_id) if e.meta.channel == "rule:vip-10-minute-lane"]
    assert [type(e).__name__ for e in by_rule] == ["PriorityChanged", "Dispatched", "Tagged"]
    assert {e.meta.actor_id for e in by_rule} == {SYSTEM_ACTOR}
    assert len({e.meta.command_id for e in by_rule}) == 1  # one deterministic command
    [assigned] = [e for e in events(desk, ticket_id) if isinstance(e, Ticket.SlaAssigned)]
    assert (assigned.policy, assigned.first_response_seconds) == ("default-urgent", 600)
    view = desk.read_models.tickets.get(ticket_id)
    assert view is not None and view.tags == ("10-minute-lane",)


def test_rules_from_a_file_match_chinese_keywords_and_a_changed_file_applies_at_once(
    database_url: str, clock: Clock, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.json"
    stolen = {"name": "stolen", "on": ["ticket_opened"], "when": {"keywords": ["被盗"]},
              "then": [{"set_category": "account-security"}, {"add_tag": "stolen"}]}  # fmt: skip
    rules.write_text(json.dumps({"rules": [stolen]}, ensure_ascii=False), encoding="utf-8")
    desk = build_services(Settings(database_url=database_url, rules_file=str(rules)), clock=clock)
    try:
        first = OpenTicket(channel=Channel.PHONE, category="other", subject="我的账号被盗了")
        first_id = desk.tickets.open(first, context()).answer.id
        settle(desk)
        assert desk.app.load(Ticket, first_id).category == "account-security"

        renamed = {**stolen, "then": [{"add_tag": "hijacked"}]}
        rules.write_text(json.dumps({"rules": [renamed]}, ensure_ascii=False), encoding="utf-8")
        stamp = rules.stat()
        os.utime(rules, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 10**9))
        second_id = desk.tickets.open(first, context()).answer.id
        settle(desk)
        tags = [e.tag for e in events(desk, second_id) if isinstance(e, Ticket.Tagged)]
        assert tags == ["hijacked"]
    finally:
        desk.close()


def test_a_major_complaint_is_escalated_to_the_responsible_departments_manager(
    desk: Services,
) -> None:
    customer_id = vip_customer(desk)
    registered = RegisterComplaint(
        channel=Channel.PHONE, customer_id=customer_id, type=ComplaintType.PRODUCT_DEFECT,
        description="屏幕第二天就坏了", contact="139 0013 9000", major=True,
    )  # fmt: skip
    complaint_id = desk.complaints.register(registered, context()).answer.id
    desk.complaints.act(complaint_id, "acknowledge", AcknowledgeComplaint(), context())
    attributed = AttributeResponsibility(department="quality", cause=ComplaintType.PRODUCT_DEFECT)
    desk.complaints.act(complaint_id, "attribute", attributed, context())
    settle(desk)
    desk.automation.replay()
    settle(desk)

    escalations = [
        e for e in desk.app.events.get(complaint_id) if isinstance(e, Complaint.Escalated)
    ]
    assert [(e.level, e.to, e.meta.actor_id) for e in escalations] == [
        ("manager", "manager of quality", SYSTEM_ACTOR)
    ]


def test_the_24_hour_and_3_day_complaint_deadlines_are_escalated_once_each(
    desk: Services, open_desk: Opener, clock: Clock
) -> None:
    registered = RegisterComplaint(
        channel=Channel.PHONE, customer_id=None, type=ComplaintType.LOGISTICS_DELAY,
        description="沙发晚到了一周", contact="139 0013 9000",
    )  # fmt: skip
    complaint_id = desk.complaints.register(registered, context()).answer.id
    settle(desk)
    clock.at(25 * 60)  # nobody replied within 24 hours
    settle(desk)
    open_desk().automation.fire_due()  # a second process finds it done
    settle(desk)

    def escalations() -> list[tuple[str, str, str]]:
        return [
            (e.level, e.to, e.meta.channel)
            for e in desk.app.events.get(complaint_id)
            if isinstance(e, Complaint.Escalated)
        ]

    assert escalations() == [("supervisor", "supervisor", "deadline:first_reply")]
    desk.complaints.act(complaint_id, "acknowledge", AcknowledgeComplaint(), context())
    clock.at(4 * 24 * 60)  # no accepted resolution within 3 days
    settle(desk)
    assert escalations()[1:] == [("manager", "manager", "deadline:final_answer")]
    assert desk.automation.status().pending_timers == 0
    raised = desk.app.recorder.select_notifications(
        start=0, limit=100, topics=[get_topic(Notice.Raised)]
    )
    told = [desk.app.mapper.to_domain_event(n) for n in raised]
    assert [(n.record_id, n.recipients, n.meta.channel) for n in told] == [  # type: ignore[attr-defined]
        (complaint_id, ("duty",), "deadline:first_reply"),
        (complaint_id, ("manager",), "deadline:final_answer"),
    ]
