"""The thread of a case (a ticket or a complaint): post a message, a reply, a note.

One command, `PostEntry`, for every kind of entry. What follows from an entry is saved with it,
in the same transaction:

- a customer's message on a resolved, answered or closed ticket reopens it; on a ticket that
  waits for the customer it is their reply (the SLA clocks resume);
- a public reply is queued as a `Message` to the customer's address on the entry's channel, so
  the outbox sends it (email, SMS, or the chat/WeChat adapter's webhook) and records what the
  provider answered. Its id follows from the entry, so it is queued once. An email reply names
  the customer's last email on the case (`answers`: its Message-ID), so the email carries
  In-Reply-To and References and the customer's mail client threads it. It is queued here,
  not by a follower, because the reply's text and address are the command's own: nothing is
  rendered or looked up that the command does not already hold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from kefu.application import ServiceDesk
from kefu.commands.base import Command
from kefu.commands.context import Context
from kefu.commands.customers import find_customer
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.html_text import html_to_text, sanitise
from kefu.commands.policies import Policies
from kefu.domain.channels import Channel
from kefu.domain.complaint import Complaint
from kefu.domain.errors import RuleViolated
from kefu.domain.message import Message
from kefu.domain.metadata import EventMetadata
from kefu.domain.thread import (
    ENTRY_EVENTS,
    REPLY_RULE,
    AttachmentRef,
    EntryContent,
    EntryKind,
    post_entry,
    reply_case,
    reply_key,
)
from kefu.domain.ticket import Ticket
from kefu.domain.ticket_lifecycle import TicketAction, TicketStatus
from kefu.store.attachments import AttachmentStore

LongText = Annotated[str, msgspec.Meta(max_length=100_000)]
Address = Annotated[str, msgspec.Meta(max_length=320)]
# The channels a public reply can be sent on; a reply by phone or at the desk is given there.
REPLY_CHANNELS = frozenset({Channel.EMAIL, Channel.SMS, Channel.CHAT, Channel.WECHAT})
REOPENED_BY_CUSTOMER = "the customer wrote again"
MESSAGE_ID = re.compile(r"[^<>\s@]+@[^<>\s@]+")  # an RFC 5322 msg-id without its brackets
Case = Ticket | Complaint


class AttachmentInput(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A file uploaded before (`POST /attachments`), by its digest, with the name to show."""

    sha256: Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
    filename: Annotated[str, msgspec.Meta(max_length=255)] = ""


class PostEntry(Command, frozen=True):
    """An entry for the thread. `html` (from email) is sanitised, and gives the text when
    `body` is empty. `channel` defaults to the case's. `address` is the customer's address on
    that channel: the sender of a customer message, or where a public reply goes (default:
    the last address the customer wrote from on that channel, else their file's)."""

    kind: EntryKind
    body: LongText = ""
    html: LongText = ""
    attachments: Annotated[tuple[AttachmentInput, ...], msgspec.Meta(max_length=20)] = ()
    channel: Channel | None = None
    address: Address = ""
    subject: Annotated[str, msgspec.Meta(max_length=300)] = ""
    external_id: Annotated[str, msgspec.Meta(max_length=998)] = ""


class UnknownAttachment(LookupError):
    """An entry names a file the attachment store does not hold."""


