"""Chat, SMS and WeChat intake: one normalised message shape for every provider, so an
adapter per provider only translates its webhook into `InboundMessage`.

A conversation (the provider's id for a chat session, a WeChat user, an SMS number) is on one
open ticket at a time (`Conversation`): a message joins that ticket's thread (reopening it when
resolved), or, when the conversation has none or it is closed or archived, opens a new one.
Idempotent on the provider's message id: it is the idempotency key of the intake's actor for
that channel, saved with the entry; a redelivered message is `duplicate` and changes nothing.

A new ticket names the sender's customer file when one can be found: on SMS the sender is a
phone number, found like a caller's (熟客识别: normalised, exactly one file holds it); a chat
user or a WeChat open id is found among the ids the files keep for that channel
(`POST /customers/{id}/channel-ids`), again only when exactly one file holds it. The files are
looked up in the customer view (a read model, injected as `ChatSenders`): a file changed a
moment before may not be found yet, and the ticket then stays unlinked until an agent links it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Protocol
from uuid import UUID, uuid4

import msgspec
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from kefu.application import ConcurrentChange, ServiceDesk
from kefu.commands.base import Command, Name
from kefu.commands.caller_recognition import CallerRecognition
from kefu.commands.context import Context
from kefu.commands.execution import CommandRunner
from kefu.commands.intake import Received
from kefu.commands.policies import Policies
from kefu.commands.thread import AttachmentInput, LongText, PostEntry, ThreadCommands
from kefu.commands.tickets import customer_tier
from kefu.domain.channels import Channel
from kefu.domain.conversation import Conversation, conversation_key
from kefu.domain.deadlines import Priority
from kefu.domain.metadata import EventMetadata
from kefu.domain.thread import AttachmentRef, EntryKind
from kefu.domain.ticket import Ticket
from kefu.domain.ticket_lifecycle import TicketStatus

CHAT_CHANNELS = (Channel.CHAT, Channel.SMS, Channel.WECHAT)
FINISHED = frozenset({TicketStatus.CLOSED, TicketStatus.ARCHIVED})
ATTEMPTS = 3  # two messages of a new conversation at once: the loser joins the winner's ticket


class ChatSenders(Protocol):
    """The customer files (not merged away) that keep a chat or WeChat sender id."""

    def files_with_sender(self, channel: str, sender: str) -> list[UUID]: ...


class InboundMessage(Command, frozen=True):
    """A customer's message as every adapter sends it: the provider's `message_id` and
    `conversation_id`, the `sender` (an open id, a phone number, a chat user), the text and
    files uploaded before (`POST /attachments`)."""

    message_id: Name
    conversation_id: Name
    sender: Annotated[str, msgspec.Meta(min_length=1, max_length=320)]
    text: LongText = ""
    attachments: Annotated[tuple[AttachmentInput, ...], msgspec.Meta(max_length=20)] = ()


class ChatIntake:
    """Takes normalised messages in on the chat channels."""

    def __init__(
        self,
        app: ServiceDesk,
        runner: CommandRunner,
        policies: Policies,
        threads: ThreadCommands,
        callers: CallerRecognition,
        senders: ChatSenders,
    ) -> None:
        self.app = app
        self.runner = runner
        self.policies = policies
        self.threads = threads
        self.callers = callers
        self.senders = senders

    def receive(self, channel: Channel, message: InboundMessage) -> Received:
        entry = PostEntry(
            kind=EntryKind.CUSTOMER_MESSAGE,
            body=message.text,
            attachments=message.attachments,
            channel=channel,
            address=message.sender,
            external_id=message.message_id,
        )
        refs = self.threads.attachments(entry.attachments)  # an unknown file: refused first
        ctx = _context(channel, message.message_id)
        opened: list[bool] = []

        def take(meta: EventMetadata, at: datetime) -> Sequence[Aggregate]:
            saved = self._take(channel, message.conversation_id, entry, refs, meta, at)
            opened[:] = [isinstance(saved[-1], Conversation)]
            return saved

        for attempt in range(1, ATTEMPTS + 1):
            try:
                outcome = self.runner.run_together(ctx, 201, take)
                break
            except ConcurrentChange:
                if attempt == ATTEMPTS:
                    raise
        word = "duplicate" if outcome.replayed else ("opened" if opened[0] else "joined")
        return Received(word, outcome.answer.id)

    def _take(
        self,
        channel: Channel,
        conversation_id: str,
        entry: PostEntry,
        refs: tuple[AttachmentRef, ...],
        meta: EventMetadata,
        at: datetime,
    ) -> Sequence[Aggregate]:
        """The entry on the conversation's open ticket, or on a new one it is linked to (the
        conversation is then the last aggregate saved)."""
        conversation = self._conversation(channel, conversation_id, meta, at)
        ticket = self._open_ticket_of(conversation)
        text = entry.body
        if ticket is not None:
            return self.threads.apply(ticket, entry, refs, meta, at)
        customer = self._customer(channel, entry.address)
        ticket = Ticket.open(
            channel=channel,
            customer_id=str(customer) if customer else None,
            category=str(channel),
            priority=Priority.NORMAL,
            subject=(text.strip()[:60] or f"({channel})"),
            description=text[:10_000],
            policy=self.policies.deadlines,
            meta=meta,
            at=at,
            sla=self.policies.sla.select(
                Priority.NORMAL, str(channel), customer_tier(self.app, customer)
            ),
        )
        saved = self.threads.apply(ticket, entry, refs, meta, at)
        conversation.link(ticket_id=ticket.id, meta=meta, at=at)
        return [*saved, conversation]

    def _customer(self, channel: Channel, sender: str) -> UUID | None:
        """The sender's file: by phone number on SMS, by the ids files keep on chat and WeChat;
        none when no file or several hold it."""
        if channel is Channel.SMS:
            return self.callers.customer_of(sender)
        files = self.senders.files_with_sender(channel.value, sender)
        return files[0] if len(files) == 1 else None

    def _conversation(
        self, channel: Channel, external_id: str, meta: EventMetadata, at: datetime
    ) -> Conversation:
        try:
            found: Conversation = self.app.repository.get(conversation_key(channel, external_id))
            return found
        except AggregateNotFoundError:
            return Conversation(
                channel=str(channel), external_id=external_id, meta=meta, timestamp=at
            )

    def _open_ticket_of(self, conversation: Conversation) -> Ticket | None:
        if conversation.ticket_id is None:
            return None
        ticket: Ticket = self.app.repository.get(conversation.ticket_id)
        return None if ticket.status in FINISHED else ticket


def _context(channel: Channel, message_id: str) -> Context:
    key = f"{channel}:" + hashlib.sha256(message_id.encode()).hexdigest()
    return Context(
        actor_id=f"intake:{channel}",
        actor_role="service",
        command_id=uuid4(),
        correlation_id=uuid4(),
        channel=str(channel),
        idempotency_key=key,
        request_fingerprint=key,
    )
