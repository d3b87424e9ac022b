"""Which INSERTs go to PostgreSQL as one statement, and the rows they send."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from kefu.projections.bulk_rows import bulk_insert

PLAIN = "INSERT INTO facts (position, kind, n) VALUES (:position, :kind, :n)"
UPSERT = (
    "INSERT INTO docs (id, status, doc) VALUES (:id, :status, :doc) "
    "ON CONFLICT (id) DO UPDATE SET status = excluded.status, doc = excluded.doc"
)
KEEP_FIRST = "INSERT INTO flags (id, at) VALUES (:id, :at) ON CONFLICT (id) DO NOTHING"


def test_a_plain_insert_is_sent_as_one_statement_over_the_tables_row_type() -> None:
    bulk = bulk_insert(PLAIN)
    assert bulk is not None
    assert bulk.statement == (
        "INSERT INTO facts (position, kind, n) SELECT position, kind, n "
        "FROM jsonb_populate_recordset(NULL::facts, %s::jsonb)"
    )
    rows = [(1, "opened", 2), (2, "closed", None)]
    assert json.loads(bulk.rows_document(rows)) == [
        {"position": 1, "kind": "opened", "n": 2},
        {"position": 2, "kind": "closed", "n": None},
    ]


def test_rows_by_name_follow_the_parameters_not_the_columns_names() -> None:
    bulk = bulk_insert("INSERT INTO t (a, b) VALUES (:x, :y)")
    assert bulk is not None
    assert json.loads(bulk.rows_document([{"y": 2, "x": 1}])) == [{"a": 1, "b": 2}]


def test_an_upsert_of_one_key_twice_sends_the_last_row_as_rows_one_by_one_would_leave() -> None:
    bulk = bulk_insert(UPSERT)
    assert bulk is not None and bulk.statement.endswith(UPSERT[UPSERT.index("ON CONFLICT") :])
    rows = [
        {"id": "a", "status": "open", "doc": "1"},
        {"id": "b", "status": "open", "doc": "2"},
        {"id": "a", "status": "closed", "doc": "3"},
    ]
    assert json.loads(bulk.rows_document(rows)) == [
        {"id": "a", "status": "closed", "doc": "3"},
        {"id": "b", "status": "open", "doc": "2"},
    ]


def test_do_nothing_on_one_key_twice_sends_the_first_row() -> None:
    bulk = bulk_insert(KEEP_FIRST)
    assert bulk is not None
    rows = [("x", "09:00"), ("x", "10:00"), ("y", "11:00")]
    assert json.loads(bulk.rows_document(rows)) == [
        {"id": "x", "at": "09:00"},
        {"id": "y", "at": "11:00"},
    ]


@pytest.mark.parametrize("value", [True, float("nan"), datetime(2030, 1, 1, tzinfo=UTC), b"x"])
def test_rows_holding_other_values_than_text_numbers_and_null_keep_one_statement_per_row(
    value: object,
) -> None:
    bulk = bulk_insert(PLAIN)
    assert bulk is not None
    assert bulk.rows_document([(1, "opened", 2), (2, "closed", value)]) is None


@pytest.mark.parametrize(
    "statement",
    [
        # an update of some columns only: the last row is not what rows one by one leave
        "INSERT INTO t (id, a, b) VALUES (:id, :a, :b) "
        "ON CONFLICT (id) DO UPDATE SET a = excluded.a",
        "INSERT INTO t (id, a) VALUES (:id, :a) "
        "ON CONFLICT (id) DO UPDATE SET a = t.a + excluded.a",
        "INSERT INTO t (id, a) VALUES (:id, :a) ON CONFLICT (id) DO UPDATE SET a = excluded.a "
        "WHERE t.a < excluded.a",
        "INSERT INTO t (id, a) VALUES (:id, :a) ON CONFLICT DO NOTHING",  # which key?
        "INSERT INTO t (id, a, n) VALUES (:id, :a, 0)",  # a literal among the values
        "INSERT INTO t VALUES (:id, :a)",  # no column list
        "UPDATE t SET a = :a WHERE id = :id",
    ],
)
def test_other_statements_keep_one_statement_per_row(statement: str) -> None:
    assert bulk_insert(statement) is None
