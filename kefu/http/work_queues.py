"""An agent's work queue and a department's board, read from the ticket view."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

import falcon

from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.http.aggregates import VIEW_READERS, with_overdue
from kefu.http.responses import write_json
from kefu.http.routes import ApiApp, Operation
from kefu.projections.ticket_document import TicketDocument

PAGING = frozenset({"limit", "cursor"})


class AgentQueueResource:
    """GET /agents/{id}/queue: tickets assigned to the agent, not closed or archived, the one
    due first first; cursor pagination (`limit`, `cursor`)."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": VIEW_READERS}

    def __init__(self, services: Services) -> None:
        self.tickets = services.read_models.tickets
        self.render = with_overdue(services.clock)

    def on_get(self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID) -> None:
        refuse_unknown_params(req, PAGING)
        limit = req.get_param_as_int("limit", min_value=1, max_value=500, default=50)
        cursor = req.get_param("cursor")
        docs, next_cursor = self.tickets.queue(str(aggregate_id), limit, cursor)
        write_json(resp, {"items": [self.render(d) for d in docs], "next_cursor": next_cursor})


class DepartmentBoardResource:
    """GET /departments/{name}/board: the department's tickets by status, how many of its
    unresolved tickets are past their resolution (and first-response) deadline now, and its open
    collaborative nodes by light (节点亮灯)."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": VIEW_READERS}

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        refuse_unknown_params(req, frozenset())
        s = self.services
        board = s.read_models.tickets.board(name, s.clock())
        lights = s.read_models.ticket_nodes.lights(name, s.clock())
        write_json(resp, {"department": name, **board, "node_lights": lights})


def refuse_unknown_params(req: falcon.Request, known: frozenset[str]) -> None:
    unknown = set(req.params) - known
    if unknown:
        raise falcon.HTTPBadRequest(
            title="Unknown query parameter",
            description=f"unknown: {', '.join(sorted(unknown))}; known: "
            f"{', '.join(sorted(known)) or 'none'}",
        )


def add_work_queue_routes(app: ApiApp, s: Services) -> None:
    queue = Operation(
        "An agent's open assigned tickets by due time (cursor pages)", page_of=TicketDocument
    )
    board = Operation("A department's tickets by status, and the overdue count")
    app.add_route(
        "/agents/{aggregate_id:uuid}/queue",
        AgentQueueResource(s),
        openapi={"/agents/{agent_id}/queue": {"get": queue}},
    )
    app.add_route(
        "/departments/{name}/board",
        DepartmentBoardResource(s),
        openapi={"/departments/{name}/board": {"get": board}},
    )
