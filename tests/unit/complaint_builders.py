"""Complaints for the unit tests: valid verbs, and the walk to each status of the table."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from kefu.domain.channels import Channel
from kefu.domain.complaint import Complaint
from kefu.domain.complaint_lifecycle import ComplaintAction, ComplaintStatus
from kefu.domain.complaint_policy import ComplaintPolicy
from kefu.domain.complaint_values import ComplaintType, EscalationLevel, Remedy, RemedyKind
from kefu.domain.deadlines import Priority
from kefu.domain.metadata import EventMetadata

A = ComplaintAction
S = ComplaintStatus
SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
POLICY = ComplaintPolicy()
TICKET = UUID(int=77)
REFUND = (Remedy(RemedyKind.APOLOGY), Remedy(RemedyKind.REFUND, Decimal("59.00")))


def meta(actor: str = "agent-7", n: int = 1) -> EventMetadata:
    return EventMetadata(
        actor_id=actor,
        actor_role="service",
        command_id=UUID(int=n),
        correlation_id=UUID(int=1000 + n),
        causation_id=None,
        channel="web",
    )


def later(minutes: float = 0, days: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, days=days)


def register(major: bool = False, at: datetime = T0) -> Complaint:
    return Complaint.register(
        channel=Channel.PHONE,
        customer_id="c-42",
        ticket_id=TICKET,
        complaint_type=ComplaintType.PRODUCT_DEFECT,
        description="The kettle leaks after a week.",
        expectation="a new kettle",
        contact="138-0000-0000",
        severity=Priority.IMPORTANT,
        major=major,
        policy=POLICY,
        meta=meta("agent-1", 0),
        at=at,
    )


Verb = Callable[[Complaint, EventMetadata, datetime], object]

# Each action performed with valid arguments: what a well-formed command would do.
VERBS: dict[ComplaintAction, Verb] = {
    A.ACKNOWLEDGE: lambda c, m, at: c.acknowledge(message="we are sorry", meta=m, at=at),
    A.FACTS: lambda c, m, at: c.record_facts(facts="seal is cracked", meta=m, at=at),
    A.ATTRIBUTE: lambda c, m, at: c.attribute(
        department="quality", cause=ComplaintType.PRODUCT_DEFECT, note="", meta=m, at=at
    ),
    A.ESCALATE: lambda c, m, at: c.escalate(
        level=EscalationLevel.SUPERVISOR, to="sup-1", reason="repeat buyer", meta=m, at=at
    ),
    A.PROPOSE: lambda c, m, at: c.propose(remedies=REFUND, note="refund", meta=m, at=at),
    A.ACCEPT: lambda c, m, at: c.accept(note="ok", meta=m, at=at),
    A.REJECT: lambda c, m, at: c.reject(reason="wants an exchange", meta=m, at=at),
    A.ASSIGN_TASK: lambda c, m, at: c.assign_task(
        department="finance",
        owner="fin-3",
        due_at=at + timedelta(days=1),
        description="refund 59",
        meta=m,
        at=at,
    ),
    A.COMPLETE_TASK: lambda c, m, at: c.complete_task(task_id="1", note="paid", meta=m, at=at),
    A.FAIL_TASK: lambda c, m, at: c.fail_task(task_id="1", note="card closed", meta=m, at=at),
    A.CONTACT_ATTEMPT: lambda c, m, at: c.record_contact_attempt(
        channel=Channel.PHONE, note="no answer", meta=m, at=at
    ),
    A.CONFIRM: lambda c, m, at: c.confirm(
        resolved=True, satisfaction=4, comment="fine", meta=m, at=at
    ),
    A.CLOSE: lambda c, m, at: c.close(policy=POLICY, zone=SHANGHAI, meta=m, at=at),
    A.REOPEN: lambda c, m, at: c.reopen(reason="leaks again", meta=m, at=at),
    A.ARCHIVE: lambda c, m, at: c.archive(meta=m, at=at),
    A.MAKE_MAJOR: lambda c, m, at: c.make_major(reason="hurt", policy=POLICY, meta=m, at=at),
}

_TO_CLOSED = [A.ACKNOWLEDGE, A.FACTS, A.ATTRIBUTE, A.PROPOSE, A.ACCEPT, A.CONFIRM, A.CLOSE]

# The shortest walk from registration to each status.
WALKS: dict[ComplaintStatus, list[ComplaintAction]] = {
    S.REGISTERED: [],
    S.ACKNOWLEDGED: _TO_CLOSED[:1],
    S.INVESTIGATING: _TO_CLOSED[:3],
    S.PROPOSED: _TO_CLOSED[:4],
    S.EXECUTING: _TO_CLOSED[:5],
    S.CONFIRMED: _TO_CLOSED[:6],
    S.CLOSED: _TO_CLOSED,
    S.REOPENED: [*_TO_CLOSED, A.REOPEN],
    S.ARCHIVED: [*_TO_CLOSED, A.ARCHIVE],
}


def walk(complaint: Complaint, *actions: ComplaintAction, start: float = 10) -> Complaint:
    """Performs the actions a minute apart, from `start` minutes after T0."""
    for n, action in enumerate(actions):
        VERBS[action](complaint, meta(n=n + 1), later(start + n))
    return complaint


def complaint_in(status: ComplaintStatus, major: bool = False) -> Complaint:
    complaint = walk(register(major), *WALKS[status])
    complaint.collect_events()
    assert complaint.status is status
    return complaint
