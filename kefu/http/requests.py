"""Reading a command request: its JSON body, its fingerprint and its command context."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any, TypeVar

import falcon
import msgspec
from gunicorn.http.errors import ParseException

from kefu.commands.base import Command
from kefu.commands.context import Context

MAX_BODY_BYTES = 1024 * 1024
MAX_KEY_LENGTH = 200
_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')

TCommand = TypeVar("TCommand", bound=Command)


def read_body(req: falcon.Request) -> bytes:
    """The raw body, whatever its framing (Content-Length or chunked): 413 above 1 MiB, 415
    unless JSON (an empty body is taken as `{}`), 411 for a chunked body the server cannot
    end for us."""
    if req.content_length is not None and req.content_length > MAX_BODY_BYTES:
        raise falcon.HTTPContentTooLarge(description="the body must be at most 1 MiB")
    body = _raw_body(req)
    if len(body) > MAX_BODY_BYTES:
        raise falcon.HTTPContentTooLarge(description="the body must be at most 1 MiB")
    if not body.strip():
        return b"{}"
    media = (req.content_type or "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise falcon.HTTPUnsupportedMediaType(description="send the body as application/json")
    return body


def _raw_body(req: falcon.Request) -> bytes:
    # falcon's bounded stream reads Content-Length bytes: none at all for a chunked body.
    if req.content_length is not None or not _is_chunked(req):
        return req.bounded_stream.read(MAX_BODY_BYTES + 1)
    if not _stream_ends_itself(req.env):
        raise falcon.HTTPLengthRequired(description="send the body with a Content-Length")
    try:
        return req.stream.read(MAX_BODY_BYTES + 1)
    except (OSError, ParseException):  # a bad chunk size or terminator; a client gone
        raise falcon.HTTPBadRequest(
            title="Malformed body", description="the chunked body is malformed"
        ) from None


def _is_chunked(req: falcon.Request) -> bool:
    return "chunked" in (req.get_header("Transfer-Encoding") or "").lower()


def _stream_ends_itself(env: dict[str, Any]) -> bool:
    """Whether reading the input past the body returns b"" instead of blocking: servers say
    so with `wsgi.input_terminated`; gunicorn's input does it without saying."""
    software = str(env.get("SERVER_SOFTWARE", ""))
    return bool(env.get("wsgi.input_terminated")) or software.startswith("gunicorn")


def decode(body: bytes, command: type[TCommand]) -> TCommand:
    """The body as a command Struct; msgspec's errors become 400/422 problems."""
    try:
        return msgspec.json.decode(body, type=command)
    except UnicodeDecodeError as e:
        raise msgspec.DecodeError(f"JSON is malformed: invalid UTF-8 ({e.reason})") from None


def command_context(req: falcon.Request, body: bytes) -> Context:
    """Who sent the command and why, from the token and headers, never from the body."""
    caller = req.context.caller
    ctx = Context(
        actor_id=caller.actor_id,
        actor_role=str(caller.role),
        command_id=uuid.uuid4(),
        correlation_id=_correlation_id(req),
        causation_id=_uuid_header(req, "X-Causation-ID"),
        channel=(req.get_header("X-Channel") or "api")[:40],
        idempotency_key=_idempotency_key(req),
        request_fingerprint=hashlib.sha256(
            req.method.encode() + b" " + req.path.encode() + b"\n" + body
        ).hexdigest(),
        expected_version=_if_match(req),
        sent_by=caller.sent_by,
    )
    req.context.command_id = ctx.command_id  # for the command's log line
    return ctx


def _correlation_id(req: falcon.Request) -> uuid.UUID:
    """The id the observability middleware echoes (made there when absent), else the header's."""
    known = getattr(req.context, "correlation_id", None)
    return known or _uuid_header(req, "X-Correlation-ID") or uuid.uuid4()


def _uuid_header(req: falcon.Request, name: str) -> uuid.UUID | None:
    value = req.get_header(name)
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise falcon.HTTPBadRequest(
            title="Bad header", description=f"{name} must be a UUID"
        ) from None


def _idempotency_key(req: falcon.Request) -> str | None:
    key = req.get_header("Idempotency-Key")
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise falcon.HTTPBadRequest(
            title="Bad header", description=f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} chars"
        )
    return key


def _if_match(req: falcon.Request) -> int | None:
    value = req.get_header("If-Match")
    if value is None:
        return None
    match = _IF_MATCH.match(value)
    if match is None:
        raise falcon.HTTPBadRequest(
            title="Bad header", description='If-Match must be a version such as "3"'
        )
    return int(match.group(1))
