"""One deadline rule, two spellings: a document's `overdue(now)` flags and the view's SQL for
`?overdue=` select the same tickets and complaints, on both backends."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import product
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Tracking

from kefu.bootstrap import Services
from kefu.projections.complaint_document import ComplaintDocument
from kefu.projections.complaint_projection import MISSED_DEADLINE as COMPLAINT_DEADLINES
from kefu.projections.complaint_projection import ComplaintView
from kefu.projections.documents import DocumentView
from kefu.projections.listing import BadFilter, ListQuery
from kefu.projections.ticket_document import TicketDocument
from kefu.projections.ticket_projection import MISSED_DEADLINE as TICKET_DEADLINES
from kefu.projections.ticket_projection import TicketView

NOW = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
# A deadline that has passed or is still ahead; an answer given before or after it, or none.
DUE = (NOW - 5 * HOUR, NOW + 5 * HOUR)
ANSWERED = (None, -HOUR, +HOUR)  # relative to the deadline


def _answer(due: datetime, offset: timedelta | None) -> datetime | None:
    return None if offset is None else min(due + offset, NOW)


def ticket_documents() -> Iterator[TicketDocument]:
    # Resolved statuses carry resolved_at; open and reopened ones do not (reopen clears it).
    statuses = ("open", "in_progress", "reopened", "resolved", "closed", "archived")
    for status, response_due, resolution_due, responded, resolved in product(
        statuses, DUE, DUE, ANSWERED, ANSWERED
    ):
        unresolved = status in ("open", "in_progress", "reopened")
        if (resolved is None) != unresolved:
            continue
        yield TicketDocument(
            id=uuid4(),
            status=status,
            priority="normal",
            channel="phone",
            category="billing",
            customer_id=None,
            subject="s",
            description="",
            opened_at=NOW - 10 * HOUR,
            updated_at=NOW,
            response_due_at=response_due,
            resolution_due_at=resolution_due,
            first_response_at=_answer(response_due, responded),
            resolved_at=_answer(resolution_due, resolved),
            version=1,
        )


def complaint_documents() -> Iterator[ComplaintDocument]:
    for reply_due, answer_due, replied, answered in product(DUE, DUE, ANSWERED, ANSWERED):
        yield ComplaintDocument(
            id=uuid4(),
            status="registered",
            channel="phone",
            customer_id="c-1",
            ticket_id=None,
            type="service",
            description="d",
            expectation="e",
            contact="c",
            severity="normal",
            major=False,
            registered_at=NOW - 10 * HOUR,
            updated_at=NOW,
            first_reply_due_at=reply_due,
            final_answer_due_at=answer_due,
            acknowledged_at=_answer(reply_due, replied),
            answered_at=_answer(answer_due, answered),
            version=1,
        )


def stored(view: DocumentView[Any], docs: Sequence[Any]) -> None:
    with view.write() as tx:
        view.save(tx, {d.id: d for d in docs}, Tracking("deadline_rules", 1))


def selected(view: DocumentView[Any], condition: tuple[str, dict[str, object]]) -> set[UUID]:
    sql, params = condition
    docs, _ = view.page(ListQuery(limit=500, extra_where=[sql], extra_params=params))
    return {d.id for d in docs}


@pytest.mark.parametrize("kind", list(TICKET_DEADLINES))
def test_the_ticket_list_and_the_ticket_flags_agree_on_missed_deadlines(
    services: Services, kind: str
) -> None:
    docs = list(ticket_documents())
    stored(services.read_models.tickets, docs)

    flagged = {d.id for d in docs if d.overdue(NOW)[f"{kind}_overdue"]}

    assert flagged and len(flagged) < len(docs)
    assert selected(services.read_models.tickets, TicketView.overdue_condition(kind, NOW)) == (
        flagged
    )


@pytest.mark.parametrize("kind", list(COMPLAINT_DEADLINES))
def test_the_complaint_list_and_the_complaint_flags_agree_on_missed_deadlines(
    services: Services, kind: str
) -> None:
    docs = list(complaint_documents())
    stored(services.read_models.complaints, docs)
    flags = ["first_reply", "final_answer"] if kind == "any" else [kind]

    flagged = {d.id for d in docs if any(d.overdue(NOW)[f"{f}_overdue"] for f in flags)}

    assert flagged and len(flagged) < len(docs)
    found = selected(services.read_models.complaints, ComplaintView.overdue_condition(kind, NOW))
    assert found == flagged


def test_an_unknown_deadline_is_a_bad_filter_naming_the_known_ones() -> None:
    with pytest.raises(BadFilter, match="response, resolution"):
        TicketView.overdue_condition("lunch", NOW)
