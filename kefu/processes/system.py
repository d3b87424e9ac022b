"""What every automated command shares: who it is (`system`), its deterministic id, its cause,
and the notification hook."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from kefu.application import ServiceDesk
from kefu.commands.customers import find_customer
from kefu.domain.customer import Customer
from kefu.domain.metadata import EventMetadata

log = logging.getLogger("kefu.automation")
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


@dataclass(frozen=True)
class Notice:
    """What an escalation or a rule asks to tell whom (handed to the notification hook)."""

    recipients: tuple[str, ...]
    record_id: UUID
    level: int
    reason: str


Notify = Callable[[Notice], None]


def log_notice(notice: Notice) -> None:
    """The default hook until the outbox delivers notifications: a log line."""
    log.warning("notice for %s: %s (%s)", ", ".join(notice.recipients), notice.reason,
                notice.record_id)  # fmt: skip


def customer_of(app: ServiceDesk, customer_id: str | None) -> Customer | None:
    """The customer file a record names, if the id is one and the file exists."""
    try:
        return find_customer(app, UUID(customer_id or ""))
    except ValueError:
        return None
