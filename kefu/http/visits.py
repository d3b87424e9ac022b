"""The /visits routes: return-visit tasks (回访), due today, overdue, late, by agent."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import falcon
import msgspec

from kefu.bootstrap import Services
from kefu.commands.visits import ScheduleVisit
from kefu.domain.visit import Visit
from kefu.domain.visit_rules import business_date
from kefu.http.aggregates import (
    AggregateResource,
    CreateResource,
    HistoryResource,
    add_aggregate_routes,
    read_your_writes,
)
from kefu.http.customer_scope import customer_param
from kefu.http.listing import ListResource, Param
from kefu.http.routes import ApiApp
from kefu.projections.visit_document import VisitDocument
from kefu.projections.visit_projection import VisitView


def date_param(text: str) -> object:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise falcon.HTTPBadRequest(
            title="Bad query parameter", description=f"{text!r} is not a date like 2030-03-04"
        ) from None


def visit_list(s: Services) -> ListResource:
    """GET /visits: `due=today|overdue|late` (business dates in the desk's zone), by agent."""
    zone = ZoneInfo(s.settings.timezone)

    def due(kind: str) -> tuple[str, dict[str, object]]:
        return VisitView.due_condition(kind, business_date(s.clock(), zone))

    params = [
        Param("due", condition=due),
        Param("status", "status"),
        Param("assignee", "assignee_id"),
        customer_param(s),
        Param("rule", "rule"),
        Param("due_from", "due_on", "ge", date_param),
        Param("due_to", "due_on", "le", date_param),
    ]
    sorts = {"due": "due_on", "scheduled": "scheduled_at"}
    return ListResource(
        s.read_models.visits,
        params,
        sorts,
        render=_renderer(s),
        wait=read_your_writes(s, "visit_views"),
    )


def _renderer(s: Services) -> Any:
    zone = ZoneInfo(s.settings.timezone)

    def render(view: VisitDocument) -> dict[str, Any]:
        body: dict[str, Any] = msgspec.to_builtins(view)
        body["late"] = view.late(s.clock(), zone)
        return body

    return render


def add_visit_routes(app: ApiApp, s: Services) -> None:
    projection = s.read_models.projection("visit_views")
    add_aggregate_routes(
        app,
        "/visits",
        CreateResource(ScheduleVisit, s.visits.schedule, "/visits", visit_list(s)),
        AggregateResource(s.visits, projection, s.settings.read_wait_seconds, _renderer(s)),
        HistoryResource(s.app, Visit),
        post="Schedule a visit by hand",
        get="Visits: due=today|overdue|late, assignee, customer",
    )
