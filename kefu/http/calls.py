"""The /calls routes, and the /agents routes with them: the call centre (呼叫中心)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import falcon

from kefu.bootstrap import Services
from kefu.commands.calls import StartCall
from kefu.domain.call import Call
from kefu.domain.call_lifecycle import CallStatus
from kefu.http.agents import add_agent_routes
from kefu.http.aggregates import (
    AggregateResource,
    CreateResource,
    HistoryResource,
    add_aggregate_routes,
    read_your_writes,
)
from kefu.http.callbacks import CallbackList
from kefu.http.customer_scope import customer_param
from kefu.http.listing import ListResource, Param, time_param
from kefu.http.routes import ApiApp, Operation
from kefu.http.screen_pop import ScreenPopResource

PREFIX = "/calls"


def one_of(name: str, values: list[str]) -> Any:
    def convert(text: str) -> object:
        if text not in values:
            raise falcon.HTTPBadRequest(
                title="Bad query parameter", description=f"{name} is one of: {', '.join(values)}"
            )
        return text

    return convert


def agent_param(text: str) -> object:
    try:
        return str(UUID(text))
    except ValueError:
        raise falcon.HTTPBadRequest(
            title="Bad query parameter", description=f"agent {text!r} is not an agent id"
        ) from None


def recognised_condition(text: str) -> tuple[str, dict[str, object]]:
    """`?recognised=false`: inbound calls no customer file was found for (unknown numbers)."""
    linked = {"true": "IS NOT NULL", "false": "IS NULL"}
    if text not in linked:
        raise falcon.HTTPBadRequest(
            title="Bad query parameter", description="recognised is true or false"
        )
    return f"direction = 'inbound' AND customer_id {linked[text]}", {}


def call_list(s: Services) -> ListResource:
    """GET /calls: by direction, status, agent, customer, number, group and time."""
    params = [
        Param("direction", "direction", convert=one_of("direction", ["inbound", "outbound"])),
        Param("status", "status", convert=one_of("status", [str(c) for c in CallStatus])),
        Param("agent", "agent_id", convert=agent_param),
        customer_param(s),
        Param("recognised", condition=recognised_condition),
        Param("number", "customer_number"),
        Param("group", "group_name"),
        Param("from", "started_at", "ge", time_param),
        Param("to", "started_at", "lt", time_param),
        Param("callback_due_to", "callback_due_at", "lt", time_param),
    ]
    sorts = {"started": "started_at", "updated": "updated_at", "callback_due": "callback_due_at"}
    return ListResource(s.read_models.calls, params, sorts, wait=read_your_writes(s, "call_views"))


def add_call_routes(app: ApiApp, s: Services) -> None:
    add_aggregate_routes(
        app,
        PREFIX,
        CreateResource(StartCall, s.calls.start, PREFIX, call_list(s)),
        AggregateResource(
            s.calls, s.read_models.projection("call_views"), s.settings.read_wait_seconds
        ),
        HistoryResource(s.app, Call),
        post="An inbound call arrives, or an agent dials out",
        get="Calls by direction, status, agent, customer and time",
    )
    screen = Operation("The screen pop (来电弹屏): the call, its customer file, recent history")
    app.add_route(
        f"{PREFIX}/{{aggregate_id:uuid}}/screen",
        ScreenPopResource(s),
        openapi={f"{PREFIX}/{{call_id}}/screen": {"get": screen}},
    )
    callbacks = Operation("Callbacks owed (回拨): due, overdue or done (cursor pages)")
    app.add_route("/callbacks", CallbackList(s), openapi={"/callbacks": {"get": callbacks}})


def add_call_centre_routes(app: ApiApp, s: Services) -> None:
    """/agents and /calls: presence, calls, routing (POST /calls/{id}/route)."""
    add_agent_routes(app, s)
    add_call_routes(app, s)
