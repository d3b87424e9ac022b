"""The context a command runs in: who sent it, why, and how to treat retries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from kefu.domain.metadata import EventMetadata


@dataclass(frozen=True)
class Context:
    """Built by the HTTP layer from the token and headers, never from the body."""

    actor_id: str
    actor_role: str
    command_id: UUID
    correlation_id: UUID
    causation_id: UUID | None = None
    channel: str = "api"
    idempotency_key: str | None = None
    request_fingerprint: str = ""
    expected_version: int | None = None
    sent_by: str | None = None  # the delegating service, when actor_id is its agent
    recorded_at: datetime | None = None  # an import's: when it writes history of another time
    source_system: str | None = None  # an import's: where the history comes from

    def metadata(self) -> EventMetadata:
        return EventMetadata(
            actor_id=self.actor_id,
            actor_role=self.actor_role,
            command_id=self.command_id,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            channel=self.channel,
            sent_by=self.sent_by,
            recorded_at=self.recorded_at,
            source_system=self.source_system,
        )
