"""The /tickets resources: commands in, views and history out."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

import falcon
import msgspec

from kefu.bootstrap import Services
from kefu.commands.tickets import TICKET_ACTIONS, OpenTicket
from kefu.domain.errors import NotFound
from kefu.domain.ticket import Ticket
from kefu.domain.ticket_lifecycle import TicketAction
from kefu.http.auth import Role
from kefu.http.reading import wait_for_position
from kefu.http.requests import command_context, decode, read_body
from kefu.http.responses import write_json, write_outcome
from kefu.projections.ticket_view import TicketView

WRITERS = frozenset({Role.SERVICE})
VIEW_READERS = frozenset({Role.SERVICE, Role.REPORTER})
HISTORY_READERS = frozenset({Role.SERVICE, Role.AUDITOR})


class TicketsResource:
    """POST /tickets opens a ticket."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"POST": WRITERS}

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_body(req)
        command = decode(body, OpenTicket)
        outcome = self.services.tickets.open(command, command_context(req, body))
        write_outcome(resp, outcome, location=f"/tickets/{outcome.answer.id}")


class TicketResource:
    """GET /tickets/{id} (the projected view) and POST /tickets/{id}/{action}."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": VIEW_READERS, "POST": WRITERS}

    def __init__(self, services: Services) -> None:
        self.services = services
        self.projection = services.read_models.projections[0]

    def on_get(self, req: falcon.Request, resp: falcon.Response, ticket_id: UUID) -> None:
        wait_for_position(req, self.projection, self.services.settings.read_wait_seconds)
        view = self.services.read_models.tickets.get(ticket_id)
        if view is None:
            raise NotFound("ticket", ticket_id)
        write_json(resp, _with_flags(view, self.services))
        resp.set_header("ETag", f'"{view.version}"')

    def on_post_action(
        self, req: falcon.Request, resp: falcon.Response, ticket_id: UUID, action: str
    ) -> None:
        try:
            ticket_action = TicketAction(action)
        except ValueError:
            raise falcon.HTTPNotFound(
                title="Not found",
                description=f"no ticket action {action!r}; actions: "
                + ", ".join(a.value for a in TicketAction),
            ) from None
        body = read_body(req)
        command = decode(body, TICKET_ACTIONS[ticket_action][0])
        ctx = command_context(req, body)
        write_outcome(resp, self.services.tickets.act(ticket_id, ticket_action, command, ctx))


class TicketHistoryResource:
    """GET /tickets/{id}/history: every event in order, with who did it and why."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": HISTORY_READERS}

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response, ticket_id: UUID) -> None:
        events = list(self.services.app.events.get(ticket_id))
        if not events or not isinstance(events[0], Ticket.Opened):
            raise NotFound("ticket", ticket_id)
        write_json(resp, {"id": ticket_id, "events": [event_record(e) for e in events]})


_ENVELOPE = {"originator_id", "originator_version", "timestamp", "meta", "originator_topic"}


def event_record(event: Any) -> dict[str, Any]:
    """One event as an auditor reads it: type, version, time, metadata and data."""
    return {
        "version": event.originator_version,
        "type": type(event).__qualname__.split(".")[-1],
        "at": event.timestamp,
        "metadata": msgspec.to_builtins(event.meta),
        "data": msgspec.to_builtins({k: v for k, v in vars(event).items() if k not in _ENVELOPE}),
    }


def _with_flags(view: TicketView, services: Services) -> dict[str, Any]:
    body: dict[str, Any] = msgspec.to_builtins(view)
    body.update(view.overdue(services.clock()))
    return body
