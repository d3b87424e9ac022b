"""Call traffic (话务): offered, answered, abandoned, service level, ASA and AHT, inbound only."""

from __future__ import annotations

from typing import Any

from kefu.projections.reports.query import Cells, Key, Report, ReportQuery, grouped, mean, pct
from kefu.projections.reports.registry import ReportViews

CALL_GROUPS = {"queue": "c.queue", "agent": "c.agent_id", "hour": "c.b_hour"}
SEGMENT_GROUPS = {"queue": "s.queue", "agent": "s.agent_id", "hour": "s.b_hour"}
GROUPS = tuple(CALL_GROUPS)
COLUMNS = (
    "offered", "answered", "abandoned", "answer_rate_pct", "abandon_rate_pct",
    "service_level_pct", "asa_seconds", "handled", "aht_seconds",
)  # fmt: skip


def calls_report(views: ReportViews, q: ReportQuery) -> Report:
    cells = Cells(q, ("offered", "answered", "abandoned", "in_time", "wait", "handled", "handle"))
    group, group_sql = grouped(CALL_GROUPS, q.group_by)
    offered = views.calls.query(
        f"SELECT c.{q.period_column} AS period, {group} AS grp, COUNT(*) AS offered, "
        "COUNT(c.answered_at) AS answered, SUM(c.abandoned) AS abandoned, "
        "SUM(CASE WHEN c.wait_seconds <= :t THEN 1 ELSE 0 END) AS in_time, "
        "SUM(COALESCE(c.wait_seconds, 0)) AS wait FROM report_calls c "
        "WHERE c.direction = 'inbound' AND c.queued_at >= :start AND c.queued_at < :end "
        f"GROUP BY c.{q.period_column}{group_sql}",
        {**q.window(), "t": q.service_level_seconds},
    )
    for row in offered:
        for metric in ("offered", "answered", "abandoned", "in_time", "wait"):
            cells.add((row["period"], row["grp"]), metric, row[metric])
    group, group_sql = grouped(SEGMENT_GROUPS, q.group_by)
    handled = views.calls.query(
        f"SELECT s.{q.period_column} AS period, {group} AS grp, COUNT(*) AS handled, "
        "SUM(s.talk_seconds + s.wrap_seconds) AS handle FROM report_call_segments s "
        "WHERE s.direction = 'inbound' AND s.wrap_ended_at IS NOT NULL "
        "AND s.occurred_at >= :start AND s.occurred_at < :end "
        f"GROUP BY s.{q.period_column}{group_sql}",
        q.window(),
    )
    for row in handled:
        cells.add((row["period"], row["grp"]), "handled", row["handled"])
        cells.add((row["period"], row["grp"]), "handle", row["handle"])
    return cells.report(COLUMNS, _derived)


def _derived(key: Key, cell: dict[str, Any]) -> dict[str, Any]:
    return {
        "answer_rate_pct": pct(cell["answered"], cell["offered"]),
        "abandon_rate_pct": pct(cell["abandoned"], cell["offered"]),
        "service_level_pct": pct(cell["in_time"], cell["offered"]),
        "asa_seconds": mean(cell["wait"], cell["answered"]),
        "aht_seconds": mean(cell["handle"], cell["handled"]),
    }
