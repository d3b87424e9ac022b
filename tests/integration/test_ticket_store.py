"""The ticket write side on the real event stores (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from kefu.application import ConcurrentChange
from kefu.bootstrap import Services
from kefu.commands.execution import Outcome
from kefu.commands.tickets import DispatchTicket, OpenTicket, UrgeTicket
from kefu.domain.channels import Channel
from kefu.domain.deadlines import Priority
from kefu.domain.ticket import Ticket
from kefu.domain.ticket_lifecycle import TicketAction
from kefu.store.idempotency import IdempotencyRecord
from tests.integration.conftest import ServicesFactory, context

OPEN = OpenTicket(
    channel=Channel.WECHAT, category="delivery", subject="parcel late", priority=Priority.URGENT
)


def open_ticket(services: Services, key: str | None = None) -> Outcome:
    return services.tickets.open(OPEN, context(key))


def head(services: Services) -> int:
    return services.app.recorder.max_notification_id() or 0


def test_a_ticket_survives_a_restart(open_services: ServicesFactory) -> None:
    first = open_services()
    opened = open_ticket(first)
    first.tickets.act(
        opened.answer.id, TicketAction.DISPATCH, DispatchTicket(department="logistics"), context()
    )
    first.close()

    ticket = open_services().app.repository.get(opened.answer.id)

    assert isinstance(ticket, Ticket)
    assert (ticket.status, ticket.department, ticket.version) == ("dispatched", "logistics", 2)
    assert ticket.priority is Priority.URGENT


def test_a_retried_command_returns_the_first_answer_and_writes_nothing(
    services: Services,
) -> None:
    first = open_ticket(services, key="open-1")
    before = head(services)

    retry = open_ticket(services, key="open-1")

    assert retry.replayed and retry.answer == first.answer
    assert head(services) == before


def test_concurrent_retries_with_one_key_write_once(services: Services) -> None:
    answers: list[UUID] = []
    barrier = threading.Barrier(4)

    def send() -> None:
        barrier.wait()
        answers.append(open_ticket(services, key="burst").answer.id)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(set(answers)) == 1 and len(answers) == 4
    assert head(services) == 1


def test_a_concurrent_change_is_detected_not_overwritten(open_services: ServicesFactory) -> None:
    desk_a, desk_b = open_services(), open_services()
    ticket_id = open_ticket(desk_a).answer.id
    seen_by_a = desk_a.app.repository.get(ticket_id)
    seen_by_b = desk_b.app.repository.get(ticket_id)
    seen_by_a.urge(
        urged_by="customer", reason="a", meta=context().metadata(), at=seen_by_a.modified_on
    )
    seen_by_b.urge(
        urged_by="customer", reason="b", meta=context().metadata(), at=seen_by_b.modified_on
    )
    desk_a.app.record(seen_by_a, None)

    with pytest.raises(ConcurrentChange):
        desk_b.app.record(seen_by_b, None)

    urges = [e for e in desk_a.app.events.get(ticket_id) if isinstance(e, Ticket.Urged)]
    assert [e.reason for e in urges] == ["a"]


def test_a_failed_save_stores_no_idempotency_key(open_services: ServicesFactory) -> None:
    desk_a, desk_b = open_services(), open_services()
    ticket_id = open_ticket(desk_a).answer.id
    stale = desk_b.app.repository.get(ticket_id)
    desk_a.tickets.act(
        ticket_id, TicketAction.URGE, UrgeTicket(urged_by="c", reason="r"), context()
    )
    stale.urge(urged_by="c", reason="late", meta=context().metadata(), at=stale.modified_on)
    record = IdempotencyRecord("desk", "lost", "request", 200, b"{}", ticket_id, stale.version)

    with pytest.raises(ConcurrentChange):
        desk_b.app.record(stale, record)

    assert desk_b.app.answers.find_answer("desk", "lost") is None


def test_events_are_not_stored_when_their_idempotency_key_cannot_be(services: Services) -> None:
    taken = open_ticket(services, key="taken").answer
    ticket = services.app.repository.get(taken.id)
    ticket.urge(urged_by="c", reason="r", meta=context().metadata(), at=ticket.modified_on)
    clash = IdempotencyRecord("desk", "taken", "other", 200, b"{}", taken.id, ticket.version)
    before = head(services)

    with pytest.raises((ConcurrentChange, IntegrityError)):
        services.app.record(ticket, clash)

    assert head(services) == before
    assert services.app.repository.get(taken.id).urge_count == 0
