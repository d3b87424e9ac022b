"""The one-customer timeline (服务中台): every case and every fact of one customer, in time order.

A case (a ticket, a visit, and complaints and calls once they exist) is one entry that keeps
its status up to date; a fact of the customer file (opened, order, milestone, survey, merge) is
one entry of its own. `CASE_SOURCES` lists the case kinds: a new kind whose events carry a
`customer_id` is one more `CaseSource(kind, AggregateClass)` line there (statuses then follow
the event class names; pass `status_after=lifecycle(...)` to replay its lifecycle table).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

import msgspec
from eventsourcing.domain import Aggregate, AggregateCreated, DomainEvent
from msgspec.structs import replace

from kefu.domain import call, complaint, ticket
from kefu.domain.call import Call
from kefu.domain.call_lifecycle import CallStatus
from kefu.domain.call_lifecycle import next_status as call_next
from kefu.domain.complaint import Complaint
from kefu.domain.complaint_lifecycle import ComplaintStatus
from kefu.domain.complaint_lifecycle import next_status as complaint_next
from kefu.domain.customer import Customer
from kefu.domain.ticket import Ticket
from kefu.domain.ticket_lifecycle import TicketStatus
from kefu.domain.ticket_lifecycle import next_status as ticket_next
from kefu.domain.visit import Visit


class TimelineEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One line of a customer's timeline; `contact_at` is the last real contact it records."""

    id: UUID
    customer_id: str
    kind: str
    source_id: UUID
    at: datetime
    status: str | None
    title: str
    contact_at: datetime | None
    updated_at: datetime
    version: int
    position: int = 0


UNLINKED = ""  # the customer of a case that names none (yet): such entries are never listed


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def generic_status(previous: str, event: Any) -> str:
    """The event's own `status` when it has one, else its class name: `Escalated` → escalated."""
    return str(getattr(event, "status", None) or _snake(type(event).__name__))


def generic_title(created: Any) -> str:
    for name in ("subject", "summary", "title", "purpose", "category"):
        if isinstance(value := getattr(created, name, None), str) and value:
            return value
    return ""


def _never(event: Any) -> bool:
    return False


@dataclass(frozen=True)
class CaseSource:
    """An aggregate kind shown as one timeline entry per case, its status kept current."""

    kind: str
    aggregate: type[Aggregate]
    status_after: Callable[[str, Any], str] = generic_status
    title: Callable[[Any], str] = generic_title
    is_contact: Callable[[Any], bool] = _never  # which events are a contact with the customer
    created_is_contact: bool = True  # a customer opening a case is; a planned visit is not

    def event_classes(self) -> tuple[type[Any], ...]:
        nested = (getattr(self.aggregate, name) for name in dir(self.aggregate))
        return tuple(
            c for c in nested if isinstance(c, type) and issubclass(c, DomainEvent)
            and c.__qualname__.startswith(self.aggregate.__name__ + ".")
        )  # fmt: skip


def lifecycle(
    initial: Callable[[Any], str],
    event_actions: Mapping[type[object], Any],
    status_type: Callable[[str], Any],
    next_status: Callable[[Any, Any], Any],
) -> Callable[[str, Any], str]:
    """A case's status from its aggregate's own lifecycle table (one source of truth)."""

    def status_after(previous: str, event: Any) -> str:
        if isinstance(event, AggregateCreated):
            return initial(event)
        action = event_actions.get(type(event))
        return previous if action is None else str(next_status(status_type(previous), action))

    return status_after


_VISIT_STATUS = {
    Visit.NotReached: "not_reached",
    Visit.Done: "done",
    Visit.Rescheduled: "scheduled",
}

