"""Who did it and why: the metadata every domain event carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class EventMetadata:
    """The provenance of one event, taken from the authenticated command that caused it.

    Auditors read it straight off the event: no second table is needed to know who acted.
    An imported event (`kefu import`, docs/import.md) happened at its own time (the event's
    `timestamp`) in `source_system`; `recorded_at` is when the import wrote it, and the actor
    is who ran the import. Events written before these fields existed read them as None.
    """

    actor_id: str
    actor_role: str
    command_id: UUID
    correlation_id: UUID
    causation_id: UUID | None
    channel: str
    # A delegating service's actor when it sent the command on behalf of `actor_id` (the
    # agent at the keyboard, named by X-On-Behalf-Of); None when the actor sent it.
    sent_by: str | None = None
    recorded_at: datetime | None = None
    source_system: str | None = None


def imported(event: Any) -> bool:
    """Whether `event` was brought in by an import: history the followers of the log do not
    act on (no rule, notification, timer or visit follows from what happened elsewhere)."""
    meta = getattr(event, "meta", None)
    return isinstance(meta, EventMetadata) and meta.source_system is not None
