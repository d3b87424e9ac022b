"""The catalogue of event kinds the outside world may follow (webhooks, the event stream).

An event's kind is its class path in the aggregate, `Complaint.Registered`; its aggregate
kind is the aggregate's name in lower case, `complaint`. Subscriptions themselves and the
auditors' access records are internal and never leave the desk.

The thread's events are declared beside their aggregates (`kefu/domain/thread.py`), so their
topics are `kefu.domain.thread:TicketEntryPosted`; they are named like the nested ones,
`Ticket.EntryPosted` and `Complaint.EntryPosted`, and belong to their aggregate's kind.
Every entry kind goes out, internal notes included: subscribers are the organisation's own
services (docs/outbox.md); the entry's `kind` is in the payload, and what a customer sees is
sent by the message outbox, never by a subscription.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from eventsourcing.domain import Aggregate

from kefu.domain.agent import Agent
from kefu.domain.call import Call
from kefu.domain.complaint import Complaint
from kefu.domain.customer import Customer
from kefu.domain.notice import Notice
from kefu.domain.thread import ComplaintEntryPosted, TicketEntryPosted
from kefu.domain.ticket import Ticket
from kefu.domain.visit import Visit

PUBLIC_AGGREGATES: tuple[type[Aggregate], ...] = (
    Ticket,
    Complaint,
    Call,
    Agent,
    Customer,
    Visit,
    Notice,
)

# Events of a public aggregate declared outside its class: their kind → the event class.
DECLARED_BESIDE: dict[str, type[Aggregate.Event]] = {
    "Ticket.EntryPosted": TicketEntryPosted,
    "Complaint.EntryPosted": ComplaintEntryPosted,
}


def _topic(event_class: type[Aggregate.Event]) -> str:
    return f"{event_class.__module__}:{event_class.__qualname__}"  # as eventsourcing names it


_KIND_BY_TOPIC = {_topic(c): kind for kind, c in DECLARED_BESIDE.items()}


class UnknownKind(ValueError):
    """A subscription or a query named an event kind or aggregate kind that does not exist."""


def kind_of_topic(topic: str) -> str:
    """`kefu.domain.complaint:Complaint.Registered` → `Complaint.Registered`;
    `kefu.domain.thread:TicketEntryPosted` → `Ticket.EntryPosted`."""
    return _KIND_BY_TOPIC.get(topic) or topic.rpartition(":")[2]


def aggregate_kind_of(kind: str) -> str:
    """`Complaint.Registered` → `complaint`."""
    return kind.partition(".")[0].lower()


@cache
def topics_by_kind() -> dict[str, str]:
    """Every public event kind → its topic in the log."""
    catalogue = {kind: _topic(c) for kind, c in DECLARED_BESIDE.items()}
    for aggregate in PUBLIC_AGGREGATES:
        for value in vars(aggregate).values():
            if _is_recorded_event(value):
                topic = _topic(value)
                catalogue[kind_of_topic(topic)] = topic
    return catalogue


def _is_recorded_event(value: object) -> bool:
    # eventsourcing gives each aggregate base classes named Event and Created: never recorded.
    return (
        isinstance(value, type)
        and issubclass(value, Aggregate.Event)
        and value.__name__ not in _BASES
    )


_BASES = frozenset({"Event", "Created", "Snapshot"})


def aggregate_kinds() -> frozenset[str]:
    return frozenset(a.__name__.lower() for a in PUBLIC_AGGREGATES)


def check_kinds(event_kinds: Iterable[str], aggregates: Iterable[str]) -> None:
    """Refuses any kind the catalogue does not know, naming it."""
    unknown = [k for k in event_kinds if k not in topics_by_kind()]
    unknown += [k for k in aggregates if k not in aggregate_kinds()]
    if unknown:
        raise UnknownKind(
            f"unknown kinds: {', '.join(unknown)}; aggregate kinds are "
            f"{', '.join(sorted(aggregate_kinds()))}, event kinds look like Complaint.Registered"
        )


def topics_for(event_kinds: Iterable[str], aggregates: Iterable[str]) -> list[str]:
    """The topics of the named event kinds and of every event of the named aggregate kinds."""
    check_kinds(event_kinds, aggregates)
    wanted = set(event_kinds)
    chosen = set(aggregates)
    return sorted(
        topic
        for kind, topic in topics_by_kind().items()
        if kind in wanted or aggregate_kind_of(kind) in chosen
    )


def is_public(topic: str) -> bool:
    return kind_of_topic(topic) in topics_by_kind()
