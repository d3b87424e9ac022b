"""The thread view: one row per entry of every ticket's and complaint's thread, in log order,
with the delivery status of each public reply (from its `Message`'s events), and a search
index of each case's words (subject, description and every entry) for `?q=` on the lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

import msgspec
from eventsourcing.persistence import Tracking
from msgspec.structs import replace

from kefu.domain.complaint import Complaint
from kefu.domain.message import Message, message_id
from kefu.domain.thread import (
    ENTRY_EVENTS,
    ComplaintEntryPosted,
    EntryKind,
    entry_id,
    reply_key,
)
from kefu.domain.ticket import Ticket
from kefu.projections.batch import BatchProjection, Positioned
from kefu.projections.documents import Column, DocumentView, _decoder
from kefu.projections.listing import Filter, ListQuery
from kefu.projections.sql import Tx, db_time
from kefu.search.index import SearchIndex, SearchQuery
from kefu.search.ranking import Hit
from kefu.store.personal_fields import ERASED


class Attachment(msgspec.Struct, frozen=True):
    sha256: str
    filename: str
    content_type: str
    size: int


class ThreadEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of a case's thread as agents read it. `delivery` is the status of the
    message that carries a public reply (queued, sent, delivered, failed, cancelled)."""

    id: UUID
    record_kind: str
    record_id: UUID
    kind: str
    author: str
    channel: str
    body: str
    html: str = ""
    subject: str = ""
    attachments: tuple[Attachment, ...] = ()
    address: str = ""
    external_id: str = ""
    at: datetime
    version: int
    position: int = 0
    message_id: UUID | None = None
    delivery: str | None = None
    delivery_answer: str = ""
    delivery_at: datetime | None = None


@dataclass
class CaseText:
    """What a batch adds to one case's indexed text."""

    title: str = ""
    texts: list[str] = field(default_factory=list)


_DELIVERY = {
    Message.Sent: "sent",
    Message.Delivered: "delivered",
    Message.Cancelled: "cancelled",
}
MESSAGE_EVENTS = (Message.Sent, Message.Delivered, Message.Failed, Message.Cancelled)
CASE_TEXT_EVENTS = (Ticket.Opened, Complaint.Registered)


class ThreadView(DocumentView[ThreadEntry]):
    """The entries, paged by case in log order; the case text index beside them."""

    table = "thread_entries"
    record_columns = ("record_id",)
    document = ThreadEntry
    columns: ClassVar[dict[str, tuple[str, Column]]] = {
        "record_id": ("TEXT NOT NULL", lambda e: str(e.record_id)),
        "kind": ("TEXT NOT NULL", lambda e: e.kind),
        "at": ("TEXT NOT NULL", lambda e: db_time(e.at)),
        "message_id": ("TEXT", lambda e: str(e.message_id) if e.message_id else None),
    }
    indexes = ("record_id, position, id", "message_id")
    cases = SearchIndex("case_text", "ticket_views")
    # The same index tables, filtered by the complaint view's rows instead.
    complaint_cases = SearchIndex("case_text", "complaint_views")

    def create_statements(self) -> tuple[str, ...]:
        return (*super().create_statements(), *self.cases.create_statements(self.is_postgres))

    def thread(
        self, record_id: UUID, limit: int, cursor: str | None, customer_view: bool = False
    ) -> tuple[list[ThreadEntry], str | None]:
        """One page of a case's thread, oldest first; without internal notes for a customer."""
        hidden = [f"kind <> '{EntryKind.INTERNAL_NOTE}'"] if customer_view else []
        query = ListQuery(
            filters=[Filter("record_id", "eq", str(record_id))],
            order_by="position",
            limit=limit,
            cursor=cursor,
            extra_where=hidden,
        )
        return self.page(query)

    def attachment(self, record_id: UUID, sha256: str) -> Attachment | None:
        """The attachment with this digest on the case's thread, if one names it."""
        rows = self.query(
            f"SELECT doc FROM {self.table} WHERE record_id = :record_id ORDER BY position",
            {"record_id": str(record_id)},
        )
        for row in rows:
            found = _decoder(ThreadEntry).decode(row["doc"])
            for attachment in found.attachments:
                if attachment.sha256 == sha256:
                    return attachment  # type: ignore[no-any-return]
        return None

    def search_tickets(self, query: SearchQuery) -> list[Hit]:
        """Tickets whose subject, description or thread hold the words, best first;
        `query.where` filters on the ticket view's row (aliased `b`)."""
        with self.read() as tx:
            return self.cases.search(tx, query)

    def search_complaints(self, query: SearchQuery) -> list[Hit]:
        """Complaints whose type, description or thread hold the words, best first."""
        with self.read() as tx:
            return self.complaint_cases.search(tx, query)

    def by_message(self, tx: Tx, ids: Sequence[str]) -> dict[str, ThreadEntry]:
        found: dict[str, ThreadEntry] = {}
        for start in range(0, len(ids), 500):
            chunk = {f"m{n}": i for n, i in enumerate(ids[start : start + 500])}
            marks = ", ".join(":" + k for k in chunk)
            tx.execute(f"SELECT doc FROM {self.table} WHERE message_id IN ({marks})", chunk)
            for row in tx.fetchall():
                doc = _decoder(ThreadEntry).decode(row["doc"])
                found[str(doc.message_id)] = doc
        return found

    def erased(self, doc: ThreadEntry) -> ThreadEntry:
        return replace(doc, body=ERASED, html=ERASED, subject=ERASED, address=ERASED)

    def erase_personal_data(self, tx: Tx, record_ids: Sequence[str]) -> None:
        """The entries' texts erased, and the cases' words dropped from the index (what is
        indexed is all the customer's words: subject, description, thread), leaving no token."""
        super().erase_personal_data(tx, record_ids)
        for record_id in record_ids:
            self.cases.drop(tx, record_id)
        self.cases.purge(tx)

    def add_case_text(self, tx: Tx, added: Mapping[UUID, CaseText]) -> None:
        """Adds each case's new text to its indexed words (and sets its title when given):
        one re-index of the whole batch's cases, which writes only the postings they gain."""
        ids = [str(record_id) for record_id in added]
        indexed = self.cases.texts(tx, ids)
        docs: dict[str, tuple[str, str]] = {}
        for doc_id, new in zip(ids, added.values(), strict=True):
            old_title, old_body = indexed.get(doc_id, ("", ""))
            body = "\n".join(t for t in (old_body, *map(_unerased, new.texts)) if t)
            title = new.title or old_title
            if title or body or doc_id in indexed:
                docs[doc_id] = (title, body)
        self.cases.put_many(tx, docs)


