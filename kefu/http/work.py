"""Work queues of everything owed (待办): an agent's or a department's open work, due first first.

Beside tickets: complaint tasks (a department's part of an accepted resolution, by owner),
collaborative ticket nodes (a department's part of a 协同工单, by owner), return visits, and —
on the hotline's own department — the callbacks owed to abandoned and unreached calls. Each item
has its kind, what it is about, its due time and an overdue flag (by the server's clock). A
visit is due by the end of its business day. Reads the views only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any, ClassVar
from uuid import UUID
from zoneinfo import ZoneInfo

import falcon

from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.http.aggregates import VIEW_READERS
from kefu.http.responses import write_json
from kefu.http.routes import ApiApp, Operation
from kefu.http.work_queues import refuse_unknown_params
from kefu.projections.listing import Filter, ListQuery
from kefu.projections.ticket_projection import NOT_CLOSED

EACH = 500  # items read of each kind: a work queue is what is open now, not the history
HOTLINE = "customer_service"  # callbacks are the hotline's work
KNOWN = frozenset({"limit"})
Item = dict[str, Any]


class WorkResource:
    """GET /agents/{id}/work and GET /departments/{name}/work."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": VIEW_READERS}

    def __init__(self, s: Services, by: str) -> None:
        self.s, self.by = s, by  # by: "agent" or "department"

    def on_get(self, req: falcon.Request, resp: falcon.Response, **route: Any) -> None:
        refuse_unknown_params(req, KNOWN)
        limit = req.get_param_as_int("limit", min_value=1, max_value=500, default=100)
        who = str(route.get("aggregate_id") or route.get("name"))
        now = self.s.clock()
        items = sorted(self._items(who, now), key=lambda i: (i["due_at"], i["kind"], i["id"]))
        write_json(resp, {self.by: who, "items": items[:limit], "total": len(items)})

    def _items(self, who: str, now: datetime) -> Iterator[Item]:
        yield from self._tickets(who, now)
        yield from self._tasks(who, now)
        yield from self._nodes(who, now)
        yield from self._visits(who, now)
        if self.by == "department" and who == HOTLINE:
            yield from self._callbacks(now)

    def _tickets(self, who: str, now: datetime) -> Iterator[Item]:
        column = "assignee_id" if self.by == "agent" else "department"
        query = ListQuery(filters=[Filter(column, "eq", who)], limit=EACH, extra_where=[NOT_CLOSED])
        for t in self.s.read_models.tickets.page(query)[0]:
            if t.status != "resolved":
                yield _item("ticket", t.id, t.subject, t.resolution_due_at, now)

    def _tasks(self, who: str, now: datetime) -> Iterator[Item]:
        query = ListQuery(filters=[Filter("status", "eq", "executing")], limit=EACH)
        for c in self.s.read_models.complaints.page(query)[0]:
            for task in c.open_tasks:
                if (task.owner if self.by == "agent" else task.department) == who:
                    about = task.description or c.description
                    yield _item("complaint_task", c.id, about, task.due_at, now, task=task.task_id)

    def _nodes(self, who: str, now: datetime) -> Iterator[Item]:
        """Open collaborative nodes (协同工单) the agent owns or the department carries."""
        column = "owner_id" if self.by == "agent" else "department"
        filters = [Filter(column, "eq", who), Filter("status", "eq", "open")]
        query = ListQuery(filters=filters, order_by="deadline", limit=EACH)
        for n in self.s.read_models.ticket_nodes.page(query)[0]:
            about = n.deliverable or n.department
            extra = {"department": n.department, "light": n.light(now)}
            yield _item("ticket_node", n.ticket_id, about, n.deadline, now, **extra)

    def _visits(self, who: str, now: datetime) -> Iterator[Item]:
        if self.by != "agent":
            return
        query = ListQuery(
            filters=[Filter("assignee_id", "eq", who)], limit=EACH, extra_where=["status <> 'done'"]
        )
        zone = ZoneInfo(self.s.settings.timezone)
        for v in self.s.read_models.visits.page(query)[0]:
            due = datetime.combine(v.due_on + timedelta(days=1), time(), zone)
            yield _item("visit", v.id, v.purpose, due, now)

    def _callbacks(self, now: datetime) -> Iterator[Item]:
        query = ListQuery(
            limit=EACH, extra_where=["callback_due_at IS NOT NULL", "called_back_at IS NULL"]
        )
        for call in self.s.read_models.calls.page(query)[0]:
            assert call.callback_due_at is not None
            yield _item("callback", call.id, call.customer_number, call.callback_due_at, now)


def _item(kind: str, id_: UUID, about: str, due: datetime, now: datetime, **extra: str) -> Item:
    return {"kind": kind, "id": str(id_), "about": about, "due_at": due.isoformat(),
            "overdue": now > due, **extra}  # fmt: skip


def add_work_routes(app: ApiApp, s: Services) -> None:
    agent = Operation("Everything an agent owes (待办): tickets, tasks, ticket nodes, visits")
    department = Operation("Everything a department owes; the hotline also owns callbacks")
    app.add_route(
        "/agents/{aggregate_id:uuid}/work",
        WorkResource(s, "agent"),
        openapi={"/agents/{agent_id}/work": {"get": agent}},
    )
    app.add_route(
        "/departments/{name}/work",
        WorkResource(s, "department"),
        openapi={"/departments/{name}/work": {"get": department}},
    )
