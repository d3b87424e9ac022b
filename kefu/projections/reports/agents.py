"""Agent performance (人工坐席): calls handled, talk and wrap-up, presence, tickets, ratings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu.projections.reports.query import Cells, Key, Report, ReportQuery, mean
from kefu.projections.reports.registry import ReportViews
from kefu.projections.sql import db_time, from_db_time

GROUPS = ("agent",)
PRESENCE = {"available": "available_seconds", "on_break": "break_seconds"}
COLUMNS = (
    "calls_handled", "talk_seconds", "wrap_up_seconds", "logged_in_seconds",
    "available_seconds", "break_seconds", "tickets_resolved", "ratings", "average_rating",
)  # fmt: skip

# Presence spells overlapping [start, end): one SELECT for those that ended after the start and
# one for those still running, each a range of the (ended_at, started_at) index, so the cost
# follows the range, not the length of the history.
_STATES = "SELECT agent_id, status, started_at, ended_at FROM report_agent_states"
_STATES_OVERLAPPING = (
    f"{_STATES} WHERE ended_at > :start AND started_at < :end UNION ALL "
    f"{_STATES} WHERE ended_at IS NULL AND started_at < :end"
)


def agents_report(views: ReportViews, q: ReportQuery) -> Report:
    cells = Cells(q, (*COLUMNS, "rating_total"))
    segments = views.calls.query(
        f"SELECT s.{q.period_column} AS period, s.agent_id AS grp, COUNT(*) AS n, "
        "SUM(s.talk_seconds) AS talk, SUM(s.wrap_seconds) AS wrap FROM report_call_segments s "
        "WHERE s.wrap_ended_at IS NOT NULL AND s.occurred_at >= :start AND s.occurred_at < :end "
        f"GROUP BY s.{q.period_column}, s.agent_id",
        q.window(),
    )
    for row in segments:
        key = (row["period"], row["grp"])
        cells.add(key, "calls_handled", row["n"])
        cells.add(key, "talk_seconds", row["talk"])
        cells.add(key, "wrap_up_seconds", row["wrap"])
    tickets = views.tickets.query(
        f"SELECT f.{q.period_column} AS period, f.agent_id AS grp, f.kind, COUNT(*) AS n, "
        "SUM(COALESCE(f.score, 0)) AS total FROM report_ticket_facts f "
        "WHERE f.kind IN ('resolved', 'rated') AND f.agent_id IS NOT NULL "
        "AND f.occurred_at >= :start AND f.occurred_at < :end "
        f"GROUP BY f.{q.period_column}, f.agent_id, f.kind",
        q.window(),
    )
    for row in tickets:
        key = (row["period"], row["grp"])
        if row["kind"] == "resolved":
            cells.add(key, "tickets_resolved", row["n"])
        else:
            cells.add(key, "ratings", row["n"])
            cells.add(key, "rating_total", row["total"])
    _presence(views, q, cells)
    return cells.report(COLUMNS, _derived)


def _presence(views: ReportViews, q: ReportQuery, cells: Cells) -> None:
    """Seconds in each state within each period; a spell still running counts up to now."""
    until = min(q.end, q.now)
    spells = views.calls.query(
        _STATES_OVERLAPPING, {"start": db_time(q.start), "end": db_time(until)}
    )
    periods = q.buckets()
    for spell in spells:
        began = _time(spell["started_at"])
        ended = _time(spell["ended_at"]) if spell["ended_at"] else until
        for bucket in periods:
            low, high = max(began, bucket.start, q.start), min(ended, bucket.end, until)
            if high > low:
                seconds = (high - low).total_seconds()
                key = (bucket.label, spell["agent_id"])
                cells.add(key, "logged_in_seconds", seconds)
                if spell["status"] in PRESENCE:
                    cells.add(key, PRESENCE[spell["status"]], seconds)


def _time(text: str) -> datetime:
    moment = from_db_time(text)
    assert moment is not None
    return moment


def _derived(key: Key, cell: dict[str, Any]) -> dict[str, Any]:
    durations = {name: round(cell[name], 1) for name in COLUMNS if name.endswith("_seconds")}
    return durations | {"average_rating": mean(cell["rating_total"], cell["ratings"], 2)}
