"""RFC 9457 problem responses, mapped once for every error kefu knows."""

from __future__ import annotations

import logging
import re
from typing import Any

import falcon
import msgspec
import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError

from kefu.application import ConcurrentChange, StaleVersion
from kefu.commands.actions import UnknownAction
from kefu.commands.errors import IdempotencyKeyReused, UnknownReference
from kefu.domain.errors import DomainError, NotFound
from kefu.projections.listing import BadCursor, BadFilter
from kefu.projections.reports.ledger import LedgerTooLarge
from kefu.store.availability import is_database_unavailable

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 2
log = logging.getLogger("kefu.http")

_FIELD_PATH = re.compile(r"at `\$\.?([^`]*)`")
_NAMED_FIELD = re.compile(r"(?:missing required|unknown) field `([^`]*)`")


def write_problem(
    resp: falcon.Response, status: int, slug: str, title: str, detail: str, **extra: Any
) -> None:
    """Writes a problem+json body; `type` is a path under /problems documented in docs/api.md."""
    body = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail}
    body.update(extra)
    resp.status = status
    resp.content_type = PROBLEM_JSON
    resp.data = msgspec.json.encode(body)


def serialize_http_error(req: falcon.Request, resp: falcon.Response, ex: falcon.HTTPError) -> None:
    """falcon's own errors (404 no route, 405, 415, 413 ...) as problem+json."""
    title = (ex.title or "Error").removeprefix(str(ex.status_code)).strip()
    slug = title.lower().replace(" ", "-")
    write_problem(resp, ex.status_code, slug, title, ex.description or title)
    resp.set_headers(ex.headers or {})


def _domain(req: falcon.Request, resp: falcon.Response, ex: DomainError, _: Any) -> None:
    allowed = ", ".join(ex.allowed_now) or "nothing (terminal state)"
    write_problem(
        resp,
        409,
        "rule-violated",
        "Not allowed now",
        f"{ex.message}; allowed now: {allowed}",
        allowed_now=list(ex.allowed_now),
    )


def _not_found(req: falcon.Request, resp: falcon.Response, ex: NotFound, _: Any) -> None:
    write_problem(resp, 404, "not-found", "Not found", str(ex))


def _unknown_action(req: falcon.Request, resp: falcon.Response, ex: UnknownAction, _: Any) -> None:
    write_problem(resp, 404, "not-found", "Not found", str(ex))


def _unknown_reference(
    req: falcon.Request, resp: falcon.Response, ex: UnknownReference, _: Any
) -> None:
    write_problem(
        resp,
        422,
        "unknown-reference",
        "Unknown reference",
        ex.message,
        errors=[{"field": ex.field, "message": ex.message}],
    )


def _stale(req: falcon.Request, resp: falcon.Response, ex: StaleVersion, _: Any) -> None:
    write_problem(
        resp, 412, "stale-version", "Precondition failed", str(ex), current_version=ex.actual
    )
    resp.set_header("ETag", f'"{ex.actual}"')


def _concurrent(req: falcon.Request, resp: falcon.Response, ex: ConcurrentChange, _: Any) -> None:
    write_problem(resp, 409, "concurrent-change", "Changed concurrently", str(ex))


def _reused(req: falcon.Request, resp: falcon.Response, ex: IdempotencyKeyReused, _: Any) -> None:
    write_problem(resp, 422, "idempotency-key-reused", "Idempotency-Key reused", str(ex))


def _invalid(
    req: falcon.Request, resp: falcon.Response, ex: msgspec.ValidationError, _: Any
) -> None:
    message = str(ex)
    path, named = _FIELD_PATH.search(message), _NAMED_FIELD.search(message)
    field = ".".join(m.group(1) for m in (path, named) if m and m.group(1))
    write_problem(
        resp,
        422,
        "invalid-body",
        "Invalid request body",
        message,
        errors=[{"field": field, "message": _FIELD_PATH.sub("", message).rstrip(" -")}],
    )


def _bad_query(
    req: falcon.Request, resp: falcon.Response, ex: BadFilter | LedgerTooLarge, _: Any
) -> None:
    write_problem(resp, 400, "bad-query-parameter", "Bad query parameter", str(ex))


def _bad_cursor(req: falcon.Request, resp: falcon.Response, ex: BadCursor, _: Any) -> None:
    write_problem(resp, 400, "bad-cursor", "Bad cursor", str(ex))


def _malformed(req: falcon.Request, resp: falcon.Response, ex: msgspec.DecodeError, _: Any) -> None:
    write_problem(resp, 400, "malformed-json", "Malformed JSON", str(ex))


def database_unavailable(resp: falcon.Response) -> None:
    """503 with Retry-After: the database did not answer in time; nothing was changed."""
    write_problem(
        resp,
        503,
        "database-unavailable",
        "Database unavailable",
        "the database did not answer in time; nothing was changed, retry shortly",
    )
    resp.set_header("Retry-After", str(RETRY_AFTER_SECONDS))


def _database(req: falcon.Request, resp: falcon.Response, ex: Exception, params: Any) -> None:
    if not is_database_unavailable(ex):  # a driver error that is a bug, not an outage
        _unexpected(req, resp, ex, params)
        return
    log.warning("database unavailable on %s %s: %s", req.method, req.path, ex)
    database_unavailable(resp)


def _unexpected(req: falcon.Request, resp: falcon.Response, ex: Exception, _: Any) -> None:
    log.exception("unhandled error on %s %s", req.method, req.path)
    write_problem(resp, 500, "internal-error", "Internal error", "the error was logged")


def add_problem_handlers(app: falcon.App[falcon.Request, falcon.Response]) -> None:
    """Most general first: falcon picks the most specific handler for each error."""
    app.set_error_serializer(serialize_http_error)
    app.add_error_handler(Exception, _unexpected)
    app.add_error_handler(DomainError, _domain)
    app.add_error_handler(NotFound, _not_found)
    app.add_error_handler(UnknownAction, _unknown_action)
    app.add_error_handler(UnknownReference, _unknown_reference)
    app.add_error_handler(StaleVersion, _stale)
    app.add_error_handler(ConcurrentChange, _concurrent)
    app.add_error_handler(IdempotencyKeyReused, _reused)
    app.add_error_handler(BadFilter, _bad_query)
    app.add_error_handler(LedgerTooLarge, _bad_query)  # a range too wide to list case by case
    app.add_error_handler(BadCursor, _bad_cursor)
    app.add_error_handler(msgspec.DecodeError, _malformed)
    app.add_error_handler(msgspec.ValidationError, _invalid)
    for outage in (OperationalError, InterfaceError, psycopg.Error):
        app.add_error_handler(outage, _database)
