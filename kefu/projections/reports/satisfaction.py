"""Satisfaction (满意度): ticket ratings by period, agent, department, channel or category."""

from __future__ import annotations

from typing import Any

from kefu.projections.reports.query import Cells, Key, Report, ReportQuery, grouped, mean, pct
from kefu.projections.reports.registry import ReportViews
from kefu.projections.reports.ticket_facts import FACTS

# Agent and department as they stood when rated; channel and category the ticket's current ones.
GROUPS = {
    "agent": "f.agent_id",
    "department": "f.department",
    "channel": "f.ticket_channel",
    "category": "f.ticket_category",
}
SCORES = tuple(f"score_{n}" for n in range(1, 6))
COLUMNS = ("ratings", "average", *SCORES, "csat_pct")


def satisfaction_report(views: ReportViews, q: ReportQuery) -> Report:
    group, group_sql = grouped(GROUPS, q.group_by)
    rows = views.tickets.query(
        f"SELECT f.{q.period_column} AS period, {group} AS grp, f.score, COUNT(*) AS n "
        f"FROM {FACTS} f WHERE f.kind = 'rated' "
        "AND f.occurred_at >= :start AND f.occurred_at < :end "
        f"GROUP BY f.{q.period_column}, f.score{group_sql}",
        q.window(),
    )
    cells = Cells(q, ("ratings", "total", *SCORES))
    for row in rows:
        key = (row["period"], row["grp"])
        cells.add(key, "ratings", row["n"])
        cells.add(key, "total", row["n"] * row["score"])
        cells.add(key, f"score_{row['score']}", row["n"])
    return cells.report(COLUMNS, _derived)


def _derived(key: Key, cell: dict[str, Any]) -> dict[str, Any]:
    satisfied = cell["score_4"] + cell["score_5"]
    return {
        "average": mean(cell["total"], cell["ratings"], 2),
        "csat_pct": pct(satisfied, cell["ratings"]),
    }
