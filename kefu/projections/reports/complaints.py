"""Complaints (投诉): by type, responsible department or severity."""

from __future__ import annotations

from collections import Counter
from typing import Any

from kefu.domain.complaint_values import RemedyKind
from kefu.projections.reports.query import Cells, Key, Report, ReportQuery, grouped, mean
from kefu.projections.reports.registry import ReportViews
from kefu.projections.sql import db_time

GROUPS = {"type": "c.complaint_type", "department": "c.department", "severity": "c.severity"}
REMEDIES = tuple(f"remedy_{kind}" for kind in RemedyKind)
COLUMNS = (
    "registered", "major", "overdue", "repeat_complainants", "closed", "close_avg_seconds",
    *REMEDIES,
)  # fmt: skip
_FROM = "FROM report_complaint_facts f JOIN report_complaints c ON c.id = f.complaint_id"
_IN_RANGE = "f.occurred_at >= :start AND f.occurred_at < :end"


def complaints_report(views: ReportViews, q: ReportQuery) -> Report:
    cells = Cells(q, (*COLUMNS, "close_total"))
    group, group_sql = grouped(GROUPS, q.group_by)
    registered = views.complaints.query(
        f"SELECT c.{q.period_column} AS period, {group} AS grp, c.customer_id, c.major, "
        "CASE WHEN c.answered_at > c.final_answer_due_at OR (c.answered_at IS NULL "
        "AND c.final_answer_due_at < :now) THEN 1 ELSE 0 END AS overdue "
        "FROM report_complaints c WHERE c.registered_at >= :start AND c.registered_at < :end",
        {**q.window(), "now": db_time(q.now)},
    )
    complainants: Counter[tuple[Key, str]] = Counter()
    for row in registered:
        key = (row["period"], row["grp"])
        cells.add(key, "registered")
        cells.add(key, "major", row["major"])
        cells.add(key, "overdue", row["overdue"])
        complainants[key, row["customer_id"]] += 1
    for (key, _), times in complainants.items():
        cells.add(key, "repeat_complainants", int(times > 1))
    facts = views.complaints.query(
        f"SELECT f.{q.period_column} AS period, {group} AS grp, f.kind, f.remedy, "
        f"COUNT(*) AS n, SUM(COALESCE(f.seconds, 0)) AS seconds {_FROM} "
        f"WHERE f.kind IN ('closed', 'remedy') AND {_IN_RANGE} "
        f"GROUP BY f.{q.period_column}, f.kind, f.remedy{group_sql}",
        q.window(),
    )
    for row in facts:
        key = (row["period"], row["grp"])
        if row["kind"] == "closed":
            cells.add(key, "closed", row["n"])
            cells.add(key, "close_total", row["seconds"])
        else:
            cells.add(key, f"remedy_{row['remedy']}", row["n"])
    return cells.report(COLUMNS, _derived)


def _derived(key: Key, cell: dict[str, Any]) -> dict[str, Any]:
    return {"close_avg_seconds": mean(cell["close_total"], cell["closed"])}
