"""Each read model's documents as they read once a record's personal data is erased.

One function per document kind, written to give exactly what its fold gives from the events
once their keys are destroyed (kefu/store/personal_fields.py: a text field reads `[erased]`, an
optional date `None`, a sequence empty, a mapping empty), so the live views rewritten on an
erasure equal a rebuild or a replay (`kefu audit replay` stays clean). Counts, times, statuses
and ratings are left as they are: statistics do not change.
"""

from __future__ import annotations

from msgspec.structs import replace

from kefu.projections.call_document import CallDocument
from kefu.projections.complaint_document import ComplaintDocument
from kefu.projections.customer_document import CustomerDocument
from kefu.projections.ticket_document import TicketDocument
from kefu.projections.timeline import TimelineEntry
from kefu.projections.visit_document import VisitDocument
from kefu.store.personal_fields import ERASED


def _given(value: str | None) -> str | None:
    """An optional text the fold copied from a personal field: erased if it was copied."""
    return None if value is None else ERASED


def erased_customer(doc: CustomerDocument) -> CustomerDocument:
    return replace(
        doc,
        name=ERASED,
        phones=(),
        email=ERASED,  # a sealed optional text reads `[erased]`, given or not
        address=ERASED,
        birthday=None,
        preferences={},
        milestones=tuple(replace(m, note=ERASED) for m in doc.milestones),
        surveys=tuple(replace(s, comments=ERASED) for s in doc.surveys),
        merged_phones=(),
        channel_ids={},
        merged_channel_ids=(),
    )


def erased_ticket(doc: TicketDocument) -> TicketDocument:
    return replace(
        doc,
        subject=ERASED,
        description=ERASED,
        rating_comment=_given(doc.rating_comment),
    )


def erased_complaint(doc: ComplaintDocument) -> ComplaintDocument:
    return replace(
        doc,
        description=ERASED,
        expectation=ERASED,
        contact=ERASED,
        satisfaction_comment=_given(doc.satisfaction_comment),
    )


def erased_call(doc: CallDocument) -> CallDocument:
    notes = tuple(
        replace(n, who=ERASED, what=ERASED, where=ERASED, why=ERASED, how=ERASED) for n in doc.notes
    )
    recordings = tuple(replace(r, uri=ERASED) for r in doc.recordings)
    return replace(doc, customer_number=ERASED, notes=notes, recordings=recordings)


def erased_visit(doc: VisitDocument) -> VisitDocument:
    if doc.reached is None:  # not done: no outcome recorded yet
        return doc
    return replace(doc, comment=ERASED, new_need=ERASED)


def erased_timeline_entry(entry: TimelineEntry) -> TimelineEntry:
    """A ticket's title is its subject; a complaint's is its type and description."""
    if entry.kind == "ticket":
        return replace(entry, title=ERASED)
    if entry.kind == "complaint":
        complaint_type = entry.title.partition(": ")[0]
        return replace(entry, title=f"{complaint_type}: {ERASED}"[:200])
    return entry
