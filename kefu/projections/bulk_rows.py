"""Many rows of one INSERT as a single statement on PostgreSQL.

psycopg's `executemany` sends the statement once per row, with about 30 µs of client work each
(dumping, preparing, sending): most of what a catch-up cost on PostgreSQL, where a batch of
2,000 events writes some 5,000 rows. An INSERT of named values only, plain or with
`ON CONFLICT (key) DO NOTHING` or `ON CONFLICT (key) DO UPDATE SET` every other column from
`excluded`, is sent instead as one statement: its rows go as one jsonb array of objects that
the server unpacks with `jsonb_populate_recordset` into the table's own row type.

One statement cannot upsert a key twice (PostgreSQL refuses), where one statement per row
would: rows that share a key are therefore sent once, the last one for DO UPDATE and the first
one for DO NOTHING: the state the rows one after the other leave. Any other statement, and
rows holding a value other than text, a finite number or NULL (which JSON would carry as
another value or type than psycopg sends), keep `executemany`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from math import isfinite
from typing import Any

import msgspec

_INSERT = re.compile(
    r"INSERT INTO (?P<table>\w+) \((?P<columns>[\w, ]+)\)\s+VALUES \((?P<values>[:\w, ]+)\)"
    r"\s*(?P<conflict>ON CONFLICT \((?P<key>[\w, ]+)\) DO (?P<action>NOTHING|UPDATE SET .+))?",
    re.DOTALL,
)
_ASSIGNMENT = re.compile(r"(\w+) = excluded\.(\w+)")
_encoder = msgspec.json.Encoder()


@dataclass(frozen=True)
class BulkInsert:
    """How to send the rows of one INSERT statement together."""

    statement: str  # psycopg SQL with one parameter: the rows as a JSON array of objects
    columns: tuple[str, ...]  # the table's columns, in the order of the statement's values
    params: tuple[str, ...]  # the values' parameter names, in the same order
    key: tuple[int, ...]  # the conflict key (indexes into `columns`); empty: no conflict clause
    keep_last: bool  # rows sharing a key: the last one is kept (DO UPDATE), else the first

    def rows_document(self, rows: Iterable[Mapping[str, Any] | Sequence[Any]]) -> str | None:
        """The rows (mappings by parameter name, or values in the statement's order) as the
        statement's parameter; None when a value is not text, a finite number or NULL (those
        keep `executemany`, where psycopg gives each its own SQL type)."""
        objects = [self._object(row) for row in rows]
        kinds = {type(value) for obj in objects for value in obj.values()}
        if not all(map(_plain, kinds)) or not _finite(objects, kinds):
            return None
        if self.key:
            objects = self._one_per_key(objects)
        return _encoder.encode(objects).decode()

    def _object(self, row: Mapping[str, Any] | Sequence[Any]) -> dict[str, Any]:
        if isinstance(row, Mapping):
            return {c: row[p] for c, p in zip(self.columns, self.params, strict=True)}
        return dict(zip(self.columns, row, strict=True))

    def _one_per_key(self, objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
        names = [self.columns[k] for k in self.key]
        kept: dict[tuple[Any, ...], dict[str, Any]] = {}
        for obj in objects:
            key = tuple(obj[n] for n in names)
            if self.keep_last or key not in kept:
                kept[key] = obj
        return list(kept.values())


@lru_cache(maxsize=512)
def bulk_insert(statement: str) -> BulkInsert | None:
    """The single-statement form of `statement` (with `:name` parameters), or None when it is
    not an INSERT this module can send so."""
    match = _INSERT.fullmatch(statement.strip())
    if match is None:
        return None
    columns = _names(match["columns"])
    values = _names(match["values"])
    if len(values) != len(columns) or not all(v.startswith(":") for v in values):
        return None
    key: tuple[int, ...] = ()
    keep_last = False
    if match["conflict"]:
        key_columns = _names(match["key"])
        if not set(key_columns) <= set(columns):
            return None
        key = tuple(columns.index(c) for c in key_columns)
        keep_last = match["action"] != "NOTHING"
        if keep_last and not _updates_every_other_column(match["action"], columns, key_columns):
            return None
    listed = ", ".join(columns)
    sql = (
        f"INSERT INTO {match['table']} ({listed}) SELECT {listed} "
        f"FROM jsonb_populate_recordset(NULL::{match['table']}, %s::jsonb)"
    )
    if match["conflict"]:
        sql += " " + match["conflict"]
    return BulkInsert(sql, columns, tuple(v[1:] for v in values), key, keep_last)


def _plain(kind: type) -> bool:
    """Text, a number or NULL: JSON carries them as psycopg would send them (a bool or a time
    would arrive as another value or type)."""
    if issubclass(kind, bool):
        return False
    return kind is type(None) or issubclass(kind, str | int | float)


def _finite(objects: list[dict[str, Any]], kinds: set[type]) -> bool:
    """No NaN nor infinity among the values (JSON has none: they would arrive as NULL)."""
    if not any(issubclass(kind, float) for kind in kinds):
        return True
    return all(isfinite(v) for obj in objects for v in obj.values() if isinstance(v, float))


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(","))


def _updates_every_other_column(action: str, columns: Sequence[str], key: Sequence[str]) -> bool:
    """`UPDATE SET c = excluded.c, …` for every column but the key's, and nothing else: only
    then is the last of several rows with one key the state they leave one after the other."""
    assignments = [a.strip() for a in action.removeprefix("UPDATE SET ").split(",")]
    updated = []
    for assignment in assignments:
        match = _ASSIGNMENT.fullmatch(assignment)
        if match is None or match[1] != match[2]:
            return False
        updated.append(match[1])
    return sorted(updated) == sorted(c for c in columns if c not in key)
