"""The customer timeline view (its table and queries) and the projection that keeps it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.persistence import Tracking

from kefu.projections.batch import BatchProjection, Positioned
from kefu.projections.documents import Column, DocumentView
from kefu.projections.erased_documents import erased_timeline_entry
from kefu.projections.listing import ListQuery
from kefu.projections.sql import db_time, from_db_time
from kefu.projections.timeline import (
    CASE_SOURCES,
    FILE_FACTS,
    UNLINKED,
    TimelineEntry,
    case_entry,
    case_of,
    file_fact,
)


class TimelineView(DocumentView[TimelineEntry]):
    """One row per timeline entry, found by customer and ordered by time."""

    table = "timeline_entries"
    record_columns = ("id", "customer_id")
    document = TimelineEntry
    columns: ClassVar[dict[str, tuple[str, Column]]] = {
        "customer_id": ("TEXT NOT NULL", lambda e: e.customer_id),
        "kind": ("TEXT NOT NULL", lambda e: e.kind),
        "status": ("TEXT", lambda e: e.status),
        "at": ("TEXT NOT NULL", lambda e: db_time(e.at)),
        "contact_at": ("TEXT", lambda e: db_time(e.contact_at)),
    }

    def erased(self, doc: TimelineEntry) -> TimelineEntry:
        return erased_timeline_entry(doc)

    indexes = ("customer_id, at, id",)

    def for_customers(
        self, customer_ids: Sequence[str], query: ListQuery
    ) -> tuple[list[TimelineEntry], str | None]:
        """One page of the entries of these customers (a file and the duplicates it absorbed)."""
        marks = {f"c{n}": customer_id for n, customer_id in enumerate(customer_ids)}
        where = f"customer_id IN ({', '.join(':' + k for k in marks)})"
        scoped = ListQuery(
            filters=query.filters,
            order_by=query.order_by,
            descending=query.descending,
            limit=query.limit,
            cursor=query.cursor,
            extra_where=[*query.extra_where, where],
            extra_params={**query.extra_params, **marks},
        )
        return self.page(scoped)

    def silent_customers(self, before: datetime) -> list[tuple[str, datetime]]:
        """Customers whose last contact was before `before`, with that last contact."""
        rows = self.query(
            f"SELECT customer_id, MAX(contact_at) AS last FROM {self.table} "
            "WHERE contact_at IS NOT NULL AND customer_id <> :unlinked "
            "GROUP BY customer_id HAVING MAX(contact_at) < :before",
            {"before": db_time(before), "unlinked": UNLINKED},
        )
        return [(row["customer_id"], _time(row["last"])) for row in rows]


def _time(text: str) -> datetime:
    moment = from_db_time(text)
    assert moment is not None
    return moment


class TimelineProjection(BatchProjection[TimelineView]):
    """Keeps every customer's timeline: cases (tickets, visits, ...) and file facts."""

    erases_personal_data = True

    name = "customer_timeline"
    event_classes = (
        *FILE_FACTS,
        *(c for source in CASE_SOURCES for c in source.event_classes()),
    )

    def process_batch(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        with self.view.write() as tx:
            cases = [p.event.originator_id for p in events if type(p.event) not in FILE_FACTS]
            entries = self.view.get_many(tx, list(dict.fromkeys(cases)))
            for p in events:
                entry = self._entry(entries, p)
                if entry is not None:
                    entries[entry.id] = entry
            self.view.save(tx, entries, tracking)

    @staticmethod
    def _entry(entries: dict[Any, TimelineEntry], p: Positioned) -> TimelineEntry | None:
        if type(p.event) in FILE_FACTS:
            return file_fact(p.event, p.position)
        source = case_of(p.event)
        if source is None:
            return None
        return case_entry(source, entries.get(p.event.originator_id), p.event, p.position)
