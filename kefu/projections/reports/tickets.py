"""Ticket processing (工单处理): counts, backlog, response and resolution times, compliance."""

from __future__ import annotations

from typing import Any

from kefu.projections.reports.query import Cells, Key, Report, ReportQuery, grouped, mean, p90, pct
from kefu.projections.reports.registry import ReportViews
from kefu.projections.sql import db_time

GROUPS = {
    "category": "t.category",
    "department": "t.department",
    "priority": "t.priority",
    "channel": "t.channel",
}
COUNTED = {"opened": "created", "resolved": "resolved", "closed": "closed", "reopened": "reopened"}
TIMED = {"first_response": "response", "resolved": "resolution"}
COLUMNS = (
    "created", "resolved", "closed", "reopened", "backlog",
    "first_response_avg_seconds", "first_response_p90_seconds", "response_compliance_pct",
    "resolution_avg_seconds", "resolution_p90_seconds", "deadline_compliance_pct",
    "sla_warnings", "sla_breaches", "sla_escalations",
)  # fmt: skip
SLA_COUNTED = {"warning": "sla_warnings", "breach": "sla_breaches", "escalation": "sla_escalations"}
_FROM = "FROM report_ticket_facts f JOIN report_tickets t ON t.id = f.ticket_id"
_IN_RANGE = "f.occurred_at >= :start AND f.occurred_at < :end"


def tickets_report(views: ReportViews, q: ReportQuery) -> Report:
    group, group_sql = grouped(GROUPS, q.group_by)
    metrics = (*COUNTED.values(), *SLA_COUNTED.values(), "backlog")
    cells = Cells(q, (*metrics, "response_met", "resolution_met"))
    counts = views.tickets.query(
        f"SELECT f.{q.period_column} AS period, {group} AS grp, f.kind, COUNT(*) AS n {_FROM} "
        f"WHERE {_IN_RANGE} GROUP BY f.{q.period_column}, f.kind{group_sql}",
        q.window(),
    )
    for row in counts:
        if row["kind"] in COUNTED:
            cells.add((row["period"], row["grp"]), COUNTED[row["kind"]], row["n"])
    timings = views.tickets.query(
        f"SELECT f.{q.period_column} AS period, {group} AS grp, f.kind, f.seconds, f.met "
        f"{_FROM} WHERE f.kind IN ('first_response', 'resolved') AND {_IN_RANGE}",
        q.window(),
    )
    for row in timings:
        key, name = (row["period"], row["grp"]), TIMED[row["kind"]]
        cells.sample(key, name, row["seconds"])
        cells.add(key, f"{name}_met", row["met"])
    _backlog(views, q, cells, group, group_sql)
    _sla_counts(views, q, cells, group, group_sql)
    return cells.report(COLUMNS, _derived(cells))


def _sla_counts(
    views: ReportViews, q: ReportQuery, cells: Cells, group: str, group_sql: str
) -> None:
    """SLA warnings, breaches and escalations recorded in each period (report_sla_facts)."""
    rows = views.tickets.query(
        f"SELECT f.{q.period_column} AS period, {group} AS grp, f.kind, COUNT(*) AS n "
        "FROM report_sla_facts f JOIN report_tickets t ON t.id = f.ticket_id "
        f"WHERE {_IN_RANGE} AND f.kind IN ('warning', 'breach', 'escalation') "
        f"GROUP BY f.{q.period_column}, f.kind{group_sql}",
        q.window(),
    )
    for row in rows:
        cells.add((row["period"], row["grp"]), SLA_COUNTED[row["kind"]], row["n"])


def _backlog(views: ReportViews, q: ReportQuery, cells: Cells, group: str, group_sql: str) -> None:
    """Tickets opened (or reopened) and not resolved at the end of each period."""
    for bucket in q.buckets():
        at = db_time(min(bucket.end, q.end))
        group_clause = f" GROUP BY {group}" if group_sql else ""
        rows = views.tickets.query(
            f"SELECT {group} AS grp, COUNT(*) AS n FROM report_ticket_spells s "
            "JOIN report_tickets t ON t.id = s.ticket_id WHERE s.started_at < :at "
            f"AND (s.ended_at IS NULL OR s.ended_at >= :at){group_clause}",
            {"at": at},
        )
        for row in rows:
            if row["n"]:
                cells.add((bucket.label, row["grp"]), "backlog", row["n"])


def _derived(cells: Cells) -> Any:
    def derive(key: Key, cell: dict[str, Any]) -> dict[str, Any]:
        response, resolution = cells.values(key, "response"), cells.values(key, "resolution")
        return {
            "first_response_avg_seconds": mean(sum(response), len(response)),
            "first_response_p90_seconds": p90(response),
            "response_compliance_pct": pct(cell["response_met"], len(response)),
            "resolution_avg_seconds": mean(sum(resolution), len(resolution)),
            "resolution_p90_seconds": p90(resolution),
            "deadline_compliance_pct": pct(cell["resolution_met"], len(resolution)),
        }

    return derive
