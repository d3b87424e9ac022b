"""Rows written together (one statement on PostgreSQL, bulk_rows.py) leave the state that the
same rows written one by one leave (SQLite's executemany), on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kefu.projections.sql import OwnTables, SqlView

UPSERT = (
    "INSERT INTO bulk_docs (id, status, n) VALUES (:id, :status, :n) "
    "ON CONFLICT (id) DO UPDATE SET status = excluded.status, n = excluded.n"
)
FIRST_WINS = "INSERT INTO bulk_flags (id, note) VALUES (:id, :note) ON CONFLICT (id) DO NOTHING"
PLAIN = "INSERT INTO bulk_log (position, note, score) VALUES (:position, :note, :score)"


class BulkTables(SqlView):
    ddl = (
        "CREATE TABLE IF NOT EXISTS bulk_docs (id TEXT PRIMARY KEY, status TEXT, n INTEGER)",
        "CREATE TABLE IF NOT EXISTS bulk_flags (id TEXT PRIMARY KEY, note TEXT)",
        "CREATE TABLE IF NOT EXISTS bulk_log (position BIGINT PRIMARY KEY, note TEXT, score REAL)",
    )


@pytest.fixture
def tables(database_url: str) -> Iterator[BulkTables]:
    own = OwnTables(database_url, "bulk", BulkTables)
    own.tables.create_table()
    yield own.tables
    own.close()


def test_rows_written_together_leave_what_rows_one_by_one_leave(tables: BulkTables) -> None:
    with tables.write() as tx:
        tx.executemany(UPSERT, [{"id": "a", "status": "old", "n": 0}])
        tx.executemany(FIRST_WINS, [{"id": "x", "note": "kept"}])
    with tables.write() as tx:
        tx.executemany(UPSERT, [
            {"id": "a", "status": "open", "n": 1},
            {"id": "b", "status": "open", "n": 2},
            {"id": "a", "status": "closed", "n": 3},
            {"id": "c", "status": "新", "n": None},
        ])  # fmt: skip
        tx.executemany_values(FIRST_WINS, [("x", "later"), ("y", "first"), ("y", "second")])
        tx.executemany_values(PLAIN, [(1, 'quote " and \\ slash', 0.5), (2, None, None)])
    docs = tables.query("SELECT id, status, n FROM bulk_docs ORDER BY id")
    assert [tuple(r.values()) for r in docs] == [
        ("a", "closed", 3), ("b", "open", 2), ("c", "新", None),
    ]  # fmt: skip
    flags = tables.query("SELECT id, note FROM bulk_flags ORDER BY id")
    assert [tuple(r.values()) for r in flags] == [("x", "kept"), ("y", "first")]
    log = tables.query("SELECT position, note, score FROM bulk_log ORDER BY position")
    assert [tuple(r.values()) for r in log] == [(1, 'quote " and \\ slash', 0.5), (2, None, None)]


def test_a_refused_row_among_rows_written_together_writes_none_of_them(
    tables: BulkTables,
) -> None:
    with tables.write() as tx:
        tx.executemany_values(PLAIN, [(1, "first", None)])
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), tables.write() as tx:
        tx.executemany_values(PLAIN, [(2, "new", None), (1, "again", None)])
    rows = tables.query("SELECT position, note FROM bulk_log ORDER BY position")
    assert [tuple(r.values()) for r in rows] == [(1, "first")]
