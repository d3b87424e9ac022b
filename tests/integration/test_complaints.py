"""Complaints on the real stores, SQLite and PostgreSQL: commands, the view, lists, restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec
import pytest

from kefu.bootstrap import Services
from kefu.commands.agents import RegisterAgent
from kefu.commands.base import Command
from kefu.commands.complaints import (
    AcceptResolution,
    AcknowledgeComplaint,
    AssignTask,
    AttributeResponsibility,
    CloseComplaint,
    ConfirmOutcome,
    EscalateComplaint,
    FinishTask,
    ProposeResolution,
    RecordFacts,
    RegisterComplaint,
    RemedyItem,
)
from kefu.commands.customers import RegisterCustomer
from kefu.domain.channels import Channel
from kefu.domain.complaint_values import ComplaintType, EscalationLevel, RemedyKind
from kefu.domain.errors import RuleViolated
from kefu.projections.complaint_projection import ComplaintView
from kefu.projections.listing import Filter, ListQuery
from tests.integration.conftest import ServicesFactory, context

REGISTER = RegisterComplaint(
    channel=Channel.PHONE,
    customer_id=UUID(int=0),  # replaced by register() with a real file's id
    type=ComplaintType.PRODUCT_DEFECT,
    description="the kettle leaks",
    contact="138-0000-0000",
)
REFUND = ProposeResolution(
    remedies=[
        RemedyItem(kind=RemedyKind.APOLOGY),
        RemedyItem(kind=RemedyKind.REFUND, amount=Decimal("59.90")),
    ]
)

FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)

# The steps from registration to a closed complaint, each an action and its command.
TO_CLOSED: list[tuple[str, Command]] = [
    ("acknowledge", AcknowledgeComplaint(message="we are sorry")),
    ("facts", RecordFacts(facts="the seal is cracked")),
    ("attribute", AttributeResponsibility(department="quality", cause=ComplaintType.OTHER)),
    ("proposals", REFUND),
    ("accept", AcceptResolution()),
    ("tasks", AssignTask(department="finance", owner=UUID(int=0), due_at=FAR_FUTURE)),
    ("tasks/complete", FinishTask(task_id="1", note="paid")),
    ("confirm", ConfirmOutcome(resolved=True, satisfaction=5)),
    ("close", CloseComplaint()),
]  # fmt: skip


def new_customer(services: Services) -> UUID:
    return services.customers.register(RegisterCustomer(name="李雷"), context()).answer.id


def register(services: Services, **changes: Any) -> UUID:
    """Registers a complaint (about a new customer file unless `customer_id` is given)."""
    changes.setdefault("customer_id", new_customer(services))
    command = msgspec.structs.replace(REGISTER, **changes)
    return services.complaints.register(command, context()).answer.id


def new_agent(services: Services) -> UUID:
    return services.agents.register(
        RegisterAgent(name="钱会计", extension="8102"), context()
    ).answer.id


def walk(services: Services, complaint_id: UUID, steps: list[tuple[str, Command]]) -> int:
    """Runs the steps; a task goes to an agent registered first (references are checked)."""
    position = 0
    owner = new_agent(services) if any(isinstance(c, AssignTask) for _, c in steps) else None
    for action, step in steps:
        command = (
            msgspec.structs.replace(step, owner=owner) if isinstance(step, AssignTask) else step
        )
        position = services.complaints.act(complaint_id, action, command, context()).answer.position
    return position


def head(services: Services) -> int:
    return services.app.recorder.max_notification_id() or 0


def test_a_complaint_walked_to_closed_is_in_the_view_and_survives_a_restart(
    open_services: ServicesFactory,
) -> None:
    services = open_services()
    complaint_id = register(services)
    walk(services, complaint_id, TO_CLOSED)

    restarted = open_services()
    restarted.projection_runner().catch_up()

    view = restarted.read_models.complaints.get(complaint_id)
    assert view is not None
    assert (view.status, view.version, view.satisfaction) == ("closed", 10, 5)
    assert view.current_proposal is not None
    assert [(r.kind, r.amount) for r in view.current_proposal.remedies] == [
        ("apology", None),
        ("refund", Decimal("59.90")),
    ]
    assert view.open_tasks == ()
    assert view.final_answer_due_at - view.registered_at == timedelta(days=3)
    complaint = restarted.app.repository.get(complaint_id)
    assert complaint.proposals[0].remedies[1].amount == Decimal("59.90")


def test_a_major_complaint_is_saved_with_its_report_to_the_manager_in_one_save(
    services: Services,
) -> None:
    customer = new_customer(services)  # position 1
    command = msgspec.structs.replace(REGISTER, major=True, customer_id=customer)
    outcome = services.complaints.register(command, context())

    assert (outcome.answer.version, outcome.answer.position, head(services)) == (2, 3, 3)
    events = list(services.app.events.get(outcome.answer.id))
    assert [type(e).__name__ for e in events] == ["Registered", "ReportedToManager"]
    assert events[0].meta == events[1].meta


def test_a_refused_close_writes_nothing(services: Services) -> None:
    complaint_id = register(services)
    unattributed = [step for step in TO_CLOSED[:-1] if step[0] != "attribute"]
    walk(services, complaint_id, unattributed)
    before = head(services)

    with pytest.raises(RuleViolated, match="responsibility is not attributed"):
        services.complaints.act(complaint_id, "close", CloseComplaint(), context())

    assert head(services) == before
    assert services.app.repository.get(complaint_id).status == "confirmed"


def test_a_retried_escalation_is_recorded_once(services: Services) -> None:
    complaint_id = register(services)
    expert = new_agent(services)
    escalate = EscalateComplaint(level=EscalationLevel.EXPERT, to=expert, reason="legal risk")

    first = services.complaints.act(complaint_id, "escalate", escalate, context("k-1"))
    again = services.complaints.act(complaint_id, "escalate", escalate, context("k-1"))

    assert (again.replayed, again.answer) == (True, first.answer)
    assert services.app.repository.get(complaint_id).escalation_count == 1


def page(services: Services, *filters: Filter, **extra: Any) -> list[UUID]:
    query = ListQuery(filters=filters, order_by="registered_at", **extra)
    docs, _ = services.read_models.complaints.page(query)
    return [d.id for d in docs]


def test_the_list_filters_on_major_department_status_and_overdue_on_both_backends(
    services: Services,
) -> None:
    major = register(services, major=True)
    customer = new_customer(services)
    attributed = register(services, customer_id=customer)
    walk(services, attributed, TO_CLOSED[:3])
    services.projection_runner().catch_up()
    soon, late = datetime.now(UTC), datetime.now(UTC) + timedelta(days=2)

    def overdue(kind: str, now: datetime) -> list[UUID]:
        sql, params = ComplaintView.overdue_condition(kind, now)
        return page(services, extra_where=[sql], extra_params=params)

    assert page(services, Filter("major", "eq", 1)) == [major]
    assert page(services, Filter("responsible_department", "eq", "quality")) == [attributed]
    assert page(services, Filter("status", "eq", "investigating")) == [attributed]
    assert page(services, Filter("customer_id", "eq", str(customer))) == [attributed]
    assert overdue("first_reply", soon) == []
    assert overdue("first_reply", late) == [major]
    assert overdue("final_answer", late) == []
    assert overdue("any", late + timedelta(days=2)) == [major, attributed]


def test_the_list_pages_through_every_complaint_with_a_cursor(services: Services) -> None:
    ids = [register(services) for _ in range(5)]
    services.projection_runner().catch_up()

    seen: list[UUID] = []
    cursor = None
    while True:
        query = ListQuery(order_by="registered_at", limit=2, cursor=cursor)
        docs, cursor = services.read_models.complaints.page(query)
        seen += [d.id for d in docs]
        if cursor is None:
            break

    assert seen == ids
