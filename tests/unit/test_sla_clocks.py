"""SLA clocks folded from a ticket's events: targets, pauses, business time, marks, cycles."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from kefu.domain.business_calendar import BusinessCalendar
from kefu.domain.channels import Channel
from kefu.domain.deadlines import DeadlinePolicy, Priority
from kefu.domain.errors import ActionNotAllowed
from kefu.domain.metadata import EventMetadata
from kefu.domain.sla import (
    BREACH,
    FIRST_RESPONSE,
    NEXT_UPDATE,
    RESOLUTION,
    WARNING,
    Escalation,
    EscalationStep,
    SlaMark,
    SlaPolicies,
    SlaPolicy,
    check_policies,
    default_policies,
)
from kefu.domain.sla_clocks import TicketClocks, fold_clocks
from kefu.domain.ticket import Ticket
from kefu.processes.china_holidays import china_adjusted_workdays, china_holidays

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHINA = BusinessCalendar(holidays=china_holidays(), adjusted_workdays=china_adjusted_workdays())
META = EventMetadata("agent-7", "service", UUID(int=1), UUID(int=2), None, "web")
T0 = datetime(2026, 3, 4, 10, 0, tzinfo=SHANGHAI)  # a Wednesday
WALL = SlaPolicy("wall", first_response_seconds=600, next_update_seconds=1800,
                 resolution_seconds=3600)  # fmt: skip


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def opened(at: datetime = T0, policy: SlaPolicy = WALL) -> Ticket:
    ticket = Ticket.open(
        channel=Channel.PHONE, customer_id=None, category="billing", priority=Priority.NORMAL,
        subject="charged twice", description="", policy=DeadlinePolicy(), meta=META, at=at,
    )  # fmt: skip
    ticket.assign_sla(policy=policy, meta=META, at=at)
    return ticket


def clocks_of(ticket: Ticket) -> TicketClocks:
    state: TicketClocks | None = None
    for event in ticket.collect_events():
        state = fold_clocks(state, event)
    assert state is not None
    return state


def due(state: TicketClocks, clock: str, kind: str, calendar: Any = CHINA) -> datetime:
    return next(m.due_at for m in state.marks(calendar) if (m.clock, m.kind) == (clock, kind))


def test_first_response_and_resolution_run_from_opening_and_warn_at_the_share() -> None:
    state = clocks_of(opened())

    assert due(state, FIRST_RESPONSE, WARNING) == minutes(8)
    assert due(state, FIRST_RESPONSE, BREACH) == minutes(10)
    assert due(state, RESOLUTION, BREACH) == minutes(60)
    assert not state.clock(NEXT_UPDATE).running


def test_the_first_agent_action_stops_the_first_response_clock() -> None:
    ticket = opened()
    ticket.dispatch(department="billing", agent_id="a-1", meta=META, at=minutes(4))
    state = clocks_of(ticket)

    assert {m.clock for m in state.marks(CHINA)} == {RESOLUTION}
    assert state.clock(FIRST_RESPONSE).elapsed(minutes(30), CHINA) == timedelta(minutes=4)


def test_waiting_for_the_customer_pauses_and_the_reply_resumes_the_clocks() -> None:
    ticket = opened()
    ticket.dispatch(department="billing", agent_id="a-1", meta=META, at=minutes(5))
    ticket.await_customer(note="receipt?", meta=META, at=minutes(20))
    paused = clocks_of(ticket)
    assert paused.marks(CHINA) == []  # nothing can breach while the customer is asked
    assert paused.clock(RESOLUTION).elapsed(minutes(500), CHINA) == timedelta(minutes=20)

    ticket.record_customer_reply(message="here", meta=META, at=minutes(80))
    state = fold_many(paused, ticket)
    # 20 minutes used before the pause; 40 left from the reply on.
    assert due(state, RESOLUTION, BREACH) == minutes(120)
    assert state.paused_total(minutes(200)) == timedelta(minutes=60)
    # The reply owes an agent update within 30 minutes.
    assert due(state, NEXT_UPDATE, BREACH) == minutes(110)


def fold_many(state: TicketClocks, ticket: Ticket) -> TicketClocks:
    for event in ticket.collect_events():
        state = fold_clocks(state, event)
    return state


def test_an_agent_update_stops_the_next_update_clock_and_a_new_contact_starts_a_new_cycle() -> None:
    ticket = opened()
    ticket.dispatch(department="billing", agent_id="a-1", meta=META, at=minutes(1))
    ticket.record_customer_reply(message="any news?", meta=META, at=minutes(2))
    ticket.record_customer_reply(message="hello?", meta=META, at=minutes(3))
    state = clocks_of(ticket)
    assert state.clock(NEXT_UPDATE).cycle == 1  # the second contact keeps the first's clock
    assert due(state, NEXT_UPDATE, BREACH) == minutes(32)

    ticket.follow_up(note="bank is checking", meta=META, at=minutes(10))
    ticket.record_customer_reply(message="and now?", meta=META, at=minutes(40))
    state = fold_many(state, ticket)
    assert state.clock(NEXT_UPDATE).cycle == 2
    assert due(state, NEXT_UPDATE, BREACH) == minutes(70)


def test_business_hours_policies_count_only_working_time() -> None:
    friday_evening = datetime(2026, 3, 6, 17, 30, tzinfo=SHANGHAI)
    business = SlaPolicy("business", resolution_seconds=3600, business_hours=True)
    state = clocks_of(opened(friday_evening, business))

    assert due(state, RESOLUTION, BREACH) == datetime(2026, 3, 9, 9, 30, tzinfo=SHANGHAI)
    assert due(state, RESOLUTION, WARNING) == datetime(2026, 3, 9, 9, 18, tzinfo=SHANGHAI)


def test_business_hours_policies_work_the_tiao_xiu_saturday() -> None:
    friday = datetime.combine(date(2026, 10, 9), time(17, 30), SHANGHAI)
    business = SlaPolicy("business", resolution_seconds=3600, business_hours=True)

    state = clocks_of(opened(friday, business))

    assert due(state, RESOLUTION, BREACH) == datetime(2026, 10, 10, 9, 30, tzinfo=SHANGHAI)


def test_recorded_marks_are_not_due_again_and_a_reopening_starts_a_new_cycle() -> None:
    ticket = opened()
    ticket.dispatch(department="billing", agent_id="a-1", meta=META, at=minutes(1))
    for kind in (WARNING, BREACH):
        mark = SlaMark("wall", RESOLUTION, 1, kind, minutes(60))
        ticket.record_sla_mark(mark=mark, meta=META, at=minutes(61))
    state = clocks_of(ticket)
    assert state.due_marks(CHINA, minutes(600)) == []

    ticket.resolve(resolution="refunded", code="refund", meta=META, at=minutes(90))
    ticket.reopen(reason="not refunded", policy=DeadlinePolicy(), meta=META, at=minutes(100))
    state = fold_many(state, ticket)
    assert state.clock(RESOLUTION).cycle == 2
    assert [m.kind for m in state.due_marks(CHINA, minutes(200))] == [WARNING, BREACH]


def test_resolution_stops_every_clock() -> None:
    ticket = opened()
    ticket.dispatch(department="billing", agent_id="a-1", meta=META, at=minutes(1))
    ticket.await_customer(note="receipt?", meta=META, at=minutes(2))
    ticket.resolve(resolution="found it", code="ok", meta=META, at=minutes(3))
    state = clocks_of(ticket)

    assert state.marks(CHINA) == []
    assert state.paused_since is None


def test_a_ticket_without_a_policy_has_no_marks() -> None:
    ticket = opened()
    events = ticket.collect_events()[:1]
    state = fold_clocks(None, events[0])
    assert state.marks(CHINA) == []


def test_an_archived_ticket_refuses_sla_records() -> None:
    ticket = opened()
    for verb in ("dispatch", "resolve", "close", "archive"):
        args: dict[str, Any] = {"meta": META, "at": minutes(2)}
        if verb == "dispatch":
            args.update(department="d", agent_id=None)
        if verb == "resolve":
            args.update(resolution="r", code="c")
        getattr(ticket, verb)(**args)
    with pytest.raises(ActionNotAllowed):
        ticket.assign_sla(policy=WALL, meta=META, at=minutes(3))


def test_policies_are_chosen_in_order_by_priority_category_and_tier() -> None:
    vip = SlaPolicy("vip", first_response_seconds=600, tiers=("vip",))
    security = SlaPolicy("security", first_response_seconds=600, categories=("account-security",))
    policies = SlaPolicies((vip, security, *default_policies(DeadlinePolicy())))

    assert policies.select("normal", "billing", "vip") == vip
    assert policies.select("normal", "account-security", "none") == security
    chosen = policies.select("important", "billing", "none")
    assert chosen is not None and chosen.name == "default-important"
    assert chosen.first_response_seconds == 3600


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (SlaPolicy("p", first_response_seconds=0), "first_response must be positive"),
        (SlaPolicy("p", warn_share=1.0), "warn_share"),
        (SlaPolicy("p", escalation=(EscalationStep(2),)), "escalation levels"),
    ],
)
def test_unworkable_policies_are_refused_naming_policy_and_field(
    policy: SlaPolicy, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check_policies([policy])


STEPPED = SlaPolicy(
    "stepped", first_response_seconds=600,
    escalation=(EscalationStep(1, raise_priority=True), EscalationStep(2, after_seconds=1800)),
)  # fmt: skip


def breached(ticket: Ticket) -> None:
    for kind in (WARNING, BREACH):
        mark = SlaMark("stepped", FIRST_RESPONSE, 1, kind, minutes(10))
        ticket.record_sla_mark(mark=mark, meta=META, at=minutes(11))


def test_escalation_levels_fall_due_at_the_breach_and_after_each_steps_delay() -> None:
    ticket = opened(policy=STEPPED)
    breached(ticket)
    state = clocks_of(ticket)
    policies = SlaPolicies((STEPPED,))

    [first] = state.due_marks(CHINA, minutes(11), policies)
    assert (first.kind, first.level, first.due_at) == ("escalation", 1, minutes(10))
    ticket.escalate(
        escalation=Escalation(1, "late", clock=FIRST_RESPONSE, cycle=1), meta=META, at=minutes(11)
    )
    state = fold_many(state, ticket)
    assert state.due_marks(CHINA, minutes(39), policies) == []
    [second] = state.due_marks(CHINA, minutes(40), policies)
    assert (second.level, second.due_at) == (2, minutes(40))


def test_no_escalation_once_the_clock_stopped() -> None:
    ticket = opened(policy=STEPPED)
    breached(ticket)
    ticket.dispatch(department="billing", agent_id="a-1", meta=META, at=minutes(12))

    assert clocks_of(ticket).due_marks(CHINA, minutes(600), SlaPolicies((STEPPED,))) == []
