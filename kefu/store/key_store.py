"""The key store: one data key per record that holds personal data, kept apart from the events.

Each row is a data key wrapped by the master key (`kefu/store/personal_crypto.py`), named by
its own id (the id a sealed event names), for one record (a customer file, a ticket, a call,
...). Destroying a record's keys blanks their wrapped bytes (the row stays, saying when), so
every event sealed with them decodes as erased from then on: crypto-shredding. The links
table says which records belong to which data subject (a customer file's id), as the events
that name the customer were written: erasure destroys the keys of the customer file and of
every record linked to it.

`KeyStore` is what the mapper and the erasure need; `SqlKeyStore` keeps the tables in the
event store's database (by default), and an external KMS would implement the same Protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import msgspec


class StoredKey(msgspec.Struct, frozen=True):
    """A data key as stored: wrapped by the master key named `master_id`; `wrapped` is None
    once the key was destroyed."""

    key_id: UUID
    record_id: UUID
    wrapped: bytes | None
    master_id: str


class KeyStore(Protocol):
    """Where wrapped data keys and subject links live."""

    def current_key(self, record_id: UUID) -> StoredKey | None:
        """The newest key of a record that is not destroyed, if any."""

    def find_keys(self, key_ids: Sequence[UUID]) -> list[StoredKey]:
        """The keys of these ids that exist (destroyed ones with `wrapped` None)."""

    def add_key(self, key: StoredKey, at: datetime) -> None: ...

    def link(self, subject: str, record_id: UUID) -> None:
        """Records that `record_id` holds personal data of `subject` (a customer file id)."""

    def linked(self, subject: str) -> list[UUID]: ...

    def destroy(self, record_ids: Sequence[UUID], at: datetime) -> int:
        """Destroys every key of these records; answers how many keys were live."""

    def live_keys(self) -> list[StoredKey]: ...

    def rewrap(self, keys: Iterable[StoredKey]) -> None:
        """Stores these keys' new wrapped bytes and master ids (master-key rotation)."""


@dataclass(frozen=True)
class KeyRows:
    """New data keys and subject links not stored yet. With a recorder that carries them
    (`DataKeys(..., carried=True)`), they are written in the transaction of the next batch of
    events, so an event sealed with a key commits with its key, never without it, and a new
    record costs no commit of its own."""

    keys: tuple[tuple[StoredKey, datetime], ...] = ()
    links: tuple[tuple[str, UUID], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.keys or self.links)

    def key_rows(self, stream_key: Callable[[UUID], object]) -> list[tuple[Any, ...]]:
        """Rows of `personal_keys` (key_id, record_id, wrapped, master_id, created_at)."""
        return [key_row(key, at, stream_key) for key, at in self.keys]

    def link_rows(self, stream_key: Callable[[UUID], object]) -> list[tuple[Any, ...]]:
        """Rows of `personal_links` (subject, record_id)."""
        return [(subject, stream_key(record_id)) for subject, record_id in self.links]


class PendingKeyRows(Protocol):
    """Where a recorder takes the key rows to write with a batch, and says they are stored."""

    def pending(self) -> KeyRows: ...

    def written(self, rows: KeyRows) -> None: ...


def key_row(key: StoredKey, at: datetime, stream_key: Callable[[UUID], object]) -> tuple[Any, ...]:
    return (stream_key(key.key_id), stream_key(key.record_id), key.wrapped, key.master_id,
            at.isoformat())  # fmt: skip


class Statements(Protocol):
    """The recorder's SQL access (`?` placeholders on both backends)."""

    def fetch(self, statement: str, params: Sequence[Any]) -> list[dict[str, Any]]: ...

    def write(self, statement: str, rows: Sequence[Sequence[Any]]) -> int: ...

    def stream_key(self, stream: UUID) -> object: ...


def key_tables_ddl(binary: str, uuid: str, schema: str = "") -> tuple[str, ...]:
    """The key store's tables; `binary` and `uuid` are the backend's column types."""
    return (
        f"CREATE TABLE IF NOT EXISTS {schema}personal_keys ("
        f"key_id {uuid} PRIMARY KEY, record_id {uuid} NOT NULL, wrapped {binary}, "
        "master_id TEXT NOT NULL, created_at TEXT NOT NULL, destroyed_at TEXT)",
        "CREATE INDEX IF NOT EXISTS personal_keys_record "
        f"ON {schema}personal_keys (record_id, created_at)",
        f"CREATE TABLE IF NOT EXISTS {schema}personal_links ("
        f"subject TEXT NOT NULL, record_id {uuid} NOT NULL, PRIMARY KEY (subject, record_id))",
    )


_CHUNK = 500  # key ids named in one statement


class SqlKeyStore:
    """The key store in the event store's database, through the recorder's connections."""

    def __init__(self, statements: Statements) -> None:
        self._sql = statements

    def current_key(self, record_id: UUID) -> StoredKey | None:
        rows = self._sql.fetch(
            "SELECT * FROM personal_keys WHERE record_id = ? AND wrapped IS NOT NULL "
            "ORDER BY created_at DESC LIMIT 1",
            (self._sql.stream_key(record_id),),
        )
        return _key(rows[0]) if rows else None

    def find_keys(self, key_ids: Sequence[UUID]) -> list[StoredKey]:
        found: list[StoredKey] = []
        for start in range(0, len(key_ids), _CHUNK):
            chunk = [self._sql.stream_key(k) for k in key_ids[start : start + _CHUNK]]
            marks = ", ".join("?" * len(chunk))
            rows = self._sql.fetch(f"SELECT * FROM personal_keys WHERE key_id IN ({marks})", chunk)
            found.extend(_key(row) for row in rows)
        return found

    def add_key(self, key: StoredKey, at: datetime) -> None:
        self._sql.write(
            "INSERT INTO personal_keys (key_id, record_id, wrapped, master_id, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [key_row(key, at, self._sql.stream_key)],
        )

    def link(self, subject: str, record_id: UUID) -> None:
        self._sql.write(
            "INSERT INTO personal_links (subject, record_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(subject, self._sql.stream_key(record_id))],
        )

    def linked(self, subject: str) -> list[UUID]:
        rows = self._sql.fetch(
            "SELECT record_id FROM personal_links WHERE subject = ? ORDER BY record_id",
            (subject,),
        )
        return [_uuid(row["record_id"]) for row in rows]

    def destroy(self, record_ids: Sequence[UUID], at: datetime) -> int:
        return self._sql.write(
            "UPDATE personal_keys SET wrapped = NULL, destroyed_at = ? "
            "WHERE record_id = ? AND wrapped IS NOT NULL",
            [(at.isoformat(), self._sql.stream_key(r)) for r in record_ids],
        )

    def live_keys(self) -> list[StoredKey]:
        rows = self._sql.fetch("SELECT * FROM personal_keys WHERE wrapped IS NOT NULL", ())
        return [_key(row) for row in rows]

    def rewrap(self, keys: Iterable[StoredKey]) -> None:
        self._sql.write(
            "UPDATE personal_keys SET wrapped = ?, master_id = ? "
            "WHERE key_id = ? AND wrapped IS NOT NULL",
            [(k.wrapped, k.master_id, self._sql.stream_key(k.key_id)) for k in keys],
        )


def _uuid(value: object) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _key(row: dict[str, Any]) -> StoredKey:
    wrapped = row["wrapped"]
    return StoredKey(
        key_id=_uuid(row["key_id"]),
        record_id=_uuid(row["record_id"]),
        wrapped=None if wrapped is None else bytes(wrapped),
        master_id=row["master_id"],
    )
