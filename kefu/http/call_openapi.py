"""The OpenAPI paths and schemas of /agents and /calls, from the Structs the app decodes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kefu.commands.agents import AGENT_ACTIONS, RegisterAgent
from kefu.commands.calls import CALL_COMMANDS, StartCall
from kefu.commands.execution import Answer
from kefu.projections.agent_document import AgentDocument
from kefu.projections.call_document import CallDocument

Op = Callable[..., dict[str, Any]]


def call_centre_schemas() -> list[type]:
    agent_commands = [c for c, _ in AGENT_ACTIONS.values()]
    return [
        RegisterAgent,
        *agent_commands,
        StartCall,
        *CALL_COMMANDS.values(),
        AgentDocument,
        CallDocument,
    ]


def call_centre_paths(op: Op) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/agents": {
            "post": op("Register an agent (坐席)", RegisterAgent, Answer, "201"),
            "get": op("Agents by status and group", None, None),
        },
        "/agents/{agent_id}": {"get": op("The agent view", None, AgentDocument)},
        "/agents/{agent_id}/history": {"get": op("Every event of the agent", None, None)},
        "/calls": {
            "post": op("An inbound call arrives, or an agent dials out", StartCall, Answer, "201"),
            "get": op("Calls by direction, status, agent, customer and time", None, None),
        },
        "/calls/{call_id}": {"get": op("The call view", None, CallDocument)},
        "/calls/{call_id}/history": {"get": op("Every event of the call", None, None)},
    }
    for action, (command, _) in AGENT_ACTIONS.items():
        paths[f"/agents/{{agent_id}}/{action}"] = {
            "post": op(f"Agent action: {action}", command, Answer)
        }
    for action, command in CALL_COMMANDS.items():
        paths[f"/calls/{{call_id}}/{action}"] = {
            "post": op(f"Call action: {action}", command, Answer)
        }
    return paths
