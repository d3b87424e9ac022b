"""One batch of writes in one SQLite transaction.

`BEGIN IMMEDIATE` takes SQLite's single write lock before anything is read, which is what the
events table lock is on PostgreSQL: the checks and the chain head read under it cannot go stale
before COMMIT, and positions (rowids) are handed out in commit order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, OperationalError, Tracking
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore

from kefu.store.batch_plan import BatchPlan, StoreState, answer_key, event_key, plan_batch
from kefu.store.batching import BatchingRecorder
from kefu.store.chain import chain_links
from kefu.store.chain_keys import Keyring, batch_key
from kefu.store.group_commit import Write
from kefu.store.idempotency import StoredAnswer
from kefu.store.key_store import KeyRows


class SQLiteBatchCommit(BatchingRecorder):
    """The SQLite side of group commit (mixed into kefu's SQLite recorder)."""

    datastore: SQLiteDatastore
    events_table_name: str
    keyring: Keyring
    if TYPE_CHECKING:  # provided by eventsourcing's SQLite tracking recorder

        def _max_tracking_id(self, application_name: str, c: SQLiteCursor) -> int | None: ...
        def _insert_tracking(self, c: SQLiteCursor, tracking: Tracking) -> None: ...

    def _commit_once(self, writes: list[Write], key_rows: KeyRows) -> tuple[BatchPlan, list[int]]:
        with self.datastore.get_connection(commit=True) as conn, _mapped_errors():
            c = conn.cursor()
            c.execute("BEGIN IMMEDIATE")
            try:
                state = self._read_state(c, writes)
                plan = plan_batch(writes, state)
                positions = self._write_accepted(c, plan.accepted, state)
                _write_key_rows(c, key_rows)
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        return plan, positions

    def _read_state(self, c: SQLiteCursor, writes: list[Write]) -> StoreState:
        state = StoreState()
        for write in writes:
            for event in write.events:
                key = event_key(event.originator_id, event.originator_version)
                if self._row(c, f"SELECT 1 FROM {self.events_table_name} {_BY_KEY}", key):
                    state.existing.add(key)
                previous = (key[0], key[1] - 1)
                row = self._row(c, f"SELECT stream_hash FROM event_chain {_BY_KEY}", previous)
                if row is not None:
                    state.stream_hashes[previous] = bytes(row[0])
            self._read_answer_and_tracking(c, write, state)
        head = self._row(c, "SELECT log_hash FROM event_chain ORDER BY position DESC LIMIT 1", ())
        if head is not None:
            state.log_head, state.chain_empty = bytes(head[0]), False
        key = self._row(c, "SELECT key_id FROM chain_keys ORDER BY from_position DESC LIMIT 1", ())
        state.key_id = None if key is None else key[0]
        return state

    def _read_answer_and_tracking(self, c: SQLiteCursor, write: Write, state: StoreState) -> None:
        key = answer_key(write)
        if key is not None and (answer := self._answer_in(c, *key)) is not None:
            state.answers[key] = answer
        if write.tracking is not None:
            name = write.tracking.application_name
            last = self._max_tracking_id(name, c)
            if last is not None:
                state.tracked[name] = last

    def _write_accepted(
        self, c: SQLiteCursor, accepted: list[Write], state: StoreState
    ) -> list[int]:
        events = [event for write in accepted for event in write.events]
        positions = list(SQLiteApplicationRecorder._insert_events(self, c, events) or ())  # type: ignore[arg-type]
        for write in accepted:
            if (record := write.idempotency) is not None:
                c.execute(
                    "INSERT INTO idempotency_keys VALUES (?,?,?,?,?,?,?)",
                    (
                        record.scope,
                        record.key,
                        record.fingerprint,
                        record.status_code,
                        record.body,
                        record.originator_id.hex,
                        record.originator_version,
                    ),
                )
            if write.tracking is not None:
                self._insert_tracking(c, write.tracking)
        key = batch_key(self.keyring, state.key_id, state.chain_empty, min(positions, default=None))
        if key.new_segment is not None:
            segment = key.new_segment
            c.execute(
                "INSERT INTO chain_keys VALUES (?,?,?)",
                (segment.from_position, segment.key_id, segment.seal),
            )
        links = chain_links(
            events, positions, state.previous_stream_hash, state.log_head, key.secret
        )
        c.executemany(
            "INSERT INTO event_chain VALUES (?,?,?,?,?,?)",
            [
                (
                    k.position,
                    k.originator_id,
                    k.originator_version,
                    k.stream_hash,
                    k.log_hash,
                    k.occurred_at,
                )
                for k in links
            ],
        )
        return positions

    def _answer_in(self, c: SQLiteCursor, scope: str, key: str) -> StoredAnswer | None:
        row = self._row(
            c,
            "SELECT k.fingerprint, k.status_code, k.body, e.rowid AS position "
            f"FROM idempotency_keys k JOIN {self.events_table_name} e "
            "ON e.originator_id = k.originator_id "
            "AND e.originator_version = k.originator_version "
            "WHERE k.scope = ? AND k.key = ?",
            (scope, key),
        )
        return None if row is None else StoredAnswer(row[0], row[1], bytes(row[2]), row[3])

    @staticmethod
    def _row(c: SQLiteCursor, statement: str, params: tuple[Any, ...]) -> Any:
        c.execute(statement, params)
        return c.fetchone()


_BY_KEY = "WHERE originator_id = ? AND originator_version = ?"


@contextmanager
def _mapped_errors() -> Iterator[None]:
    try:
        yield
    except sqlite3.IntegrityError as error:
        raise IntegrityError(error) from error
    except sqlite3.OperationalError as error:
        raise OperationalError(error) from error


def _write_key_rows(c: SQLiteCursor, key_rows: KeyRows) -> None:
    c.executemany(
        "INSERT OR IGNORE INTO personal_keys (key_id, record_id, wrapped, master_id, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        key_rows.key_rows(_hex),
    )
    c.executemany(
        "INSERT OR IGNORE INTO personal_links (subject, record_id) VALUES (?, ?)",
        key_rows.link_rows(_hex),
    )


def _hex(record_id: UUID) -> str:
    return record_id.hex
