"""The /tickets routes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import falcon
import msgspec

from kefu.bootstrap import Services
from kefu.commands.tickets import OpenTicket
from kefu.domain.ticket import Ticket
from kefu.http.aggregates import (
    AggregateResource,
    CreateResource,
    HistoryResource,
    add_aggregate_routes,
)


def add_ticket_routes(app: falcon.App[falcon.Request, falcon.Response], s: Services) -> None:
    def render(ticket_id: UUID) -> dict[str, Any] | None:
        view = s.read_models.tickets.get(ticket_id)
        if view is None:
            return None
        body: dict[str, Any] = msgspec.to_builtins(view)
        body.update(view.overdue(s.clock()))
        return body

    projection = s.read_models.projection("ticket_views")
    add_aggregate_routes(
        app,
        "/tickets",
        CreateResource(OpenTicket, s.tickets.open, "/tickets"),
        AggregateResource(s.tickets, projection, render, s.settings.read_wait_seconds),
        HistoryResource(s.app, Ticket),
    )
