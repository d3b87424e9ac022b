"""协同工单 on HTTP: the node list with its light filter, and the node report.

A node's actions are ticket actions (`POST /tickets/{id}/nodes`, `complete-node`,
`escalate-node`, `override-nodes`); the ticket view lists its nodes with their lights.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec

from kefu.bootstrap import Services
from kefu.http.aggregates import read_your_writes
from kefu.http.listing import Condition, ListResource, Param, time_param
from kefu.http.reports import ReportResource, ReportSpec, report_operation
from kefu.http.routes import ApiApp, Operation
from kefu.projections.node_projection import NODE_COUNTS, NodeRow, NodeView
from kefu.projections.reports.query import Report, ReportQuery

COLUMNS = (*NODE_COUNTS, "on_time_pct")


def light_param(clock: Callable[[], datetime]) -> Condition:
    """`?light=red|yellow|green`: the nodes showing that light now (another value is a 400)."""
    return lambda text: NodeView.light_condition(text, clock())


def with_light(clock: Callable[[], datetime]) -> Callable[[NodeRow], dict[str, Any]]:
    """A node with its light read at this moment."""

    def render(row: NodeRow) -> dict[str, Any]:
        body: dict[str, Any] = msgspec.to_builtins(row)
        return {**body, "light": row.light(clock())}

    return render


def node_list(s: Services) -> ListResource:
    """GET /ticket-nodes: collaborative nodes by department, owner, ticket, status and light."""
    params = [
        Param("department", "department"),
        Param("owner", "owner_id"),
        Param("ticket", "ticket_id"),
        Param("status", "status"),
        Param("light", condition=light_param(s.clock)),
        Param("due_from", "deadline", "ge", time_param),
        Param("due_to", "deadline", "lt", time_param),
    ]
    return ListResource(
        s.read_models.ticket_nodes,
        params,
        {"due": "deadline"},
        render=with_light(s.clock),
        wait=read_your_writes(s, "ticket_nodes"),
    )


def node_report(view: NodeView, q: ReportQuery) -> Report:
    """Per period (by deadline) and department: nodes done on time and late, overridden,
    open and overdue now, escalated; `on_time_pct` of those done."""
    rows = []
    for bucket in q.buckets():
        for counts in view.report(bucket.start, bucket.end, q.now):
            done = counts["on_time"] + counts["late"]
            pct = round(100 * counts["on_time"] / done, 1) if done else None
            rows.append({"period": bucket.label, **counts, "on_time_pct": pct})
    return Report(("period", "department", *COLUMNS), rows)


def add_collaboration_routes(app: ApiApp, s: Services) -> None:
    listing = Operation("Collaborative ticket nodes with their lights (cursor pages)")
    app.add_route("/ticket-nodes", node_list(s), openapi={"/ticket-nodes": {"get": listing}})
    name, path = "ticket-nodes", "/reports/ticket-nodes"
    spec = ReportSpec(
        lambda _views, q: node_report(s.read_models.ticket_nodes, q),
        groups=("department",),
        default_group="department",
    )
    app.add_route(
        path, ReportResource(s, name, spec), openapi={path: {"get": report_operation(name, spec)}}
    )
