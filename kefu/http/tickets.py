"""The /tickets routes."""

from __future__ import annotations

from typing import Any

from msgspec import to_builtins
from msgspec.structs import replace

from kefu.bootstrap import Services
from kefu.commands.tickets import OpenTicket
from kefu.domain.sla_clocks import read_clocks
from kefu.domain.ticket import Ticket
from kefu.http.aggregates import (
    AggregateResource,
    CreateResource,
    HistoryResource,
    Render,
    add_aggregate_routes,
    read_your_writes,
    with_overdue,
)
from kefu.http.customer_scope import customer_param
from kefu.http.listing import ListResource, Param, time_param
from kefu.http.routes import ApiApp
from kefu.http.words_search import words_condition
from kefu.projections.ticket_projection import TicketView


def ticket_list(s: Services) -> ListResource:
    """GET /tickets: filters, sorts and cursor pagination over the ticket view."""

    params = [
        Param("status", "status"),
        Param("priority", "priority"),
        Param("category", "category"),
        Param("channel", "channel"),
        Param("department", "department"),
        Param("assignee", "assignee_id"),
        customer_param(s),
        Param("opened_from", "opened_at", "ge", time_param),
        Param("opened_to", "opened_at", "lt", time_param),
        Param("updated_from", "updated_at", "ge", time_param),
        Param("updated_to", "updated_at", "lt", time_param),
        Param("overdue", condition=lambda kind: TicketView.overdue_condition(kind, s.clock())),
        Param("q", search=words_condition(s.read_models.threads.search_tickets)),
    ]
    sorts = {
        "opened": "opened_at",
        "due": "resolution_due_at",
        "priority": "priority_rank",
        "updated": "updated_at",
    }
    return ListResource(
        s.read_models.tickets,
        params,
        sorts,
        render=with_sla(s),
        wait=read_your_writes(s, "ticket_views"),
    )


def with_sla(s: Services) -> Render:
    """The ticket with its overdue flags and its SLA clocks read at this moment."""
    overdue = with_overdue(s.clock)
    calendar = s.read_models.sla.calendar

    def render(view: Any) -> dict[str, Any]:
        # The stored clocks are not shown as they are but read at this moment: left out of
        # the conversion, they are not converted only to be replaced.
        body: dict[str, Any] = overdue(replace(view, sla=None))
        now = s.clock()  # one moment for the clocks and the lights of the same answer
        if view.sla is not None:
            body["sla"] = to_builtins(read_clocks(view.sla, calendar, now))
        for node, shown in zip(view.nodes, body["nodes"], strict=True):
            shown["light"] = node.light(now)
        return body

    return render


def add_ticket_routes(app: ApiApp, s: Services) -> None:
    projection = s.read_models.projection("ticket_views")
    add_aggregate_routes(
        app,
        "/tickets",
        CreateResource(OpenTicket, s.tickets.open, "/tickets", ticket_list(s)),
        AggregateResource(s.tickets, projection, s.settings.read_wait_seconds, with_sla(s)),
        HistoryResource(s.app, Ticket),
        post="Open a ticket (受理)",
        get="List tickets: filters, sorts and cursor pagination",
    )
