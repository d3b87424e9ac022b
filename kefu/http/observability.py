"""Request ids, correlation ids, one JSON log line and the metrics of every request.

`X-Request-ID` names one HTTP exchange: a caller's (or proxy's) value is kept when it is 1 to 128
characters of `A-Z a-z 0-9 . _ ~ : + / = -`; anything else is replaced by a fresh id rather than
refused, since a proxy's odd id must not break the request. `X-Correlation-ID` names the business
conversation: a UUID, stored on every event the request records; one is made when absent.
Both are echoed on the answer. A bad correlation id is refused by the commands (400).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

import falcon

from kefu import metrics
from kefu.http.jsonlog import json_logger

REQUEST_ID = re.compile(r"^[A-Za-z0-9._~:+/=-]{1,128}$")
COMMAND_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Route parameters whose values are a fixed vocabulary (the action tables), so they may name a
# command kind; every other parameter (ids) would make labels without bound.
KIND_PARAMS = ("action", "outcome")


class ObservabilityMiddleware:
    """Times each request; logs it as JSON; counts it by route template, status and command."""

    def __init__(self, pool_stats: Any = None, log: logging.Logger | None = None) -> None:
        self.pool_stats = pool_stats
        self.log = log or json_logger("kefu.requests")

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.started = time.perf_counter()
        req.context.request_id = _request_id(req.get_header("X-Request-ID"))
        req.context.correlation_id = _correlation_id(req.get_header("X-Correlation-ID"))
        req.context.route_params = {}

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]
    ) -> None:
        req.context.route_params = params

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, req_succeeded: bool
    ) -> None:
        ctx = req.context
        resp.set_header("X-Request-ID", ctx.request_id)
        if ctx.correlation_id is not None:
            resp.set_header("X-Correlation-ID", str(ctx.correlation_id))
        seconds = time.perf_counter() - ctx.started
        route = req.uri_template or "(unmatched)"
        status = resp.status_code
        metrics.REQUESTS.labels(req.method, route, str(status)).inc()
        metrics.REQUEST_SECONDS.labels(req.method, route).observe(seconds)
        self._record_pool()
        line = _log_line(req, route, status, seconds)
        self.log.info("request", extra={"json": line})
        if req.method in COMMAND_METHODS and req.uri_template is not None:
            self._record_command(req, resp, line)

    def _record_command(
        self, req: falcon.Request, resp: falcon.Response, line: dict[str, Any]
    ) -> None:
        kind = command_kind(req.method, req.uri_template or "", req.context.route_params)
        outcome = command_outcome(resp)
        metrics.record_command(kind, outcome)
        command_id = getattr(req.context, "command_id", None)
        extra = {"kind": kind, "outcome": outcome, "command_id": command_id and str(command_id)}
        self.log.info("command", extra={"json": {**line, **extra, "event": "command"}})

    def _record_pool(self) -> None:
        if self.pool_stats is not None:
            metrics.record_pool(self.pool_stats())


def command_kind(method: str, template: str, params: dict[str, Any]) -> str:
    """`POST /tickets/{aggregate_id:uuid}/dispatch`: the template with its action filled in."""
    for name in KIND_PARAMS:
        if isinstance(params.get(name), str):
            template = template.replace("{" + name + "}", params[name])
    return f"{method} {template}"


def command_outcome(resp: falcon.Response) -> str:
    if resp.status_code >= 500:
        return "failed"
    if resp.status_code >= 400:
        return "refused"
    return "replayed" if resp.get_header("Idempotent-Replayed") else "accepted"


def _log_line(req: falcon.Request, route: str, status: int, seconds: float) -> dict[str, Any]:
    caller = getattr(req.context, "caller", None)
    correlation = req.context.correlation_id
    return {
        "event": "request",
        "request_id": req.context.request_id,
        "correlation_id": correlation and str(correlation),
        "actor": caller.actor_id if caller is not None else None,
        "method": req.method,
        "route": route,
        "path": req.path,
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
    }


def _request_id(value: str | None) -> str:
    if value is not None and REQUEST_ID.match(value):
        return value
    return uuid.uuid4().hex


def _correlation_id(value: str | None) -> uuid.UUID | None:
    if value is None:
        return uuid.uuid4()
    try:
        return uuid.UUID(value)
    except ValueError:
        return None  # commands refuse it with 400; reads ignore it