TICKETS = CaseSource(
    "ticket",
    Ticket,
    status_after=lifecycle(lambda e: "open", ticket.EVENT_ACTIONS, TicketStatus, ticket_next),
    is_contact=lambda e: isinstance(
        e, Ticket.Urged | Ticket.FeedbackGiven | Ticket.Rated | Ticket.Reopened
    ),
)
VISITS = CaseSource(
    "visit",
    Visit,
    status_after=lambda previous, e: _VISIT_STATUS.get(type(e), previous or "scheduled"),
    is_contact=lambda e: isinstance(e, Visit.Done) and e.reached,
    created_is_contact=False,
)
COMPLAINTS = CaseSource(
    "complaint",
    Complaint,
    status_after=lifecycle(
        lambda e: "registered", complaint.EVENT_ACTIONS, ComplaintStatus, complaint_next
    ),
    title=lambda e: f"{e.complaint_type}: {e.description}"[:200],
    is_contact=lambda e: isinstance(e, Complaint.Confirmed | Complaint.ResolutionAccepted),
)
CALLS = CaseSource(
    "call",
    Call,
    status_after=lifecycle(
        lambda e: "dialing" if e.direction == "outbound" else "arrived",
        call.EVENT_ACTIONS,
        CallStatus,
        call_next,
    ),
    title=lambda e: f"{e.direction} call: {e.purpose}" if e.purpose else f"{e.direction} call",
)
CASE_SOURCES: tuple[CaseSource, ...] = (TICKETS, VISITS, COMPLAINTS, CALLS)

FILE_FACTS: dict[type[Any], tuple[str, Callable[[Any], str]]] = {
    Customer.Registered: ("file", lambda e: "customer file opened"),
    Customer.OrderRecorded: ("order", lambda e: f"order {e.number}: {e.amount}"),
    Customer.MilestoneRecorded: ("milestone", lambda e: f"{e.kind} on {e.on}"),
    Customer.SurveyRecorded: ("survey", lambda e: f"survey rating {e.rating}"),
    Customer.MergedInto: ("merge", lambda e: f"merged into {e.survivor_id}"),
}


_CASE_BY_EVENT = {c: source for source in CASE_SOURCES for c in source.event_classes()}


def case_of(event: Any) -> CaseSource | None:
    return _CASE_BY_EVENT.get(type(event))


def file_fact(event: Any, position: int) -> TimelineEntry:
    """A fact of the customer file as an entry of its own."""
    kind, title = FILE_FACTS[type(event)]
    return TimelineEntry(
        id=uuid5(event.originator_id, str(event.originator_version)),
        customer_id=str(event.originator_id),
        kind=kind,
        source_id=event.originator_id,
        at=event.timestamp,
        status=None,
        title=title(event),
        contact_at=None if kind == "merge" else event.timestamp,
        updated_at=event.timestamp,
        version=event.originator_version,
        position=position,
    )


def case_entry(
    source: CaseSource, entry: TimelineEntry | None, event: Any, position: int
) -> TimelineEntry | None:
    """The case's entry after `event`.

    Every case gets an entry from its creating event, with no customer (`""`, never listed)
    until it names one: a call linked to a customer after it started still knows its title and
    status from the start.
    """
    if isinstance(event, AggregateCreated):
        return _opened(source, event, position)
    if entry is None:
        return None  # a case created before this projection knew its kind
    named = getattr(event, "customer_id", None)
    contact = event.timestamp if source.is_contact(event) else entry.contact_at
    return replace(
        entry,
        customer_id=str(named) if named else entry.customer_id,
        status=source.status_after(entry.status or "", event),
        contact_at=contact,
        updated_at=event.timestamp,
        version=event.originator_version,
        position=position,
    )


def _opened(source: CaseSource, event: Any, position: int) -> TimelineEntry:
    customer_id = getattr(event, "customer_id", None)
    return TimelineEntry(
        id=event.originator_id,
        customer_id=str(customer_id) if customer_id else UNLINKED,
        kind=source.kind,
        source_id=event.originator_id,
        at=event.timestamp,
        status=source.status_after("", event),
        title=source.title(event),
        contact_at=event.timestamp if source.created_is_contact else None,
        updated_at=event.timestamp,
        version=event.originator_version,
        position=position,
    )
