"""One batch of writes in one PostgreSQL transaction, in two round trips.

1. In one pipeline: BEGIN, lock the events table (EXCLUSIVE, as eventsourcing does for every
   insert: positions are then drawn in commit order, so a follower never skips a lower
   position committed later), and one SELECT that reads what the writes touch (stored events
   at their versions, the previous stream hashes, answered idempotency keys, tracking
   positions, the log head) and draws a position for every event of the batch from the events
   table's own sequence;
2. the checks run here, on that state, while the lock is held;
3. in one pipeline: one INSERT (data-modifying CTEs) that writes the accepted writes'
   idempotency records, events, chain links (and the first key marker of a new store), the
   personal data keys and subject links made since the last batch, and NOTIFYs once
   (tracking rows, for process managers, ride in the same pipeline), then COMMIT.
The lock is held for one batch, not one command: that is where the throughput comes from. A
pipeline sends its statements without waiting for each answer, so the lock is held for two
waits on the server plus the commit's flush, whatever the number of statements.
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec
import psycopg
from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.postgres import PostgresDatastore
from psycopg import Connection, Cursor
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier, Literal

from kefu.store.batch_plan import BatchPlan, StoreState, answer_key, event_key, plan_batch
from kefu.store.batching import BatchingRecorder
from kefu.store.chain import ChainLink, chain_links
from kefu.store.chain_keys import Keyring, batch_key
from kefu.store.group_commit import Write
from kefu.store.idempotency import IdempotencyRecord, StoredAnswer
from kefu.store.key_store import KeyRows

# Rows go to the server as one JSON document per table (UUIDs as text, bytes in base64), read
# back by `_rows`: msgspec encodes a batch's rows in microseconds, where psycopg took about
# 10 µs to dump each column as an array, 36 of them per batch, under the lock. As jsonb: the
# server parses it once (`->>` on json parses each row again for every field: 10x slower).
_ROWS = msgspec.json.Encoder()


def _rows(types: str) -> str:
    """A SELECT of the rows of one JSON document parameter, with these column types."""
    columns = [
        f"decode(r->>{n}, 'base64')" if kind == "bytea" else f"(r->>{n})::{kind}"
        for n, kind in enumerate(types.split())
    ]
    return f"SELECT {', '.join(columns)} FROM jsonb_array_elements(%s::jsonb) AS r"


def _at_versions(columns: str, table: str, version: str) -> str:
    """The rows of `table` at `version` (of each pair: `w.id`, `w.v`), one index probe each.

    A LATERAL subquery with LIMIT 1 cannot be turned into a join: each pair is looked up on its
    own, through the table's unique index. A join, planned while a young table's statistics
    lagged (and kept so as a prepared generic plan), scanned the whole table at every batch,
    under the lock, at a cost growing with the history.
    """
    return (
        f"FROM pairs AS w(id, v) CROSS JOIN LATERAL (SELECT {columns} FROM {table} t "
        f"WHERE t.originator_id = w.id AND t.originator_version = {version} LIMIT 1) t"
    )


_READ = (
    f"WITH pairs AS ({_rows('uuid bigint')}), keys AS ({_rows('text text')}) "
    "SELECT (SELECT coalesce(json_agg(json_build_array(w.id, w.v)), '[]') "
    f"{_at_versions('1', '{schema}.{events}', 'w.v')}) AS stored, "
    "(SELECT coalesce(json_agg(json_build_array(w.id, w.v - 1, encode(t.stream_hash, 'hex'))), "
    f"'[]') {_at_versions('t.stream_hash', '{schema}.event_chain', 'w.v - 1')}) AS hashes, "
    "(SELECT coalesce(json_agg(json_build_array(w.scope, w.key, k.fingerprint, k.status_code, "
    "encode(k.body, 'hex'), k.notification_id)), '[]') "
    "FROM keys AS w(scope, key) CROSS JOIN LATERAL "
    "(SELECT k.fingerprint, k.status_code, k.body, e.notification_id "
    "FROM {schema}.idempotency_keys k JOIN {schema}.{events} e "
    "ON e.originator_id = k.originator_id AND e.originator_version = k.originator_version "
    "WHERE k.scope = w.scope AND k.key = w.key LIMIT 1) k) AS answers, "
    # max() alone per name is read from the end of the primary key; grouped, it read every
    # tracking row of the names.
    "(SELECT coalesce(json_agg(json_build_array(w.name, m.last)), '[]') "
    "FROM unnest(%b::text[]) AS w(name) CROSS JOIN LATERAL (SELECT max(notification_id) AS last "
    "FROM {schema}.{tracking} WHERE application_name = w.name) m WHERE m.last IS NOT NULL) "
    "AS tracked, "
    "(SELECT log_hash FROM {schema}.event_chain ORDER BY position DESC LIMIT 1) AS head, "
    "(SELECT key_id FROM {schema}.chain_keys ORDER BY from_position DESC LIMIT 1) AS key_id, "
    "ARRAY(SELECT nextval({sequence}::regclass) FROM generate_series(1, %b)) AS positions"
)
_WRITE = (
    "WITH answers AS (INSERT INTO {schema}.idempotency_keys "
    f"{_rows('text text text integer bytea uuid bigint')}), "
    "events AS (INSERT INTO {schema}.{events} "
    "(originator_id, originator_version, topic, state, notification_id) "
    f"{_rows('uuid bigint text bytea bigint')}), "
    "links AS (INSERT INTO {schema}.event_chain "
    f"{_rows('bigint uuid bigint bytea bytea text')}), "
    f"markers AS (INSERT INTO {{schema}}.chain_keys {_rows('bigint text bytea')}), "
    "data_keys AS (INSERT INTO {schema}.personal_keys "
    f"(key_id, record_id, wrapped, master_id, created_at) {_rows('uuid uuid bytea text text')} "
    "ON CONFLICT DO NOTHING), "
    f"subjects AS (INSERT INTO {{schema}}.personal_links {_rows('text uuid')} "
    "ON CONFLICT DO NOTHING) "
    "SELECT pg_notify({channel}, '') WHERE %b"
)


class PostgresBatchCommit(BatchingRecorder):
    """The PostgreSQL side of group commit (mixed into kefu's PostgreSQL recorder)."""

    datastore: PostgresDatastore
    events_table_name: str
    channel_name: str
    lock_table_statements: list[Any]
    keyring: Keyring
    if TYPE_CHECKING:  # provided by eventsourcing's PostgreSQL recorders

        def _insert_tracking(self, curs: Cursor[DictRow], tracking: Tracking) -> None: ...

        tracking_table_name: str

    def _prepare_batch_statements(self) -> None:
        schema, table = self.datastore.schema, self.events_table_name
        names = {
            "schema": Identifier(schema),
            "events": Identifier(table),
            "tracking": Identifier(self.tracking_table_name),
            "sequence": Literal(f'"{schema}"."{table}_notification_id_seq"'),
            "channel": Literal(self.channel_name),
        }
        # Rendered once: psycopg would compose them again at every execution.
        self._begin = [
            "BEGIN",
            *(SQL("{0}").format(lock).as_string() for lock in self.lock_table_statements),
        ]
        self._read = SQL(_READ).format(**names).as_string()
        self._write = SQL(_WRITE).format(**names).as_string()

    def _commit_once(self, writes: list[Write], key_rows: KeyRows) -> tuple[BatchPlan, list[int]]:
        with self.datastore.get_connection() as conn:
            try:
                with conn.pipeline():
                    for statement in self._begin:
                        conn.execute(statement)
                    state, free = self._read_state(conn, writes)
                plan = plan_batch(writes, state)
                with conn.pipeline():
                    positions = self._write_accepted(conn, plan.accepted, state, free, key_rows)
                    conn.execute("COMMIT")
            except BaseException:
                # A connection that broke mid-batch cannot roll back: it is discarded anyway.
                with suppress(psycopg.Error):
                    if conn.info.transaction_status != TransactionStatus.IDLE:
                        conn.execute("ROLLBACK")
                raise
        return plan, positions

    def _read_state(
        self, conn: Connection[DictRow], writes: list[Write]
    ) -> tuple[StoreState, list[int]]:
        """What the writes touch, and a position for every event of the batch (drawn under
        the lock, so in commit order; a refused write's positions stay unused, a gap such as
        a rolled-back insert leaves)."""
        events = [event for write in writes for event in write.events]
        pairs = [(event.originator_id, event.originator_version) for event in events]
        keys = [key for write in writes if (key := answer_key(write)) is not None]
        names = [w.tracking.application_name for w in writes if w.tracking is not None]
        params = (_json(pairs), _json(keys), names, len(events))
        row = conn.execute(self._read, params, prepare=True).fetchone()
        assert row is not None
        state = StoreState(
            existing={event_key(UUID(i), v) for i, v in row["stored"]},
            stream_hashes={event_key(UUID(i), v): bytes.fromhex(h) for i, v, h in row["hashes"]},
            answers={(a[0], a[1]): _answer(a) for a in row["answers"]},
            tracked={name: last for name, last in row["tracked"]},
        )
        if row["head"] is not None:
            state.log_head, state.chain_empty = bytes(row["head"]), False
        state.key_id = row["key_id"]
        return state, sorted(row["positions"])

    def _write_accepted(
        self,
        conn: Connection[DictRow],
        accepted: list[Write],
        state: StoreState,
        free: list[int],
        key_rows: KeyRows,
    ) -> list[int]:
        for write in accepted:
            if write.tracking is not None:
                self._insert_tracking(conn.cursor(), write.tracking)
        records = [w.idempotency for w in accepted if w.idempotency is not None]
        events = [event for write in accepted for event in write.events]
        if not records and not events and not key_rows:
            return []
        positions = free[: len(events)]
        key = batch_key(self.keyring, state.key_id, state.chain_empty, min(positions, default=None))
        links = chain_links(
            events, positions, state.previous_stream_hash, state.log_head, key.secret
        )
        markers = [] if key.new_segment is None else [key.new_segment]
        params = (
            _json([_answer_row(r) for r in records]),
            _json([_event_row(e, p) for e, p in zip(events, positions, strict=True)]),
            _json([_link_row(k) for k in links]),
            _json([(m.from_position, m.key_id, m.seal) for m in markers]),
            _json(key_rows.key_rows(_same)),
            _json(key_rows.link_rows(_same)),
            bool(events),
        )
        conn.execute(self._write, params, prepare=True)
        return positions


def _json(rows: list[Any]) -> str:
    """Rows as the JSON document `_rows` reads (an array of arrays)."""
    return _ROWS.encode(rows).decode()


def _same(record_id: UUID) -> UUID:
    return record_id


def _event_row(e: StoredEvent, position: int) -> tuple[Any, ...]:
    return (e.originator_id, e.originator_version, e.topic, e.state, position)


def _answer_row(r: IdempotencyRecord) -> tuple[Any, ...]:
    return (r.scope, r.key, r.fingerprint, r.status_code, r.body, r.originator_id,
            r.originator_version)  # fmt: skip


def _link_row(k: ChainLink) -> tuple[Any, ...]:
    return (k.position, UUID(k.originator_id), k.originator_version, k.stream_hash, k.log_hash,
            k.occurred_at)  # fmt: skip


def _answer(values: list[Any]) -> StoredAnswer:
    _, _, fingerprint, status_code, body, position = values
    return StoredAnswer(fingerprint, status_code, bytes.fromhex(body), position)