class ThreadCommands:
    """Posts entries to the threads of tickets and complaints."""

    def __init__(
        self, app: ServiceDesk, runner: CommandRunner, policies: Policies, files: AttachmentStore
    ) -> None:
        self.app = app
        self.runner = runner
        self.policies = policies
        self.files = files

    def post(self, kind: type[Case], record_id: UUID, command: PostEntry, ctx: Context) -> Outcome:
        attachments = self.attachments(command.attachments)

        def change(meta: EventMetadata, at: datetime) -> Sequence[Aggregate]:
            record = self.app.load(kind, record_id, ctx.expected_version)
            return self.apply(record, command, attachments, meta, at)

        return self.runner.run_together(ctx, 201, change)

    def apply(
        self,
        record: Case,
        command: PostEntry,
        attachments: tuple[AttachmentRef, ...],
        meta: EventMetadata,
        at: datetime,
    ) -> list[Aggregate]:
        """Posts the entry on `record` (loaded) and returns what to save with it."""
        channel = command.channel or record.channel
        body = command.body or (html_to_text(command.html) if command.html else "")
        address = command.address
        customer_wrote: list[EntryContent] = []
        if command.kind is EntryKind.PUBLIC_REPLY:
            if channel not in REPLY_CHANNELS:
                raise RuleViolated(
                    f"a public reply is sent by {', '.join(sorted(REPLY_CHANNELS))}; "
                    f"one on {channel} is given there (post it as a note)",
                    record.allowed_now,
                )
            customer_wrote = self._customer_messages(record)
            address = address or self._reply_address(record, channel, customer_wrote)
        entry = EntryContent(
            kind=command.kind,
            author=meta.actor_id,
            channel=channel,
            body=body,
            html=sanitise(command.html) if command.html else "",
            attachments=attachments,
            address=address,
            external_id=command.external_id,
            subject=command.subject,
        )
        post_entry(record, entry, meta=meta, at=at)
        saved: list[Aggregate] = [record]
        if command.kind is EntryKind.PUBLIC_REPLY:
            answers = _last_mail(customer_wrote) if channel is Channel.EMAIL else ""
            saved.append(self._reply_message(record, entry, answers, meta, at))
        elif command.kind is EntryKind.CUSTOMER_MESSAGE and isinstance(record, Ticket):
            self._customer_wrote(record, body, meta, at)
        return saved

    def attachments(self, given: Sequence[AttachmentInput]) -> tuple[AttachmentRef, ...]:
        refs = []
        for item in given:
            stored = self.files.describe(item.sha256)
            if stored is None:
                raise UnknownAttachment(f"no uploaded file has the digest {item.sha256}")
            name = item.filename or stored.sha256[:12]
            refs.append(AttachmentRef(stored.sha256, name, stored.content_type, stored.size))
        return tuple(refs)

    def _customer_wrote(self, ticket: Ticket, body: str, meta: EventMetadata, at: datetime) -> None:
        """Their message reopens a settled ticket, or resumes one that waits for them."""
        if TicketAction.REOPEN in ticket.allowed_now:
            ticket.reopen(
                reason=REOPENED_BY_CUSTOMER, policy=self.policies.deadlines, meta=meta, at=at
            )
        elif ticket.status is TicketStatus.PENDING:
            ticket.record_customer_reply(message=body[:2000], meta=meta, at=at)

    def _customer_messages(self, record: Case) -> list[EntryContent]:
        """The customer's messages on the case's thread, oldest first."""
        entries = (e.entry for e in self.app.events.get(record.id) if isinstance(e, ENTRY_EVENTS))
        return [e for e in entries if e.kind is EntryKind.CUSTOMER_MESSAGE]

    def _reply_address(
        self, record: Case, channel: Channel, customer_wrote: Sequence[EntryContent]
    ) -> str:
        """The address the customer last wrote from on `channel`, else their file's."""
        for entry in reversed(customer_wrote):
            if entry.channel is channel and entry.address:
                return entry.address
        return self._file_address(record.customer_id, channel)

    def _file_address(self, customer_id: str | None, channel: Channel) -> str:
        try:
            customer = find_customer(self.app, UUID(customer_id or ""))
        except ValueError:
            return ""
        if customer is None:
            return ""
        if channel is Channel.EMAIL:
            return customer.email or ""
        if channel is Channel.SMS and customer.phones:
            return customer.phones[0]
        return ""

    def _reply_message(
        self, record: Case, entry: EntryContent, answers: str, meta: EventMetadata, at: datetime
    ) -> Message:
        subject = getattr(record, "subject", "") or getattr(record, "description", "")[:60]
        return Message(
            key=reply_key(record.id, record.version),
            rule=REPLY_RULE,
            template="",
            channel=str(entry.channel),
            language="",
            recipient_kind="customer",
            recipient_id=record.customer_id or "",
            address=entry.address,
            subject=f"Re: {entry.subject or subject} [#{record.id}]",
            body=entry.body,
            due_at=at,
            case=reply_case(record.id),
            meta=meta,
            timestamp=at,
            answers=answers,
        )


def _last_mail(customer_wrote: Sequence[EntryContent]) -> str:
    """The Message-ID of the customer's last email that has one (intake names a mail without
    one by its digest, `sha256:...`; an id typed in by an agent may be anything)."""
    for entry in reversed(customer_wrote):
        if entry.channel is Channel.EMAIL and MESSAGE_ID.fullmatch(entry.external_id):
            return entry.external_id
    return ""
