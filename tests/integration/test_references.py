"""Every record a command names must exist: refused commands write nothing, on both backends."""

from __future__ import annotations

from uuid import UUID

import pytest

from kefu.bootstrap import Services
from kefu.commands.agents import RegisterAgent
from kefu.commands.complaints import RegisterComplaint
from kefu.commands.customers import AssignOwner, RegisterCustomer
from kefu.commands.errors import UnknownReference
from kefu.commands.tickets import DispatchTicket, OpenTicket
from kefu.domain.channels import Channel
from kefu.domain.complaint_values import ComplaintType
from tests.integration.conftest import context

GHOST = UUID("00000000-0000-4000-8000-000000000000")


def head(services: Services) -> int:
    return services.app.recorder.max_notification_id() or 0


def open_ticket(services: Services, customer_id: UUID | None = None) -> UUID:
    command = OpenTicket(
        channel=Channel.PHONE, category="repair", subject="no power", customer_id=customer_id
    )
    return services.tickets.open(command, context()).answer.id


def test_a_ticket_dispatched_to_a_registered_agent_is_saved_and_to_a_ghost_is_refused(
    services: Services,
) -> None:
    agent = services.agents.register(RegisterAgent(name="王芳", extension="8001"), context())
    ticket_id = open_ticket(services)
    before = head(services)

    with pytest.raises(UnknownReference) as refused:
        services.tickets.act(
            ticket_id, "dispatch", DispatchTicket(department="sales", agent_id=GHOST), context()
        )
    assert (refused.value.field, head(services)) == ("agent_id", before)

    dispatch = DispatchTicket(department="sales", agent_id=agent.answer.id)
    services.tickets.act(ticket_id, "dispatch", dispatch, context())
    assert services.app.repository.get(ticket_id).assignee_id == str(agent.answer.id)


def test_a_department_outside_the_directory_is_refused_and_nothing_is_written(
    services: Services,
) -> None:
    ticket_id = open_ticket(services)
    before = head(services)

    with pytest.raises(UnknownReference) as refused:
        services.tickets.act(ticket_id, "dispatch", DispatchTicket(department="ghosts"), context())

    assert (refused.value.field, head(services)) == ("department", before)
    assert "customer_service" in str(refused.value)


def test_cases_and_owners_name_only_records_that_exist(services: Services) -> None:
    customer = services.customers.register(RegisterCustomer(name="李雷"), context()).answer.id
    complaint = RegisterComplaint(
        channel=Channel.PHONE,
        customer_id=GHOST,
        type=ComplaintType.OTHER,
        description="x",
        contact="138",
    )
    before = head(services)

    refusals = [
        lambda: open_ticket(services, customer_id=GHOST),
        lambda: services.complaints.register(complaint, context()),
        lambda: services.customers.act(customer, "owner", AssignOwner(agent_id=GHOST), context()),
    ]
    for refuse in refusals:
        with pytest.raises(UnknownReference):
            refuse()

    assert head(services) == before
    assert services.app.repository.get(open_ticket(services, customer)).customer_id == str(customer)
