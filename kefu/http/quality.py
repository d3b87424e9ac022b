"""The quality-inspection routes (坐席质检): /scorecards, /samplings, /inspections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar
from uuid import UUID

import falcon
import msgspec

from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.commands.base import Command
from kefu.commands.execution import Answer
from kefu.commands.quality import CreateScorecard, DrawSample
from kefu.domain.errors import NotFound
from kefu.domain.inspection import Inspection
from kefu.domain.sampling import Sampling
from kefu.domain.scorecard import Scorecard
from kefu.http.aggregates import (
    VIEW_READERS,
    AggregateResource,
    CreateResource,
    HistoryResource,
    read_your_writes,
)
from kefu.http.listing import ListResource, Param, time_param
from kefu.http.reading import ReadYourWrites, wait_for_position
from kefu.http.responses import write_json
from kefu.http.routes import ApiApp, Operation
from kefu.projections.quality_document import InspectionDocument

PROJECTION = "quality_views"


class SideList:
    """GET /scorecards?status= or /samplings?week=: every scorecard or draw, by id."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": VIEW_READERS}

    def __init__(
        self, list_: Callable[[str | None], list[Any]], param: str, wait: ReadYourWrites
    ) -> None:
        self.list_ = list_
        self.param = param
        self.wait = wait

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        unknown = set(req.params) - {self.param, "after"}
        if unknown:
            raise falcon.HTTPBadRequest(
                title="Unknown query parameter", description=f"known: {self.param}, after"
            )
        self.wait(req)
        write_json(resp, {"items": self.list_(req.get_param(self.param))})


class SideRecord(AggregateResource):
    """GET /scorecards/{id} or /samplings/{id} (and the scorecard's actions)."""

    def __init__(self, s: Services, kind: str, get: Callable[[UUID], Any]) -> None:
        super().__init__(s.scorecards, s.read_models.projection(PROJECTION), 0.0)
        self.read_wait_seconds = s.settings.read_wait_seconds
        self.kind_name = kind
        self.get = get

    def on_get(self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID) -> None:
        head = self.commands.app.recorder.max_notification_id
        wait_for_position(req, self.projection, self.read_wait_seconds, head)
        found = self.get(aggregate_id)
        if found is None:
            raise NotFound(self.kind_name, aggregate_id)
        write_json(resp, msgspec.to_builtins(found))
        resp.set_header("ETag", f'"{found.version}"')


def add_quality_routes(app: ApiApp, s: Services) -> None:
    view = s.read_models.quality
    wait = read_your_writes(s, PROJECTION)
    _add_side(app, s, "/scorecards", "scorecard", CreateScorecard, s.scorecards.add,
              SideList(view.scorecards, "status", wait), SideRecord(s, "scorecard", view.scorecard),
              Scorecard)  # fmt: skip
    _add_side(app, s, "/samplings", "sampling", DrawSample, s.inspections.draw,
              SideList(view.samplings, "week", wait), SideRecord(s, "sampling", view.sampling),
              Sampling)  # fmt: skip
    scorecard_actions = {
        f"/scorecards/{{scorecard_id}}/{action}": {
            "post": Operation(f"Scorecard action: {action}", command, Answer)
        }
        for action, command in s.scorecards.action_commands().items()
    }
    app.add_route(
        "/scorecards/{aggregate_id:uuid}/{action}",
        SideRecord(s, "scorecard", view.scorecard),
        suffix="action",
        openapi=scorecard_actions,
    )
    _add_inspections(app, s, wait)


def _add_side(
    app: ApiApp,
    s: Services,
    prefix: str,
    kind: str,
    command: type[Command],
    create: Any,
    lister: SideList,
    record: SideRecord,
    aggregate: type[Any],
) -> None:
    """A collection kept beside the inspections: create and list, one record, its history."""
    item = f"{prefix}/{{{kind}_id}}"
    collection = {
        "post": Operation(f"Add a {kind}", command, Answer, 201),
        "get": Operation(f"List the {kind}s"),
    }
    app.add_route(prefix, CreateResource(command, create, prefix, lister),
                  openapi={prefix: collection})  # fmt: skip
    app.add_route(f"{prefix}/{{aggregate_id:uuid}}", record,
                  openapi={item: {"get": Operation(f"One {kind}")}})  # fmt: skip
    history = {f"{item}/history": {"get": Operation(f"Every event of the {kind}")}}
    app.add_route(f"{prefix}/{{aggregate_id:uuid}}/history", HistoryResource(s.app, aggregate),
                  openapi=history)  # fmt: skip


def _add_inspections(app: ApiApp, s: Services, wait: ReadYourWrites) -> None:
    """Inspections are created only by a draw (POST /samplings), never one by one."""
    inspection = AggregateResource(
        s.inspections, s.read_models.projection(PROJECTION), s.settings.read_wait_seconds
    )
    item = "/inspections/{inspection_id}"
    listing = {"/inspections": {"get": Operation("List inspections", page_of=InspectionDocument)}}
    app.add_route("/inspections", _inspection_list(s, wait), openapi=listing)
    reading = {item: {"get": Operation("One inspection", answer=InspectionDocument)}}
    app.add_route("/inspections/{aggregate_id:uuid}", inspection, openapi=reading)
    actions = {
        f"{item}/{action}": {"post": Operation(f"Inspection action: {action}", command, Answer)}
        for action, command in s.inspections.action_commands().items()
    }
    app.add_route("/inspections/{aggregate_id:uuid}/{action}", inspection, suffix="action",
                  openapi=actions)  # fmt: skip
    history = {f"{item}/history": {"get": Operation("Every event of the inspection")}}
    app.add_route("/inspections/{aggregate_id:uuid}/history",
                  HistoryResource(s.app, Inspection), openapi=history)  # fmt: skip


def _inspection_list(s: Services, wait: ReadYourWrites) -> ListResource:
    params = [
        Param("agent", "agent_id"),
        Param("inspector", "inspector_id"),
        Param("status", "status"),
        Param("sampling", "sampling_id"),
        Param("case_kind", "case_kind"),
        Param("scored_from", "scored_at", "ge", time_param),
        Param("scored_to", "scored_at", "lt", time_param),
    ]
    sorts = {"assigned": "assigned_at", "scored": "scored_at"}
    return ListResource(s.read_models.quality, params, sorts, wait=wait)
