"""The /agents routes."""

from __future__ import annotations

import falcon

from kefu.bootstrap import Services
from kefu.commands.agents import RegisterAgent
from kefu.domain.agent import Agent
from kefu.domain.agent_presence import AgentStatus
from kefu.http.aggregates import (
    AggregateResource,
    CreateResource,
    HistoryResource,
    add_aggregate_routes,
    read_your_writes,
)
from kefu.http.listing import ListResource, Param, time_param
from kefu.http.routes import ApiApp
from kefu.projections.agent_projection import IN_GROUP, group_pattern

PREFIX = "/agents"


def status_param(text: str) -> object:
    if text not in set(AgentStatus):
        known = ", ".join(AgentStatus)
        raise falcon.HTTPBadRequest(
            title="Bad query parameter", description=f"status is one of: {known}"
        )
    return text


def in_group(text: str) -> tuple[str, dict[str, object]]:
    return IN_GROUP, {"group_pattern": group_pattern(text)}


def agent_list(s: Services) -> ListResource:
    """GET /agents?status=&group=: who is logged in, available, busy ... in which group."""
    params = [
        Param("status", "status", convert=status_param),
        Param("group", condition=in_group),
        Param("name", "name", "prefix"),
        Param("extension", "extension"),
        Param("updated_from", "updated_at", "ge", time_param),
        Param("updated_to", "updated_at", "lt", time_param),
    ]
    sorts = {"order": "order_no", "name": "name", "registered": "registered_at"}
    return ListResource(
        s.read_models.agents, params, sorts, wait=read_your_writes(s, "agent_views")
    )


def add_agent_routes(app: ApiApp, s: Services) -> None:
    add_aggregate_routes(
        app,
        PREFIX,
        CreateResource(RegisterAgent, s.agents.register, PREFIX, agent_list(s)),
        AggregateResource(
            s.agents, s.read_models.projection("agent_views"), s.settings.read_wait_seconds
        ),
        HistoryResource(s.app, Agent),
        post="Register an agent (坐席)",
        get="Agents by status and group",
    )
