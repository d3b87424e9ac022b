"""The service ledger (服务台账): one row per case, ticket or complaint, with its key facts."""

from __future__ import annotations

from typing import Any

from kefu.projections.reports.query import Report, ReportQuery
from kefu.projections.reports.registry import ReportViews

GROUPS: tuple[str, ...] = ()
MAX_ROWS = 100_000
COLUMNS = (
    "period", "kind", "id", "opened_at", "channel", "customer_id", "category", "priority",
    "major", "department", "assignee_id", "status", "first_response_at", "response_due_at",
    "resolved_at", "resolution_due_at", "closed_at", "reopen_count", "rating",
)  # fmt: skip

_TICKETS = (
    "SELECT {period} AS period, 'ticket' AS kind, id, opened_at, channel, customer_id, "
    "category, priority, NULL AS major, department, assignee_id, status, first_response_at, "
    "response_due_at, resolved_at, resolution_due_at, closed_at, reopen_count, rating "
    "FROM report_tickets WHERE opened_at >= :start AND opened_at < :end "
    "ORDER BY opened_at, id LIMIT :limit"
)
_COMPLAINTS = (
    "SELECT {period} AS period, 'complaint' AS kind, id, registered_at AS opened_at, channel, "
    "customer_id, complaint_type AS category, severity AS priority, major, department, "
    "NULL AS assignee_id, status, acknowledged_at AS first_response_at, "
    "first_reply_due_at AS response_due_at, answered_at AS resolved_at, "
    "final_answer_due_at AS resolution_due_at, closed_at, reopen_count, "
    "satisfaction AS rating FROM report_complaints "
    "WHERE registered_at >= :start AND registered_at < :end "
    "ORDER BY registered_at, id LIMIT :limit"
)


class LedgerTooLarge(ValueError):
    """The range holds more cases than one answer may list."""


def ledger_report(views: ReportViews, q: ReportQuery) -> Report:
    params = {**q.window(), "limit": MAX_ROWS + 1}
    rows = views.tickets.query(_TICKETS.format(period=q.period_column), params)
    rows += views.complaints.query(_COMPLAINTS.format(period=q.period_column), params)
    if len(rows) > MAX_ROWS:
        raise LedgerTooLarge(f"more than {MAX_ROWS} cases in the range; narrow from/to")
    rows.sort(key=lambda r: (r["opened_at"], r["kind"], r["id"]))
    return Report(COLUMNS, [_row(r) for r in rows])


def _row(row: Any) -> dict[str, Any]:
    major = row["major"]
    return {name: row[name] for name in COLUMNS} | {"major": None if major is None else bool(major)}
