"""What every automated command shares: who it is (`system`), its deterministic id, its cause,
and the notices it raises."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from kefu.application import ServiceDesk
from kefu.commands.customers import find_customer
from kefu.domain.complaint import Complaint
from kefu.domain.customer import Customer
from kefu.domain.metadata import EventMetadata
from kefu.domain.notice import Notice
from kefu.domain.ticket import Ticket
from kefu.domain.visit import Visit

SYSTEM_ACTOR = "system"
SYSTEM_ROLE = "automation"
_NAMESPACE = uuid5(NAMESPACE_URL, "urn:kefu:automation")


def system_meta(channel: str, key: str, cause: EventMetadata | None) -> EventMetadata:
    """Metadata of a command the automation issues: actor `system`, the rule or policy as the
    channel (`rule:<name>`, `sla:<policy>`), an id that is uuid5 of channel and `key` (the
    triggering event or timer), and the triggering event's command as causation."""
    command_id = uuid5(_NAMESPACE, f"{channel}:{key}")
    return EventMetadata(
        actor_id=SYSTEM_ACTOR,
        actor_role=SYSTEM_ROLE,
        command_id=command_id,
        correlation_id=cause.correlation_id if cause else command_id,
        causation_id=cause.command_id if cause else None,
        channel=channel,
    )


def notice(
    record_kind: str, record: Ticket | Complaint | Visit, recipients: tuple[str, ...],
    level: int, reason: str, meta: EventMetadata, at: datetime, part: str = "",
) -> Notice:  # fmt: skip
    """A notice about `record`, raised by the command `meta` belongs to; its key is that
    command's (deterministic) id and `part` (which of the command's notices), so it is raised
    once. The record's department and agent are taken as they are now."""
    return Notice.raise_about(
        key=f"{meta.command_id}:notice{part}", record_kind=record_kind, record_id=record.id,
        recipients=recipients, level=level, reason=reason,
        department=getattr(record, "department", None),
        assignee_id=getattr(record, "assignee_id", None), meta=meta, at=at,
    )  # fmt: skip


def customer_of(app: ServiceDesk, customer_id: str | None) -> Customer | None:
    """The customer file a record names, if the id is one and the file exists."""
    try:
        return find_customer(app, UUID(customer_id or ""))
    except ValueError:
        return None
