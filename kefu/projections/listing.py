"""Keyset-paginated lists over a document view: filters, a stable order, opaque cursors.

The cursor carries the last row's sort value and id, so a page boundary never moves when
new rows arrive (unlike OFFSET), as long as the sort column does not change after insert.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

OPERATORS = {"eq": "=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "prefix": "LIKE"}


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
    if not isinstance(row_id, str):
        raise BadCursor("the cursor is not one this list issued")
    return sort_value, row_id


def build_select(
    table: str, columns: Sequence[str], query: ListQuery
) -> tuple[str, dict[str, Any]]:
    """The SELECT for one page (one row more than the limit, to know if a next page exists)."""
    where: list[str] = list(query.extra_where)
    params: dict[str, Any] = dict(query.extra_params)
    for n, f in enumerate(query.filters):
        if f.column not in columns or f.op not in OPERATORS:
            raise ValueError(f"cannot filter on {f.column} {f.op}")
        name = f"f{n}"
        params[name] = f"{f.value}%" if f.op == "prefix" else f.value
        where.append(f"{f.column} {OPERATORS[f.op]} :{name}")
    order, direction = query.order_by, "<" if query.descending else ">"
    if order not in (*columns, "position", "id"):
        raise ValueError(f"cannot sort on {order}")
    if query.cursor is not None:
        params["c_sort"], params["c_id"] = decode_cursor(query.cursor)
        where.append(
            f"({order} {direction} :c_sort OR ({order} = :c_sort AND id {direction} :c_id))"
        )
    sql = f"SELECT {order} AS sort_key, id, doc FROM {table}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sort = "DESC" if query.descending else "ASC"
    sql += f" ORDER BY {order} {sort}, id {sort} LIMIT {int(query.limit) + 1}"
    return sql, params
