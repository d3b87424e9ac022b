"""The catalogue of event kinds the outside world may follow (webhooks, the event stream).

An event's kind is its class path in the aggregate, `Complaint.Registered`; its aggregate
kind is the aggregate's name in lower case, `complaint`. Subscriptions themselves and the
auditors' access records are internal and never leave the desk.
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


class UnknownKind(ValueError):
    """A subscription or a query named an event kind or aggregate kind that does not exist."""


def kind_of_topic(topic: str) -> str:
    """`kefu.domain.complaint:Complaint.Registered` → `Complaint.Registered`."""
    return topic.rpartition(":")[2]


def aggregate_kind_of(kind: str) -> str:
    """`Complaint.Registered` → `complaint`."""
    return kind.partition(".")[0].lower()


@cache
def topics_by_kind() -> dict[str, str]:
    """Every public event kind → its topic in the log."""
    catalogue = {}
    for aggregate in PUBLIC_AGGREGATES:
        for value in vars(aggregate).values():
            if _is_recorded_event(value):
                topic = f"{value.__module__}:{value.__qualname__}"  # as eventsourcing names it
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
