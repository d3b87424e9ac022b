"""SLA compliance (服务时限达成) by policy or clock: tickets put under a policy, warnings,
breaches, escalations, and the share of clocks put under the policy that did not breach."""

from __future__ import annotations

from typing import Any

from kefu.projections.reports.query import Cells, Key, Report, ReportQuery, grouped, pct
from kefu.projections.reports.registry import ReportViews

# Grouped by clock, the tickets put under a policy fall in the empty group (no clock).
GROUPS = {"policy": "f.policy", "clock": "f.clock", "priority": "f.priority"}
COUNTED = {"assigned": "assigned", "warning": "warnings", "breach": "breaches",
           "escalation": "escalations"}  # fmt: skip
COLUMNS = ("assigned", "warnings", "breaches", "escalations", "breach_free_pct")


def sla_report(views: ReportViews, q: ReportQuery) -> Report:
    group, group_sql = grouped(GROUPS, q.group_by)
    cells = Cells(q, (*COUNTED.values(), "breached_tickets"))
    rows = views.tickets.query(
        f"SELECT f.{q.period_column} AS period, {group} AS grp, f.kind, COUNT(*) AS n, "
        "COUNT(DISTINCT f.ticket_id) AS tickets "
        "FROM report_sla_facts f WHERE f.occurred_at >= :start AND f.occurred_at < :end "
        f"GROUP BY f.{q.period_column}, f.kind{group_sql}",
        q.window(),
    )
    for row in rows:
        key = (row["period"], row["grp"])
        # A ticket put under a policy again (its priority changed) is still one ticket.
        cells.add(key, COUNTED[row["kind"]], row["tickets" if row["kind"] == "assigned" else "n"])
        if row["kind"] == "breach":
            cells.add(key, "breached_tickets", row["tickets"])
    return cells.report(COLUMNS, _derived)


def _derived(key: Key, cell: dict[str, Any]) -> dict[str, Any]:
    """Tickets put under a policy in the period that were not breached then, in per cent
    (a breach in a later period counts in that period: compare like with like)."""
    assigned, breaches = cell["assigned"], cell["breached_tickets"]
    return {"breach_free_pct": pct(max(assigned - breaches, 0), assigned)}