class ThreadProjection(BatchProjection[ThreadView]):
    """Keeps the thread entries, their replies' delivery, and the case text index."""

    erases_personal_data = True

    name = "thread_entries"
    event_classes = (*ENTRY_EVENTS, *MESSAGE_EVENTS, *CASE_TEXT_EVENTS)

    def process_batch(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        with self.view.write() as tx:
            wanted = [str(p.event.originator_id) for p in events if type(p.event) in MESSAGE_EVENTS]
            by_message = self.view.by_message(tx, list(dict.fromkeys(wanted)))
            entries: dict[UUID, ThreadEntry] = {}
            texts: dict[UUID, CaseText] = {}
            for p in events:
                event = p.event
                if isinstance(event, ENTRY_EVENTS):
                    made = _entry(event, p.position)
                    entries[made.id] = made
                    if made.message_id is not None:
                        by_message[str(made.message_id)] = made
                    texts.setdefault(event.originator_id, CaseText()).texts.append(_words(made))
                elif isinstance(event, CASE_TEXT_EVENTS):
                    title, text = _case_text(event)
                    case = texts.setdefault(event.originator_id, CaseText())
                    if ERASED not in text:  # an erased case keeps no title either
                        case.title = title
                    case.texts.insert(0, text)
                elif (found := by_message.get(str(event.originator_id))) is not None:
                    changed = _delivered(found, event)
                    entries[changed.id] = by_message[str(event.originator_id)] = changed
            self.view.add_case_text(tx, texts)
            self.view.save(tx, entries, tracking)


def _entry(event: Any, position: int) -> ThreadEntry:
    e = event.entry
    record_id, version = event.originator_id, event.originator_version
    reply = e.kind is EntryKind.PUBLIC_REPLY
    return ThreadEntry(
        id=entry_id(record_id, version),
        record_kind="complaint" if isinstance(event, ComplaintEntryPosted) else "ticket",
        record_id=record_id,
        kind=str(e.kind),
        author=e.author,
        channel=str(e.channel),
        body=e.body,
        html=e.html,
        subject=e.subject,
        attachments=tuple(
            Attachment(a.sha256, a.filename, a.content_type, a.size) for a in e.attachments
        ),
        address=e.address,
        external_id=e.external_id,
        at=event.timestamp,
        version=version,
        position=position,
        message_id=message_id(reply_key(record_id, version)) if reply else None,
        delivery="queued" if reply else None,
    )


def _delivered(entry: ThreadEntry, event: Any) -> ThreadEntry:
    if isinstance(event, Message.Failed):
        status = "failed" if event.retry_at is None else "retrying"
    else:
        status = _DELIVERY[type(event)]
    answer = getattr(event, "answer", None) or getattr(event, "reason", "")
    return replace(entry, delivery=status, delivery_answer=answer, delivery_at=event.timestamp)


def _unerased(text: str) -> str:
    """The text without its erased parts: erased words are not indexed (as after erasure)."""
    return "\n".join(line for line in text.split("\n") if line != ERASED)


def _words(entry: ThreadEntry) -> str:
    return "\n".join(t for t in (entry.subject, entry.body) if t)


def _case_text(event: Any) -> tuple[str, str]:
    """The case's title and the start of its text (the title too, so a snippet can show it)."""
    if isinstance(event, Ticket.Opened):
        return event.subject, f"{event.subject}\n{event.description}"
    return str(event.complaint_type), event.description
