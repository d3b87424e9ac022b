"""Ticket processing (工单处理): counts, backlog, response and resolution times, compliance."""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate
from typing import Any

from kefu.projections.reports.query import Cells, Key, Report, ReportQuery, grouped, mean, p90, pct
from kefu.projections.reports.registry import ReportViews
from kefu.projections.reports.ticket_facts import FACTS, SLA_FACTS, SPELLS
from kefu.projections.sql import db_time

# The ticket's current attributes, carried on every fact, SLA fact and spell row (no join).
GROUPS = {
    "category": "ticket_category",
    "department": "ticket_department",
    "priority": "ticket_priority",
    "channel": "ticket_channel",
}
COUNTED = {
    "opened": "created",
    "resolved": "resolved",
    "closed": "closed",
    "reopened": "reopened",
    "withdrawn": "withdrawn",  # cancelled or marked a duplicate: never counted as resolved
}
TIMED = {"first_response": "response", "resolved": "resolution"}
COLUMNS = (
    "created", "resolved", "closed", "reopened", "withdrawn", "backlog",
    "first_response_avg_seconds", "first_response_p90_seconds", "response_compliance_pct",
    "resolution_avg_seconds", "resolution_p90_seconds", "deadline_compliance_pct",
    "sla_warnings", "sla_breaches", "sla_escalations",
)  # fmt: skip
SLA_COUNTED = {"warning": "sla_warnings", "breach": "sla_breaches", "escalation": "sla_escalations"}
_IN_RANGE = "f.occurred_at >= :start AND f.occurred_at < :end"


def tickets_report(views: ReportViews, q: ReportQuery) -> Report:
    group, group_sql = grouped(GROUPS, q.group_by)
    metrics = (*COUNTED.values(), *SLA_COUNTED.values(), "backlog")
    cells = Cells(q, (*metrics, "response_met", "resolution_met"))
    counts = views.tickets.query(
        f"SELECT f.{q.period_column} AS period, {group} AS grp, f.kind, COUNT(*) AS n "
        f"FROM {FACTS} f WHERE {_IN_RANGE} GROUP BY f.{q.period_column}, f.kind{group_sql}",
        q.window(),
    )
    for row in counts:
        if row["kind"] in COUNTED:
            cells.add((row["period"], row["grp"]), COUNTED[row["kind"]], row["n"])
    timings = views.tickets.query(
        f"SELECT f.{q.period_column} AS period, {group} AS grp, f.kind, f.seconds, f.met "
        f"FROM {FACTS} f WHERE f.kind IN ('first_response', 'resolved') AND {_IN_RANGE}",
        q.window(),
    )
    for row in timings:
        key, name = (row["period"], row["grp"]), TIMED[row["kind"]]
        cells.sample(key, name, row["seconds"])
        cells.add(key, f"{name}_met", row["met"])
    _backlog(views, q, cells, group)
    _sla_counts(views, q, cells, group, group_sql)
    return cells.report(COLUMNS, _derived(cells))


def _backlog(views: ReportViews, q: ReportQuery, cells: Cells, group: str) -> None:
    """Tickets opened (or reopened) and not resolved at the end of each period.

    Only the spells alive at some period's end are read (those that ended after the first
    end, and those still open), once for all periods, through the (ended_at, started_at)
    index: the cost follows the range and the open backlog, not the length of the history.
    """
    ends = [db_time(min(bucket.end, q.end)) for bucket in q.buckets()]
    if not ends:
        return
    alive: dict[Any, list[int]] = {}  # group → +1/-1 at the first and after the last end
    for row in views.tickets.query(_spells_alive(group), {"first": ends[0], "last": ends[-1]}):
        counts = alive.setdefault(row["grp"], [0] * (len(ends) + 1))
        counts[bisect_right(ends, row["started_at"])] += 1  # alive from the first end after it
        if row["ended_at"] is not None:
            counts[bisect_right(ends, row["ended_at"])] -= 1  # until the last end it reaches
    labels = [bucket.label for bucket in q.buckets()]
    for grp, counts in alive.items():
        for label, n in zip(labels, accumulate(counts), strict=False):
            if n:
                cells.add((label, grp), "backlog", n)


def _spells_alive(group: str) -> str:
    """Spells started before `:last` and ended at or after `:first` or not at all; one
    SELECT per case, so each is a range of the same index."""
    select = f"SELECT {group} AS grp, s.started_at, s.ended_at FROM {SPELLS} s"
    return (
        f"{select} WHERE s.ended_at >= :first AND s.started_at < :last UNION ALL "
        f"{select} WHERE s.ended_at IS NULL AND s.started_at < :last"
    )


def _sla_counts(
    views: ReportViews, q: ReportQuery, cells: Cells, group: str, group_sql: str
) -> None:
    """SLA warnings, breaches and escalations recorded in each period (report_sla_facts)."""
    rows = views.tickets.query(
        f"SELECT f.{q.period_column} AS period, {group} AS grp, f.kind, COUNT(*) AS n "
        f"FROM {SLA_FACTS} f WHERE {_IN_RANGE} AND f.kind IN ('warning', 'breach', 'escalation') "
        f"GROUP BY f.{q.period_column}, f.kind{group_sql}",
        q.window(),
    )
    for row in rows:
        cells.add((row["period"], row["grp"]), SLA_COUNTED[row["kind"]], row["n"])


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
