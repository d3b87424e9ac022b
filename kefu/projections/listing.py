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
        if f.op == "prefix":  # case-insensitive on both backends, wildcards escaped
            params[name] = _like_prefix(f.value)
            where.append(f"lower({f.column}) LIKE lower(:{name}) ESCAPE '\\'")
        else:
            params[name] = f.value
            where.append(f"{f.column} {OPERATORS[f.op]} :{name}")
    order = query.order_by
    if order not in (*columns, "position", "id"):
        raise ValueError(f"cannot sort on {order}")
    if query.cursor is not None:
        where.append(_after_cursor(order, query, params))
    sql = f"SELECT {order} AS sort_key, id, doc FROM {table}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sort = "DESC" if query.descending else "ASC"
    # NULL sort values come last on both backends (they disagree by default).
    sql += f" ORDER BY ({order} IS NULL), {order} {sort}, id {sort} LIMIT {int(query.limit) + 1}"
    return sql, params


def _after_cursor(order: str, query: ListQuery, params: dict[str, Any]) -> str:
    """Rows after the cursor's row in the (NULLs last) order."""
    assert query.cursor is not None
    sort_value, params["c_id"] = decode_cursor(query.cursor)
    direction = "<" if query.descending else ">"
    if sort_value is None:
        return f"({order} IS NULL AND id {direction} :c_id)"
    params["c_sort"] = sort_value
    return (
        f"({order} IS NULL OR {order} {direction} :c_sort "
        f"OR ({order} = :c_sort AND id {direction} :c_id))"
    )
