"""Which streams an archive holds: given ids, a customer's records, a time range, or every
archived ticket and complaint."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from kefu.application import ServiceDesk
from kefu.projections.documents import DocumentView
from kefu.projections.read_models import ReadModels
from kefu.store.times import db_time


def _document_views(read_models: ReadModels, column: str) -> list[DocumentView[Any]]:
    views = [p.view for p in read_models.projections if isinstance(p.view, DocumentView)]
    return [v for v in views if column in v.columns]


def _ids(view: DocumentView[Any], column: str, value: str) -> Iterator[UUID]:
    statement = f"SELECT id FROM {view.table} WHERE {column} = :v ORDER BY id"
    for row in view.query(statement, {"v": value}):
        yield UUID(row["id"])


def _unique(ids: Iterator[UUID]) -> Iterator[UUID]:
    # Several views may list one stream (a ticket in the ticket view and on the timeline).
    seen: set[UUID] = set()
    for stream in ids:
        if stream not in seen:
            seen.add(stream)
            yield stream


def customer_streams(read_models: ReadModels, customer_id: str) -> Iterator[UUID]:
    """The customer's own file (when it is a stream) and every record that names them."""
    return _unique(_customer_streams(read_models, customer_id))


def _customer_streams(read_models: ReadModels, customer_id: str) -> Iterator[UUID]:
    with contextlib.suppress(ValueError):
        yield UUID(customer_id)
    for view in _document_views(read_models, "customer_id"):
        yield from _ids(view, "customer_id", customer_id)


def archived_streams(read_models: ReadModels) -> Iterator[UUID]:
    """Every archived record (tickets, complaints: the views with an archived status)."""
    views = _document_views(read_models, "status")
    return _unique(stream for view in views for stream in _ids(view, "status", "archived"))


def active_streams(app: ServiceDesk, since: datetime, until: datetime) -> Iterator[UUID]:
    """Streams with an event in [since, until), each exported whole."""
    low, high, after = db_time(since) or "", db_time(until) or "", ""
    while page := app.chain.streams_active(low, high, after):
        yield from (UUID(stream) for stream in page)
        after = page[-1]
