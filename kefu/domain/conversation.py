"""An outside conversation (a chat session, a WeChat user, an SMS number) and the ticket it
is on now: one open ticket per conversation at a time.

Its id follows from the channel and the provider's conversation id, so two messages of a new
conversation arriving at once both try to start the same record: the second save is refused
(a version conflict), and the retry finds the ticket the first one opened.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from kefu.domain.metadata import EventMetadata

CONVERSATION_NAMESPACE = uuid5(NAMESPACE_URL, "urn:kefu:conversation")


def conversation_key(channel: str, external_id: str) -> UUID:
    return uuid5(CONVERSATION_NAMESPACE, f"{channel}:{external_id}")


class Conversation(Aggregate):
    """Which ticket a provider's conversation is on now."""

    channel: str
    external_id: str
    ticket_id: UUID | None

    class Started(Aggregate.Created):
        channel: str
        external_id: str
        meta: EventMetadata

    class TicketLinked(Aggregate.Event):
        """The conversation's messages go to this ticket from now on."""

        ticket_id: UUID
        meta: EventMetadata

    @staticmethod
    def create_id(channel: str, external_id: str) -> UUID:
        return conversation_key(channel, external_id)

    @event(Started)
    def __init__(
        self, channel: str, external_id: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.channel = channel
        self.external_id = external_id
        self.ticket_id = None

    def link(self, *, ticket_id: UUID, meta: EventMetadata, at: datetime) -> None:
        """Its next messages go to `ticket_id` (the one it was on is closed or archived)."""
        self._ticket_linked(ticket_id=ticket_id, meta=meta, timestamp=at)

    @event(TicketLinked)
    def _ticket_linked(self, ticket_id: UUID, meta: EventMetadata, timestamp: datetime) -> None:
        self.ticket_id = ticket_id
