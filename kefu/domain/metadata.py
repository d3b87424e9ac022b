"""Who did it and why: the metadata every domain event carries."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class EventMetadata:
    """The provenance of one event, taken from the authenticated command that caused it.

    Auditors read it straight off the event: no second table is needed to know who acted.
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
