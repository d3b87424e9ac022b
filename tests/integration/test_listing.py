"""Keyset pages over a real view: every row exactly once, NULL sort values included."""

from __future__ import annotations

import base64
import contextlib
from typing import Any, ClassVar
from uuid import UUID, uuid4

import msgspec
import pytest
from eventsourcing.persistence import Tracking

from kefu.bootstrap import Services
from kefu.projections.documents import Column, DocumentView
from kefu.projections.listing import BadCursor, Filter, ListQuery


class Note(msgspec.Struct, frozen=True):
    id: UUID
    title: str
    due: str | None
    version: int = 1
    position: int = 1


class NoteView(DocumentView[Note]):
    table = "test_notes"
    document = Note
    columns: ClassVar[dict[str, tuple[str, Column]]] = {
        "title": ("TEXT NOT NULL", lambda n: n.title),
        "due": ("TEXT", lambda n: n.due),
    }


@pytest.fixture
def notes(services: Services) -> Any:
    view = services.read_models._open(NoteView)
    titles = ["Alpha", "alpine", "a%b", "a_c", "beta", "Gamma", "delta"]
    dues = [None, "2030-01-02", None, "2030-01-01", None, "2030-01-03", "2030-01-01"]
    docs = {uuid4(): None for _ in titles}
    rows = {i: Note(id=i, title=t, due=d) for i, t, d in zip(docs, titles, dues, strict=True)}
    with view.write() as tx:
        view.save(tx, rows, Tracking("test_notes", 1))
    return view


def every_page(view: Any, query: ListQuery) -> list[str]:
    seen: list[str] = []
    while True:
        docs, cursor = view.page(query)
        seen.extend(d.title for d in docs)
        if cursor is None:
            return seen
        query = ListQuery(
            filters=query.filters, order_by=query.order_by, descending=query.descending,
            limit=query.limit, cursor=cursor,
        )  # fmt: skip


@pytest.mark.parametrize("descending", [False, True])
def test_pages_over_a_nullable_sort_column_list_every_row_once_nulls_last(
    notes: Any, descending: bool
) -> None:
    seen = every_page(notes, ListQuery(order_by="due", descending=descending, limit=2))

    assert sorted(seen) == sorted(["Alpha", "alpine", "a%b", "a_c", "beta", "Gamma", "delta"])
    assert set(seen[-3:]) == {"Alpha", "a%b", "beta"}  # the three without a due date


def expected_order(view: Any, column: str, descending: bool) -> list[str]:
    """Every note in `column` then id order (NULLs last either way), sorted here in Python."""
    docs = view.page(ListQuery(limit=100))[0]
    valued = sorted((d for d in docs if getattr(d, column) is not None), key=lambda d: (
        getattr(d, column), str(d.id)), reverse=descending)  # fmt: skip
    nulls = sorted((d for d in docs if getattr(d, column) is None), key=lambda d: str(d.id))
    return [d.title for d in [*valued, *(reversed(nulls) if descending else nulls)]]


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 7, 8])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("column", ["due", "title"])
def test_every_page_size_lists_the_rows_in_sort_then_id_order_with_nulls_last(
    notes: Any, column: str, descending: bool, limit: int
) -> None:
    query = ListQuery(order_by=column, descending=descending, limit=limit)

    assert every_page(notes, query) == expected_order(notes, column, descending)


@pytest.mark.parametrize("descending", [False, True])
def test_a_cursor_into_the_null_rows_carries_on_after_its_row(notes: Any, descending: bool) -> None:
    order = expected_order(notes, "due", descending)
    first = notes.page(ListQuery(order_by="due", descending=descending, limit=5))
    assert [d.title for d in first[0]] == order[:5]  # four dates and the first NULL

    rest = notes.page(ListQuery(order_by="due", descending=descending, limit=5, cursor=first[1]))

    assert [d.title for d in rest[0]] == order[5:] and rest[1] is None


def test_a_prefix_matches_literally_and_ignores_case(notes: Any) -> None:
    def titles(prefix: str) -> set[str]:
        query = ListQuery(filters=[Filter("title", "prefix", prefix)], order_by="title")
        return {d.title for d in notes.page(query)[0]}

    assert titles("al") == {"Alpha", "alpine"}
    assert titles("a%") == {"a%b"}
    assert titles("a_") == {"a_c"}


def forged(sort_value: object) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode([sort_value, "x"])).decode()


@pytest.mark.parametrize("sort_value", [{}, [1], True])
def test_a_cursor_that_no_list_could_issue_is_refused(notes: Any, sort_value: object) -> None:
    with pytest.raises(BadCursor):
        notes.page(ListQuery(order_by="title", cursor=forged(sort_value)))


def test_a_cursor_of_the_wrong_type_for_its_column_is_refused_or_harmless(notes: Any) -> None:
    # PostgreSQL refuses to compare text with a number (BadCursor); SQLite compares them.
    with contextlib.suppress(BadCursor):
        notes.page(ListQuery(order_by="title", cursor=forged(1)))
