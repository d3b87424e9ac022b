"""Return visits (回访): due, done, done within 3 days, late, reached rate; by due date."""

from __future__ import annotations

from typing import Any

from kefu.projections.reports.query import Cells, Key, Report, ReportQuery, grouped, pct
from kefu.projections.reports.registry import ReportViews

GROUPS = {"rule": "v.rule", "agent": "v.assignee_id"}
COLUMNS = ("due", "done", "done_in_time", "late", "reached", "reached_rate_pct")


def visits_report(views: ReportViews, q: ReportQuery) -> Report:
    group, group_sql = grouped(GROUPS, q.group_by)
    today = q.now.astimezone(q.zone).date().isoformat()
    rows = views.visits.query(
        f"SELECT v.{q.period_column} AS period, {group} AS grp, COUNT(*) AS due, "
        "COUNT(v.done_on) AS done, "
        "SUM(CASE WHEN v.done_on <= v.deadline_on THEN 1 ELSE 0 END) AS done_in_time, "
        "SUM(CASE WHEN v.done_on > v.deadline_on OR (v.done_on IS NULL "
        "AND v.deadline_on < :today) THEN 1 ELSE 0 END) AS late, "
        "SUM(COALESCE(v.reached, 0)) AS reached FROM report_visits v "
        f"WHERE v.due_at >= :start AND v.due_at < :end GROUP BY v.{q.period_column}{group_sql}",
        {**q.window(), "today": today},
    )
    cells = Cells(q, COLUMNS)
    for row in rows:
        for metric in ("due", "done", "done_in_time", "late", "reached"):
            cells.add((row["period"], row["grp"]), metric, row[metric])
    return cells.report(COLUMNS, _derived)


def _derived(key: Key, cell: dict[str, Any]) -> dict[str, Any]:
    return {"reached_rate_pct": pct(cell["reached"], cell["done"])}
