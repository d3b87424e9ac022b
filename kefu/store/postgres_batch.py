"""One batch of writes in one PostgreSQL transaction, in two pipelined round trips.

1. lock the events table (EXCLUSIVE, as eventsourcing does for every insert: positions are
   then drawn in commit order, so a follower never skips a lower position committed later),
   read what the writes touch (stored events at their versions, the previous stream hashes,
   answered idempotency keys, tracking positions, the log head) and draw a position for every
   event of the batch from the events table's own sequence;
2. insert the accepted writes' tracking rows, idempotency records, events (with the drawn
   positions) and chain links, NOTIFY once, and COMMIT.
The lock is held for one batch, not one command: that is where the throughput comes from.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.postgres import PgStoredEvent, PostgresDatastore
from psycopg import Connection, Cursor
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from kefu.store.batch_plan import BatchPlan, StoreState, answer_key, event_key, plan_batch
from kefu.store.batching import BatchingRecorder
from kefu.store.chain import ChainLink, chain_links
from kefu.store.group_commit import Write
from kefu.store.idempotency import IdempotencyRecord, StoredAnswer


class PostgresBatchCommit(BatchingRecorder):
    """The PostgreSQL side of group commit (mixed into kefu's PostgreSQL recorder)."""

    datastore: PostgresDatastore
    events_table_name: str
    insert_events_statement: Composed
    if TYPE_CHECKING:  # provided by eventsourcing's PostgreSQL recorders

        def _lock_table(self, curs: Cursor[DictRow]) -> None: ...
        def _notify_channel(self, curs: Cursor[DictRow]) -> None: ...
        def _insert_tracking(self, curs: Cursor[DictRow], tracking: Tracking) -> None: ...
        def construct_pg_stored_event(
            self, originator_id: Any, originator_version: int, topic: str, state: bytes
        ) -> PgStoredEvent: ...

        tracking_table_name: str

    def _prepare_batch_statements(self) -> None:
        def sql(statement: str) -> Composed:
            return SQL(statement).format(
                schema=Identifier(self.datastore.schema),
                events=Identifier(self.events_table_name),
                tracking=Identifier(self.tracking_table_name),
                sequence=f'"{self.datastore.schema}"."{self.events_table_name}_notification_id_seq"',
            )

        # Arrays go in binary (%b): text arrays would be escaped value by value.
        pairs = "JOIN unnest(%b::uuid[], %b::bigint[]) AS w(id, v) "
        pairs += "ON t.originator_id = w.id AND t.originator_version = w.v"
        self._select_stored = sql(
            "SELECT t.originator_id, t.originator_version FROM {schema}.{events} t " + pairs
        )
        self._select_hashes = sql(
            "SELECT t.originator_id, t.originator_version, t.stream_hash "
            "FROM {schema}.event_chain t " + pairs
        )
        self._select_answers = sql(
            "SELECT k.scope, k.key, k.fingerprint, k.status_code, k.body, "
            "e.notification_id AS position FROM {schema}.idempotency_keys k "
            "JOIN unnest(%b::text[], %b::text[]) AS w(scope, key) "
            "ON k.scope = w.scope AND k.key = w.key JOIN {schema}.{events} e "
            "ON e.originator_id = k.originator_id AND e.originator_version = k.originator_version"
        )
        self._select_tracked = sql(
            "SELECT application_name, max(notification_id) AS last "
            "FROM {schema}.{tracking} WHERE application_name = ANY(%b) "
            "GROUP BY application_name"
        )
        self._select_head = sql(
            "SELECT log_hash FROM {schema}.event_chain ORDER BY position DESC LIMIT 1"
        )
        self._next_positions = sql(
            "SELECT nextval({sequence}::regclass) AS position FROM generate_series(1, %b)"
        )
        # One statement per table, rows as arrays: executemany would sync the pipeline.
        self._insert_batch_events = sql(
            "INSERT INTO {schema}.{events} "
            "(originator_id, originator_version, topic, state, notification_id) "
            "SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[], %b::bigint[])"
        )
        self._insert_answers = sql(
            "INSERT INTO {schema}.idempotency_keys SELECT * FROM unnest(%b::text[], "
            "%b::text[], %b::text[], %b::integer[], %b::bytea[], %b::uuid[], %b::bigint[])"
        )
        self._insert_links = sql(
            "INSERT INTO {schema}.event_chain SELECT * FROM unnest(%b::bigint[], %b::uuid[], "
            "%b::bigint[], %b::bytea[], %b::bytea[], %b::text[])"
        )

    def _commit_once(self, writes: list[Write]) -> tuple[BatchPlan, list[int]]:
        # BEGIN and COMMIT as plain statements: psycopg's transaction() block would sync the
        # pipeline on entry and on exit, two more round trips.
        with self.datastore.get_connection() as conn:
            try:
                with conn.pipeline() as pipeline:
                    conn.execute("BEGIN")
                    with conn.cursor() as curs:
                        self._lock_table(curs)
                    state, free = self._read_state(conn, writes)
                    plan = plan_batch(writes, state)
                    positions = self._write_accepted(conn, plan.accepted, state, free)
                    conn.execute("COMMIT")
                    pipeline.sync()
            except BaseException:
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")
                raise
        return plan, positions

    def _read_state(
        self, conn: Connection[DictRow], writes: list[Write]
    ) -> tuple[StoreState, list[int]]:
        """Round trip 1, under the lock: what the writes touch, and a position for every
        event of the batch (drawn under the lock, so in commit order; a refused write's
        positions stay unused, a gap as a rolled-back insert leaves one)."""
        events = [event for write in writes for event in write.events]
        ids = [event.originator_id for event in events]
        versions = [event.originator_version for event in events]
        stored = conn.execute(self._select_stored, (ids, versions), prepare=True)
        hashes = conn.execute(self._select_hashes, (ids, [v - 1 for v in versions]), prepare=True)
        keys = [key for write in writes if (key := answer_key(write)) is not None]
        answers = keys and conn.execute(
            self._select_answers, ([k[0] for k in keys], [k[1] for k in keys]), prepare=True
        )
        names = [w.tracking.application_name for w in writes if w.tracking is not None]
        tracked = names and conn.execute(self._select_tracked, (names,), prepare=True)
        head = conn.execute(self._select_head, prepare=True)
        free = conn.execute(self._next_positions, (len(events),), prepare=True)
        state = StoreState()
        state.existing = {event_key(r["originator_id"], r["originator_version"]) for r in stored}
        for link in hashes:
            previous = event_key(link["originator_id"], link["originator_version"])
            state.stream_hashes[previous] = bytes(link["stream_hash"])
        state.answers = {(r["scope"], r["key"]): _answer(r) for r in answers or ()}
        state.tracked = {row["application_name"]: row["last"] for row in tracked or ()}
        if (last := head.fetchone()) is not None:
            state.log_head = bytes(last["log_hash"])
        return state, sorted(row["position"] for row in free)

    def _write_accepted(
        self, conn: Connection[DictRow], accepted: list[Write], state: StoreState, free: list[int]
    ) -> list[int]:
        """Round trip 2: every row of the accepted writes, then COMMIT (on leaving)."""
        for write in accepted:
            if write.tracking is not None:
                self._insert_tracking(conn.cursor(), write.tracking)
        records = [w.idempotency for w in accepted if w.idempotency is not None]
        if records:
            conn.execute(self._insert_answers, _columns(_answer_row(r) for r in records))
        events = [event for write in accepted for event in write.events]
        if not events:
            return []
        positions = free[: len(events)]
        with conn.cursor() as curs:
            self._notify_channel(curs)
        conn.execute(
            self._insert_batch_events,
            _columns(_event_row(e, p) for e, p in zip(events, positions, strict=True)),
            prepare=True,
        )
        links = chain_links(events, positions, state.previous_stream_hash, state.log_head)
        conn.execute(self._insert_links, _columns(_link_row(k) for k in links), prepare=True)
        return positions


def _columns(rows: Iterable[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as one list per column: the parameters of an INSERT ... SELECT FROM unnest."""
    return [list(column) for column in zip(*rows, strict=True)]


def _event_row(e: StoredEvent, position: int) -> tuple[Any, ...]:
    return (e.originator_id, e.originator_version, e.topic, e.state, position)


def _answer_row(r: IdempotencyRecord) -> tuple[Any, ...]:
    return (r.scope, r.key, r.fingerprint, r.status_code, r.body, r.originator_id,
            r.originator_version)  # fmt: skip


def _link_row(k: ChainLink) -> tuple[Any, ...]:
    return (k.position, UUID(k.originator_id), k.originator_version, k.stream_hash, k.log_hash,
            k.occurred_at)  # fmt: skip


def _answer(row: dict[str, Any]) -> StoredAnswer:
    return StoredAnswer(row["fingerprint"], row["status_code"], bytes(row["body"]), row["position"])
