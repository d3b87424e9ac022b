"""Pure helpers of the projection machinery: the names a view's DDL creates, status lines."""

from __future__ import annotations

from kefu.projections.read_models import Lag
from kefu.projections.sql import schema_names
from kefu.projections.status import format_lags


def test_schema_names_finds_the_tables_and_indexes_a_view_creates() -> None:
    ddl = (
        "CREATE TABLE IF NOT EXISTS calls (id TEXT PRIMARY KEY, at TEXT)",
        "CREATE INDEX IF NOT EXISTS calls_at ON calls (at)",
        "create unique index if not exists calls_key ON calls (id, at)",
        "CREATE TABLE IF NOT EXISTS call_keys (k TEXT)",
        "CREATE VIRTUAL TABLE IF NOT EXISTS call_words USING fts5(text)",
        "DROP TABLE IF EXISTS call_grams",
    )

    tables = ["calls", "call_keys", "call_words"]
    assert schema_names(ddl) == (tables, ["calls_at", "calls_key"])


def test_status_lines_show_position_events_behind_and_seconds_then_the_log_head() -> None:
    lags = [Lag("ticket_views", 90, 100, 10, 4.25), Lag("actor_events", 100, 100, 0)]

    lines = format_lags(lags)

    assert [line.split() for line in lines] == [
        ["projection", "position", "behind", "seconds"],
        ["ticket_views", "90", "10", "4.2"],
        ["actor_events", "100", "0", "0.0"],
        ["(log", "head)", "100"],
    ]
