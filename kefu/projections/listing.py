"""Keyset-paginated lists over a document view: filters, a stable order, opaque cursors.

The cursor carries the last row's sort value and id, so a page boundary never moves when
new rows arrive (unlike OFFSET), as long as the sort column does not change after insert.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

Params = dict[str, Any]
OPERATORS = {"eq": "=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "prefix": "LIKE"}


class BadFilter(ValueError):
    """A list filter was given a value it does not know."""

    def __init__(self, name: str, value: str, known: Sequence[str]) -> None:
        super().__init__(f"{name} {value!r} is not one of: {', '.join(known)}")


class BadCursor(ValueError):
    """The cursor was not issued by this list."""


@dataclass(frozen=True)
class Filter:
    """`column op value`; op is one of OPERATORS (`prefix` matches the start of text)."""

    column: str
    op: str
    value: object


@dataclass(frozen=True)
class ListQuery:
    """One page request: filters, sort column (ascending or descending), size and cursor."""

    filters: Sequence[Filter] = ()
    order_by: str = "position"
    descending: bool = False
    limit: int = 50
    cursor: str | None = None
    extra_where: Sequence[str] = field(default=())  # trusted SQL fragments with :params
    extra_params: dict[str, object] = field(default_factory=dict)


def encode_cursor(sort_value: object, row_id: str) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode([sort_value, row_id])).decode()


def decode_cursor(cursor: str) -> tuple[Any, str]:
    try:
        sort_value, row_id = msgspec.json.decode(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, binascii.Error, msgspec.DecodeError):
        raise BadCursor("the cursor is not one this list issued") from None
    if not isinstance(row_id, str) or not _is_sort_value(sort_value):
        raise BadCursor("the cursor is not one this list issued")
    return sort_value, row_id


def _is_sort_value(value: object) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**63) <= value < 2**63  # what the stores keep; beyond, the driver overflows
    return value is None or isinstance(value, str | float)


def _like_prefix(value: object) -> str:
    """A LIKE pattern for `value` as a literal prefix (its % and _ match only themselves)."""
    text = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return text + "%"


def page_selects(
    table: str, columns: Sequence[str], query: ListQuery, nullable: Collection[str] = ()
) -> list[tuple[str, dict[str, Any]]]:
    """The SELECTs for one page, to run in order until one more row than the limit is found.

    Every order is `sort column, id` without an expression, so an index on (filters…, sort
    column, id) serves both the order and the cursor, and a page costs the same however long
    the history. A nullable sort column lists its NULLs last in both directions: a second
    SELECT (the NULLs, by id) follows the first (the values), each served by the same index.
    """
    where, params = _filtered(columns, query)
    order = query.order_by
    if order not in (*columns, "position", "id"):
        raise ValueError(f"cannot sort on {order}")
    cursor = None if query.cursor is None else decode_cursor(query.cursor)
    if cursor is not None:
        params["c_sort"], params["c_id"] = cursor
    after = _after(order, query.descending) if cursor is not None else []
    if order not in nullable:
        return [_select(table, order, order, query, [*where, *after], params)]
    in_nulls = cursor is not None and cursor[0] is None
    selects = []
    if not in_nulls:
        values = [*where, f"{order} IS NOT NULL", *after]
        selects.append(_select(table, order, order, query, values, params))
    nulls = [*where, f"{order} IS NULL", *(_after("id", query.descending) if in_nulls else [])]
    selects.append(_select(table, order, "id", query, nulls, params))
    return selects


def _filtered(columns: Sequence[str], query: ListQuery) -> tuple[list[str], dict[str, Any]]:
    """The WHERE terms and parameters of the query's filters."""
    where: list[str] = list(query.extra_where)
    params: dict[str, Any] = dict(query.extra_params)
    for n, f in enumerate(query.filters):
        if f.column not in columns or f.op not in OPERATORS:
            raise ValueError(f"cannot filter on {f.column} {f.op}")
        name = f"f{n}"
        if f.op == "prefix":  # case-insensitive on both backends, wildcards escaped
            params[name] = _like_prefix(f.value)
            where.append(f"lower({f.column}) LIKE lower(:{name}) ESCAPE '\\'")
        else:
            params[name] = f.value
            where.append(f"{f.column} {OPERATORS[f.op]} :{name}")
    return where, params


def _select(
    table: str, sort_key: str, order: str, query: ListQuery, where: list[str], params: Params
) -> tuple[str, Params]:
    sql = f"SELECT {sort_key} AS sort_key, id, doc FROM {table}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sort = "DESC" if query.descending else "ASC"
    keys = f"id {sort}" if order == "id" else f"{order} {sort}, id {sort}"
    return f"{sql} ORDER BY {keys} LIMIT {int(query.limit) + 1}", params


def _after(order: str, descending: bool) -> list[str]:
    """Rows after the cursor's: one row-value comparison, a range of an (…, order, id) index."""
    direction = "<" if descending else ">"
    if order == "id":
        return [f"id {direction} :c_id"]
    return [f"({order}, id) {direction} (:c_sort, :c_id)"]
