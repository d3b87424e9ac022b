"""Resources shared by every aggregate kind: create, act, read the view, read the history."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

import falcon
import msgspec
from eventsourcing.utils import get_topic

from kefu.application import ServiceDesk
from kefu.audit.records import event_record
from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.commands.actions import AggregateCommands
from kefu.commands.base import Command
from kefu.commands.context import Context
from kefu.commands.execution import Answer, Outcome
from kefu.domain.errors import NotFound
from kefu.http.reading import ReadYourWrites, wait_for_position
from kefu.http.requests import command_context, decode, read_body
from kefu.http.responses import write_json, write_outcome
from kefu.http.routes import ApiApp, Operation, Paths
from kefu.http.scoping import refuse_unseen_references
from kefu.projections.batch import BatchProjection

WRITERS = frozenset({Role.SERVICE})
VIEW_READERS = frozenset({Role.SERVICE, Role.REPORTER})
HISTORY_READERS = frozenset({Role.SERVICE, Role.AUDITOR})

Create = Callable[[Any, Context], Outcome]
Render = Callable[[Any], Any]


class CreateResource:
    """POST /{kind}: decode the creating command, run it, answer 201 with Location.
    GET /{kind}: the kind's list, when it has one."""

    def __init__(
        self, command: type[Command], create: Create, prefix: str, lister: Any = None
    ) -> None:
        self.command = command
        self.create = create
        self.prefix = prefix
        self.lister = lister
        self.roles: dict[str, frozenset[Role]] = {"POST": WRITERS}
        if lister is not None:
            self.roles.update(lister.roles)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if self.lister is None:
            raise falcon.HTTPMethodNotAllowed(["POST"])
        self.lister.on_get(req, resp)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_body(req)
        command = decode(body, self.command)
        refuse_unseen_references(req, command)
        outcome = self.create(command, command_context(req, body))
        write_outcome(resp, outcome, location=f"{self.prefix}/{outcome.answer.id}")


class AggregateResource:
    """GET /{kind}/{id}: the projected view (`?after=` read-your-writes);
    POST /{kind}/{id}/{action}: run one action of the kind's action table."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": VIEW_READERS, "POST": WRITERS}

    def __init__(
        self,
        commands: AggregateCommands[Any],
        projection: BatchProjection[Any],
        read_wait_seconds: float,
        render: Render = msgspec.to_builtins,
    ) -> None:
        self.commands = commands
        self.projection = projection
        self.render = render
        self.read_wait_seconds = read_wait_seconds
        self.kind = commands.kind.__name__.lower()

    def on_get(self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID) -> None:
        head = self.commands.app.recorder.max_notification_id
        wait_for_position(req, self.projection, self.read_wait_seconds, head)
        view = self.projection.view.get(aggregate_id)
        if view is None:
            raise NotFound(self.kind, aggregate_id)
        write_json(resp, self.render(view))
        resp.set_header("ETag", f'"{view.version}"')

    def on_post_action(
        self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID, action: str
    ) -> None:
        command_type = self.commands.command_for(action)
        body = read_body(req)
        command = decode(body, command_type)
        refuse_unseen_references(req, command)
        outcome = self.commands.act(aggregate_id, action, command, command_context(req, body))
        write_outcome(resp, outcome)


def read_your_writes(s: Services, projection: str) -> ReadYourWrites:
    """`?after=` support for the reads of one projection."""
    return ReadYourWrites(
        s.read_models.projection(projection),
        s.settings.read_wait_seconds,
        s.app.recorder.max_notification_id,
    )


def with_overdue(clock: Callable[[], datetime]) -> Render:
    """Renders a view with its `overdue(now)` flags, computed at read time."""

    def render(view: Any) -> dict[str, Any]:
        body: dict[str, Any] = msgspec.to_builtins(view)
        body.update(view.overdue(clock()))
        return body

    return render


class HistoryResource:
    """GET /{kind}/{id}/history: every event in order, with who did it and why."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": HISTORY_READERS}

    def __init__(self, app: ServiceDesk, kind: type[Any]) -> None:
        self.app = app
        self.kind = kind
        self.topic = get_topic(kind)

    def on_get(self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID) -> None:
        events = list(self.app.events.get(aggregate_id))
        if not events or getattr(events[0], "originator_topic", None) != self.topic:
            raise NotFound(self.kind.__name__.lower(), aggregate_id)
        write_json(resp, {"id": aggregate_id, "events": [event_record(e) for e in events]})


def add_aggregate_routes(
    app: ApiApp,
    prefix: str,
    create: CreateResource,
    aggregate: AggregateResource,
    history: HistoryResource,
    *,
    post: str,
    get: str,
) -> None:
    """The four routes of an aggregate kind under `prefix` (e.g. /tickets), each documented;
    `post` and `get` summarise creating one and listing them."""
    item = f"{prefix}/{{aggregate_id:uuid}}"
    documented = f"{prefix}/{{{aggregate.kind}_id}}"  # the id as OpenAPI readers see it
    document = aggregate.projection.view.document
    app.add_route(prefix, create, openapi=_collection_paths(prefix, create, document, post, get))
    reading = Operation(f"The {aggregate.kind} view", answer=document)
    app.add_route(item, aggregate, openapi={documented: {"get": reading}})
    actions = _action_paths(documented, aggregate)
    app.add_route(f"{item}/{{action}}", aggregate, suffix="action", openapi=actions)
    events = Operation(f"Every event of the {aggregate.kind}")
    app.add_route(f"{item}/history", history, openapi={f"{documented}/history": {"get": events}})


def _collection_paths(
    prefix: str, create: CreateResource, document: type, post: str, get: str
) -> Paths:
    operations = {"post": Operation(post, create.command, Answer, 201)}
    if create.lister is not None:
        operations["get"] = Operation(get, page_of=document)
    return {prefix: operations}


def _action_paths(item: str, aggregate: AggregateResource) -> Paths:
    """One path per action that the `{action}` segment can reach (one segment, no slash)."""
    title = aggregate.kind.capitalize()
    return {
        f"{item}/{action}": {"post": Operation(f"{title} action: {action}", command, Answer)}
        for action, command in aggregate.commands.action_commands().items()
        if "/" not in action
    }
