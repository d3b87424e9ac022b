"""The /audit endpoints: histories, state at a moment, diffs, actors' trails, and reads.

Only auditors and admins reach them, and every read is itself recorded in the event log.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

import falcon

from kefu.audit.access_tables import AccessQuery
from kefu.audit.history import diff, state_at, stream_events
from kefu.audit.log_reading import verify_all
from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.commands.access import AccessLog
from kefu.commands.execution import CommandRunner
from kefu.http.params import MAX_QUERY_INT, rfc3339
from kefu.http.requests import command_context
from kefu.http.responses import write_json
from kefu.http.routes import ApiApp, Operation
from kefu.projections.actor_events import Window
from kefu.store.chain import format_digest, parse_digest

AUDITORS = frozenset({Role.AUDITOR})
ADMINS = frozenset[Role]()  # admin is always allowed


def _time(req: falcon.Request, name: str) -> datetime | None:
    text = req.get_param(name)
    return None if text is None else rfc3339(name, text)


def _window(req: falcon.Request) -> Window:
    return Window(
        since=_time(req, "from"),
        until=_time(req, "to"),
        limit=req.get_param_as_int("limit", min_value=1, max_value=1000, default=100),
        after=req.get_param_as_int("cursor", min_value=0, max_value=MAX_QUERY_INT, default=0),
    )


class _Audited:
    """Base of every audit resource: records the read, then answers."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": AUDITORS}

    def __init__(self, services: Services, access: AccessLog) -> None:
        self.services = services
        self.access = access

    def answer(
        self, req: falcon.Request, resp: falcon.Response, stream: UUID | None, body: Any
    ) -> None:
        write_json(resp, body)
        request = req.relative_uri
        self.access.record(command_context(req, b""), str(stream) if stream else None, request)


class StreamEventsResource(_Audited):
    def on_get(self, req: falcon.Request, resp: falcon.Response, stream_id: UUID) -> None:
        events = stream_events(self.services.app, stream_id, _time(req, "from"), _time(req, "to"))
        self.answer(req, resp, stream_id, {"id": stream_id, "events": events})


class StreamStateResource(_Audited):
    def on_get(self, req: falcon.Request, resp: falcon.Response, stream_id: UUID) -> None:
        at, version = (
            _time(req, "at"),
            req.get_param_as_int("version", min_value=1, max_value=MAX_QUERY_INT),
        )
        if (at is None) == (version is None):
            raise falcon.HTTPBadRequest(
                title="Bad query parameter", description="give exactly one of at= or version="
            )
        self.answer(req, resp, stream_id, state_at(self.services.app, stream_id, at, version))


class StreamDiffResource(_Audited):
    def on_get(self, req: falcon.Request, resp: falcon.Response, stream_id: UUID) -> None:
        v1 = req.get_param_as_int("from", required=True, min_value=1, max_value=MAX_QUERY_INT)
        v2 = req.get_param_as_int("to", required=True, min_value=1, max_value=MAX_QUERY_INT)
        self.answer(req, resp, stream_id, diff(self.services.app, stream_id, v1, v2))


class ActorEventsResource(_Audited):
    def on_get(self, req: falcon.Request, resp: falcon.Response, actor_id: str) -> None:
        window = _window(req)
        rows = self.services.read_models.actor_events.by_actor(actor_id, window)
        self.answer(req, resp, None, _page(rows, window))


