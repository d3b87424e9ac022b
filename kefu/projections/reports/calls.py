"""Call traffic (话务): offered, answered, abandoned, service level, ASA and AHT, inbound only;
the seed's call standards (answered within 3 rings, calls over 3 and over 5 minutes) and the
callbacks owed to abandoned calls, made by their due time or not."""

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
    "answered_in_3_rings", "answered_in_3_rings_pct", "talk_over_3_min", "talk_over_5_min",
    "callbacks_owed", "callbacks_in_time", "callbacks_in_time_pct",
)  # fmt: skip
# A ring in China is 1 s of tone and 4 s of silence: three rings are 15 seconds of ringing.
THREE_RINGS_SECONDS = 15
CALL_METRICS = (
    "offered", "answered", "abandoned", "in_time", "wait", "answered_in_3_rings",
    "callbacks_owed", "callbacks_in_time",
)  # fmt: skip
SEGMENT_METRICS = ("handled", "handle", "talk_over_3_min", "talk_over_5_min")


def calls_report(views: ReportViews, q: ReportQuery) -> Report:
    cells = Cells(q, (*CALL_METRICS, *SEGMENT_METRICS))
    for row in _offered(views, q):
        for metric in CALL_METRICS:
            cells.add((row["period"], row["grp"]), metric, row[metric] or 0)
    for row in _handled(views, q):
        for metric in SEGMENT_METRICS:
            cells.add((row["period"], row["grp"]), metric, row[metric] or 0)
    return cells.report(COLUMNS, _derived)


def _offered(views: ReportViews, q: ReportQuery) -> list[Any]:
    group, group_sql = grouped(CALL_GROUPS, q.group_by)
    return views.calls.query(
        f"SELECT c.{q.period_column} AS period, {group} AS grp, COUNT(*) AS offered, "
        "COUNT(c.answered_at) AS answered, SUM(c.abandoned) AS abandoned, "
        "SUM(CASE WHEN c.wait_seconds <= :t THEN 1 ELSE 0 END) AS in_time, "
        "SUM(COALESCE(c.wait_seconds, 0)) AS wait, "
        "SUM(CASE WHEN c.ring_seconds <= :rings THEN 1 ELSE 0 END) AS answered_in_3_rings, "
        "COUNT(c.callback_due_at) AS callbacks_owed, "
        "SUM(CASE WHEN c.called_back_at <= c.callback_due_at THEN 1 ELSE 0 END) "
        "AS callbacks_in_time FROM report_calls c "
        "WHERE c.direction = 'inbound' AND c.queued_at >= :start AND c.queued_at < :end "
        f"GROUP BY c.{q.period_column}{group_sql}",
        {**q.window(), "t": q.service_level_seconds, "rings": THREE_RINGS_SECONDS},
    )


def _handled(views: ReportViews, q: ReportQuery) -> list[Any]:
    group, group_sql = grouped(SEGMENT_GROUPS, q.group_by)
    return views.calls.query(
        f"SELECT s.{q.period_column} AS period, {group} AS grp, COUNT(*) AS handled, "
        "SUM(s.talk_seconds + s.wrap_seconds) AS handle, "
        "SUM(CASE WHEN s.talk_seconds > 180 THEN 1 ELSE 0 END) AS talk_over_3_min, "
        "SUM(CASE WHEN s.talk_seconds > 300 THEN 1 ELSE 0 END) AS talk_over_5_min "
        "FROM report_call_segments s "
        "WHERE s.direction = 'inbound' AND s.wrap_ended_at IS NOT NULL "
        "AND s.occurred_at >= :start AND s.occurred_at < :end "
        f"GROUP BY s.{q.period_column}{group_sql}",
        q.window(),
    )


def _derived(key: Key, cell: dict[str, Any]) -> dict[str, Any]:
    return {
        "answer_rate_pct": pct(cell["answered"], cell["offered"]),
        "abandon_rate_pct": pct(cell["abandoned"], cell["offered"]),
        "service_level_pct": pct(cell["in_time"], cell["offered"]),
        "asa_seconds": mean(cell["wait"], cell["answered"]),
        "aht_seconds": mean(cell["handle"], cell["handled"]),
        "answered_in_3_rings_pct": pct(cell["answered_in_3_rings"], cell["answered"]),
        "callbacks_in_time_pct": pct(cell["callbacks_in_time"], cell["callbacks_owed"]),
    }
