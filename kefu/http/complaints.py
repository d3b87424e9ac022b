"""The /complaints routes."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

import falcon

from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.commands.complaints import (
    TASK_OUTCOME_BODIES,
    ComplaintCommands,
    FinishTask,
    RegisterComplaint,
)
from kefu.commands.execution import Answer
from kefu.domain.complaint import Complaint
from kefu.http.aggregates import (
    WRITERS,
    AggregateResource,
    CreateResource,
    HistoryResource,
    add_aggregate_routes,
    read_your_writes,
    with_overdue,
)
from kefu.http.customer_scope import customer_param
from kefu.http.listing import ListResource, Param, time_param
from kefu.http.requests import command_context, decode, read_body
from kefu.http.responses import write_outcome
from kefu.http.routes import ApiApp, Operation
from kefu.http.words_search import words_condition
from kefu.projections.complaint_projection import ComplaintView

PREFIX = "/complaints"


class TaskOutcomeResource:
    """POST /complaints/{id}/tasks/{task_id}/complete|fail: one task's outcome."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"POST": WRITERS}

    def __init__(self, commands: ComplaintCommands) -> None:
        self.commands = commands

    def on_post(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        aggregate_id: UUID,
        task_id: str,
        outcome: str,
    ) -> None:
        action = f"tasks/{outcome}"
        self.commands.command_for(action)  # an unknown outcome is a 404 before the body is read
        body = read_body(req)
        report = decode(body, TASK_OUTCOME_BODIES[outcome])
        command = FinishTask(task_id=task_id, note=report.note)
        ctx = command_context(req, body)
        write_outcome(resp, self.commands.act(aggregate_id, action, command, ctx))


def flag_param(text: str) -> object:
    """`true` or `false`, stored as 1 or 0."""
    if text not in ("true", "false"):
        raise falcon.HTTPBadRequest(
            title="Bad query parameter", description=f"{text!r} is not true or false"
        )
    return int(text == "true")


def complaint_list(s: Services) -> ListResource:
    """GET /complaints: filters, sorts and cursor pagination over the complaint view."""
    params = [
        Param("status", "status"),
        Param("type", "type"),
        Param("severity", "severity"),
        Param("major", "major", convert=flag_param),
        Param("department", "responsible_department"),
        customer_param(s),
        Param("ticket", "ticket_id"),
        Param("channel", "channel"),
        Param("registered_from", "registered_at", "ge", time_param),
        Param("registered_to", "registered_at", "lt", time_param),
        Param("overdue", condition=lambda kind: ComplaintView.overdue_condition(kind, s.clock())),
        Param("q", search=words_condition(s.read_models.threads.search_complaints)),
    ]
    sorts = {
        "registered": "registered_at",
        "due": "final_answer_due_at",
        "severity": "severity_rank",
        "updated": "updated_at",
    }
    return ListResource(
        s.read_models.complaints,
        params,
        sorts,
        render=with_overdue(s.clock),
        wait=read_your_writes(s, "complaint_views"),
    )


def add_complaint_routes(app: ApiApp, s: Services) -> None:
    projection = s.read_models.projection("complaint_views")
    add_aggregate_routes(
        app,
        PREFIX,
        CreateResource(RegisterComplaint, s.complaints.register, PREFIX, complaint_list(s)),
        AggregateResource(
            s.complaints, projection, s.settings.read_wait_seconds, with_overdue(s.clock)
        ),
        HistoryResource(s.app, Complaint),
        post="Register a complaint (受理)",
        get="List complaints: filters and cursor pagination",
    )
    outcomes = {
        f"{PREFIX}/{{complaint_id}}/tasks/{{task_id}}/{outcome}": {
            "post": Operation(f"Complaint task outcome: {outcome}", body, Answer)
        }
        for outcome, body in TASK_OUTCOME_BODIES.items()
    }
    app.add_route(
        f"{PREFIX}/{{aggregate_id:uuid}}/tasks/{{task_id}}/{{outcome}}",
        TaskOutcomeResource(s.complaints),
        openapi=outcomes,
    )
