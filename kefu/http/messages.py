"""The /messages, /notifications and /reports/messages routes: messages to people."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

import falcon
import msgspec

from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.commands.execution import Answer
from kefu.commands.messages import PreviewMessage
from kefu.domain.message import Message
from kefu.domain.templates import UnknownTemplate, render
from kefu.http.aggregates import HistoryResource
from kefu.http.requests import command_context, decode, read_body
from kefu.http.responses import write_json, write_outcome
from kefu.http.routes import ApiApp, Operation

LIST_READERS = frozenset({Role.SERVICE, Role.REPORTER})
WRITERS = frozenset({Role.SERVICE})
FILTERS = {
    "status": "status",
    "template": "template",
    "channel": "channel",
    "rule": "rule",
    "recipient": "recipient_id",
    "recipient_kind": "recipient_kind",
    "day": "day",
}
REPORT_COLUMNS = (
    "day",
    "template",
    "channel",
    "total",
    "queued",
    "sent",
    "delivered",
    "failed",
    "cancelled",
)


def _bad(description: str) -> falcon.HTTPBadRequest:
    return falcon.HTTPBadRequest(title="Bad query parameter", description=description)


class MessageListResource:
    """GET /messages: filtered by status, template, channel, rule, recipient, day; paged by
    `?cursor=<last id>`."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": LIST_READERS}

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        unknown = set(req.params) - set(FILTERS) - {"cursor", "limit"}
        if unknown:
            raise _bad(f"unknown: {', '.join(sorted(unknown))}; known: {', '.join(FILTERS)}")
        given = {name: req.get_param(name) for name in FILTERS}
        where = {FILTERS[name]: value for name, value in given.items() if value is not None}
        limit = req.get_param_as_int("limit", min_value=1, max_value=500, default=100)
        rows = self.services.outbox.messages.page(where, req.get_param("cursor") or "", limit)
        cursor = rows[-1]["id"] if len(rows) == limit else None
        write_json(resp, {"items": rows, "next_cursor": cursor})


class MessageResource:
    """GET /messages/{id}: the message as sent (address, subject, body) and its state;
    POST /messages/{id}/{action}: `delivery-report` (the provider's callback) or `cancel`."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": WRITERS, "POST": WRITERS}

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID) -> None:
        message = self.services.app.load(Message, aggregate_id)
        row = self.services.outbox.messages.get(str(aggregate_id)) or {}
        body = {
            **row,
            "id": message.id,
            "status": message.status,
            "channel": message.channel,
            "address": message.address,
            "subject": message.subject,
            "body": message.body,
            "due_at": message.due_at,
            "attempts": message.attempts,
            "version": message.version,
        }
        write_json(resp, body)
        resp.set_header("ETag", f'"{message.version}"')

    def on_post_action(
        self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID, action: str
    ) -> None:
        commands = self.services.messages
        body = read_body(req)
        command = decode(body, commands.command_for(action))
        outcome = commands.act(aggregate_id, action, command, command_context(req, body))
        write_outcome(resp, outcome)


class PreviewResource:
    """POST /notifications/preview: a template rendered with the given fields."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"POST": WRITERS}

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        preview = decode(read_body(req), PreviewMessage)
        try:
            template = self.services.templates.find(
                preview.template, preview.channel, preview.language
            )
        except UnknownTemplate as e:
            raise msgspec.ValidationError(f"{e} - at `$.template`") from None
        rendered = render(template, preview.fields)
        write_json(resp, {**msgspec.structs.asdict(preview), **_rendered(rendered)})


def _rendered(rendered: Any) -> dict[str, Any]:
    return {"subject": rendered.subject, "body": rendered.body, "missing": rendered.missing}


class TemplatesResource:
    """GET /notifications/templates: every template with the fields it uses."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": LIST_READERS}

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        items = [
            {
                "name": t.name,
                "channel": t.channel,
                "language": t.language,
                "subject": t.subject,
                "body": t.body,
                "fields": t.fields(),
            }
            for t in self.services.templates.all()
        ]
        write_json(resp, {"items": items})


class SendReportResource:
    """GET /reports/messages?from=&to= (dates): 短信发送统计, per day, template and channel;
    `?format=csv` for a spreadsheet."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": LIST_READERS}

    def __init__(self, services: Services) -> None:
        self.services = services

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        first, last = _day(req, "from"), _day(req, "to")
        if first > last:
            raise _bad("from must not be after to")
        found = self.services.outbox.messages.report(first.isoformat(), last.isoformat())
        rows = [_counted(row) for row in found]
        if req.get_param("format") == "csv":
            _write_csv(resp, rows, f"messages-{first}-{last}.csv")
            return
        write_json(resp, {"from": first, "to": last, "rows": rows})


def _counted(row: Any) -> dict[str, Any]:
    """Counts as integers (PostgreSQL sums come back as decimals)."""
    return {k: v if k in ("day", "template", "channel") else int(v) for k, v in row.items()}


def _day(req: falcon.Request, name: str) -> date:
    text = req.get_param(name)
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        raise _bad(f"{name} must be a date like 2030-03-04") from None


def _write_csv(resp: falcon.Response, rows: list[dict[str, Any]], filename: str) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    writer.writerows([row[c] for c in REPORT_COLUMNS] for row in rows)
    resp.content_type = "text/csv; charset=utf-8"
    resp.downloadable_as = filename
    resp.data = out.getvalue().encode()


def add_message_routes(app: ApiApp, s: Services) -> None:
    item, documented = "/messages/{aggregate_id:uuid}", "/messages/{message_id}"
    listing = Operation("Messages to people: status, template, channel, rule, recipient, day")
    app.add_route("/messages", MessageListResource(s), openapi={"/messages": {"get": listing}})
    resource = MessageResource(s)
    reading = Operation("A message as sent (address, subject, body) and its state")
    app.add_route(item, resource, openapi={documented: {"get": reading}})
    actions = {
        f"{documented}/{name}": {"post": Operation(f"Message action: {name}", command, Answer)}
        for name, command in s.messages.action_commands().items()
    }
    app.add_route(f"{item}/{{action}}", resource, suffix="action", openapi=actions)
    events = {f"{documented}/history": {"get": Operation("Every event of the message")}}
    app.add_route(f"{item}/history", HistoryResource(s.app, Message), openapi=events)
    _add_notification_routes(app, s)


def _add_notification_routes(app: ApiApp, s: Services) -> None:
    preview = Operation("A template rendered with fields", PreviewMessage)
    app.add_route(
        "/notifications/preview",
        PreviewResource(s),
        openapi={"/notifications/preview": {"post": preview}},
    )
    templates = Operation("Every template with the fields it uses")
    app.add_route(
        "/notifications/templates",
        TemplatesResource(s),
        openapi={"/notifications/templates": {"get": templates}},
    )
    report = Operation("The send report per day, template and channel (JSON or CSV)")
    app.add_route(
        "/reports/messages", SendReportResource(s), openapi={"/reports/messages": {"get": report}}
    )
