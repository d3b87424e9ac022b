"""The conversation on a case (the thread): customer messages, public replies, internal notes
and system messages, each one event on the ticket's or the complaint's own stream.

Why on the case's stream and not a record of its own: an auditor replaying a ticket sees what
was said in the same order as what was done, the hash chain covers both, and a customer's
message that reopens a resolved ticket is one save of one stream. The events are declared
here, beside the aggregates, so the aggregates' modules stay as they are; they change no
state of the aggregate (the thread is read from the events by the thread view).

An attachment is named by its SHA-256 digest (the bytes live in the attachment store, outside
the log): the digest in the event lets the audit chain vouch for the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from kefu.domain.channels import Channel
from kefu.domain.complaint import Complaint
from kefu.domain.complaint_lifecycle import ComplaintStatus
from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata
from kefu.domain.ticket import Ticket
from kefu.domain.ticket_lifecycle import TicketStatus

ENTRY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:kefu:thread-entry")
REPLY_RULE = "thread_reply"  # the rule of the Message that carries a public reply


class EntryKind(StrEnum):
    """What a thread entry is; only a public reply is ever sent to the customer."""

    CUSTOMER_MESSAGE = "customer_message"
    PUBLIC_REPLY = "public_reply"
    INTERNAL_NOTE = "internal_note"  # never shown to the customer, never sent
    SYSTEM_MESSAGE = "system_message"


@dataclass(frozen=True)
class AttachmentRef:
    """A file of the attachment store, by its SHA-256 digest (64 lowercase hex digits)."""

    sha256: str
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class EntryContent:
    """One entry's content. `body` is plain text; `html` is the sanitised HTML of an email
    ("" when there is none); `address` is the customer's address on the channel (their email
    address, phone, chat conversation: where a reply goes); `external_id` is the provider's
    id of the message (an email's Message-ID), "" when none."""

    kind: EntryKind
    author: str
    channel: Channel
    body: str
    html: str = ""
    attachments: tuple[AttachmentRef, ...] = ()
    address: str = ""
    external_id: str = ""
    subject: str = ""


class TicketEntryPosted(Ticket.Event):
    """An entry was added to the ticket's thread."""

    entry: EntryContent
    meta: EventMetadata


class ComplaintEntryPosted(Complaint.Event):
    """An entry was added to the complaint's thread."""

    entry: EntryContent
    meta: EventMetadata


ENTRY_EVENTS: tuple[type[Any], ...] = (TicketEntryPosted, ComplaintEntryPosted)


def entry_id(record_id: UUID, version: int) -> UUID:
    """An entry's id follows from its case and the version of the event that posted it."""
    return uuid5(ENTRY_NAMESPACE, f"{record_id}:{version}")


def reply_key(record_id: UUID, version: int) -> str:
    """The key of the Message that sends the public reply posted at `version` of the case."""
    return f"{REPLY_RULE}:{record_id}:{version}"


def reply_case(record_id: UUID) -> str:
    """The case a reply Message names: how a customer's answer to it finds the thread."""
    return f"thread:{record_id}"


def post_entry(
    record: Ticket | Complaint, entry: EntryContent, *, meta: EventMetadata, at: datetime
) -> None:
    """Adds an entry to the case's thread; refused on an archived case and when the entry has
    neither text nor a file."""
    archived = TicketStatus.ARCHIVED if isinstance(record, Ticket) else ComplaintStatus.ARCHIVED
    if record.status == archived:
        raise ActionNotAllowed("an archived case takes no more messages", record.allowed_now)
    if not entry.body.strip() and not entry.attachments:
        raise RuleViolated("an entry needs a text or an attachment", record.allowed_now)
    if entry.kind is EntryKind.PUBLIC_REPLY and not entry.address:
        raise RuleViolated(
            f"a public reply needs the customer's {entry.channel} address", record.allowed_now
        )
    event = TicketEntryPosted if isinstance(record, Ticket) else ComplaintEntryPosted
    record.trigger_event(event, entry=entry, meta=meta, timestamp=at)