class VerificationResource(_Audited):
    """GET /audit/verify?digest=: `kefu audit verify` over HTTP — the whole log and its chains
    re-computed (a walk of every event: seconds per million), snapshots checked, the findings."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        text = req.get_param("digest")
        try:
            published = parse_digest(text) if text else None
        except ValueError as e:
            raise falcon.HTTPBadRequest(title="Bad query parameter", description=str(e)) from None
        app = self.services.app
        result = verify_all(app, self.services.access_log.store, published)
        body = {
            "ok": result.ok,
            "keyed_from": result.keyed_from,
            "missing_keys": sorted(result.missing_keys),
            "checked": result.checked,
            "head": format_digest(result.head_position, result.head_hash),
            "extends_digest": result.extends_digest,
            "findings": [
                {"kind": f.kind, "stream": f.stream, "version": f.version, "position": f.position}
                for f in result.findings
            ],
        }
        self.answer(req, resp, None, body)


class ReadsResource(_Audited):
    """GET /audit/reads: who read what through the audit endpoints (admins only)."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": ADMINS}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        window = _window(req)
        rows = self.services.read_models.actor_events.reads(req.get_param("actor"), window)
        self.answer(req, resp, None, _page(rows, window))


class AccessLogResource(_Audited):
    """GET /audit/access: who read which customer file, timeline, ticket or complaint, and
    which personal fields they saw (?record=, ?actor=, ?from=, ?to=, ?limit=, ?cursor=)."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = AccessQuery(
            record_id=_record(req.get_param("record")),
            actor_id=req.get_param("actor"),
            since=_time(req, "from"),
            until=_time(req, "to"),
            limit=req.get_param_as_int("limit", min_value=1, max_value=1000, default=100),
            cursor=_access_cursor(req.get_param("cursor")),
        )
        rows = self.services.access_log.store.page(query)
        items = [
            {
                "at": row["at"],
                "actor_id": row["actor_id"],
                "actor_role": row["actor_role"],
                "kind": row["kind"],
                "records": [i for i in row["records"].split(",") if i],
                "route": row["route"],
                "fields": row["fields"].split(",") if row["fields"] else [],
            }
            for row in rows
        ]
        more = len(rows) == query.limit
        cursor = f"{rows[-1]['batch']}-{rows[-1]['n']}" if more else None
        self.answer(req, resp, None, {"items": items, "next_cursor": cursor})


def _record(text: str | None) -> str | None:
    try:
        return None if text is None else str(UUID(text))
    except ValueError:
        raise falcon.HTTPBadRequest(
            title="Bad query parameter", description="record: a record's id (a UUID)"
        ) from None


def _access_cursor(text: str | None) -> tuple[int, int]:
    if text is None:
        return 0, 0
    batch, _, n = text.partition("-")
    if not (batch.isdecimal() and n.isdecimal()) or int(batch) > MAX_QUERY_INT:
        raise falcon.HTTPBadRequest(
            title="Bad query parameter", description="cursor: give the next_cursor of a page"
        )
    return int(batch), min(int(n), MAX_QUERY_INT)


def _page(rows: list[dict[str, Any]], window: Window) -> dict[str, Any]:
    more = len(rows) == window.limit
    return {"items": rows, "next_cursor": rows[-1]["position"] if more else None}


def add_audit_routes(app: ApiApp, s: Services) -> None:
    access = AccessLog(CommandRunner(s.app, s.clock))
    routes: dict[str, tuple[Callable[[Services, AccessLog], _Audited], str]] = {
        "/audit/streams/{stream_id:uuid}/events": (
            StreamEventsResource,
            "Every event of a record (auditors)",
        ),
        "/audit/streams/{stream_id:uuid}/state": (
            StreamStateResource,
            "A record as it stood at=/version=",
        ),
        "/audit/streams/{stream_id:uuid}/diff": (
            StreamDiffResource,
            "What changed between two versions",
        ),
        "/audit/actors/{actor_id}/events": (ActorEventsResource, "What one actor did"),
        "/audit/reads": (ReadsResource, "Who read what through /audit (admins)"),
        "/audit/access": (AccessLogResource, "Who read which personal data (access log)"),
        "/audit/verify": (VerificationResource, "Re-compute the hash chains (?digest=)"),
    }
    for template, (resource, summary) in routes.items():
        documented = {template.replace(":uuid", ""): {"get": Operation(summary)}}
        app.add_route(template, resource(s, access), openapi=documented)
