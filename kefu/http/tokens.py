"""The /tokens routes (admin): managed API tokens, issued, listed, expired, revoked, rotated.

The bearer token is in the answer that made it (issue, rotate) and nowhere else."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

import falcon
import msgspec

from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.commands.execution import Answer
from kefu.commands.tokens import IssueToken, RotateToken, TokenCommands, WithSecret
from kefu.domain.access_token import AccessToken
from kefu.http.aggregates import AggregateResource, HistoryResource, read_your_writes
from kefu.http.listing import ListResource, Param
from kefu.http.requests import command_context, decode, read_body
from kefu.http.responses import write_json
from kefu.http.routes import ApiApp, Operation
from kefu.projections.token_document import TokenDocument
from kefu.projections.token_use import TokenUseView

ADMIN_ONLY = frozenset[Role]()  # the middleware always lets admin through


class TokenAnswer(msgspec.Struct, frozen=True):
    """A command's answer with the bearer token it made: shown this once, never stored
    (null on a keyed retry, which answers the first answer's id and version)."""

    id: UUID
    version: int
    status: str
    position: int
    token: str | None


def _write_with_secret(resp: falcon.Response, made: WithSecret, location: str = "") -> None:
    answer = made.outcome.answer
    body = TokenAnswer(answer.id, answer.version, answer.status, answer.position, made.token)
    write_json(resp, body, made.outcome.status_code)
    resp.set_header("ETag", f'"{answer.version}"')
    resp.cache_control = ["no-store"]
    if location:
        resp.set_header("Location", location)
    if made.outcome.replayed:
        resp.set_header("Idempotent-Replayed", "true")


class IssueResource:
    """POST /tokens: issue a token, answered once with it; GET /tokens: the list."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY}

    def __init__(self, commands: TokenCommands, lister: ListResource) -> None:
        self.commands = commands
        self.lister = lister

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.lister.on_get(req, resp)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body = read_body(req)
        made = self.commands.issue(decode(body, IssueToken), command_context(req, body))
        _write_with_secret(resp, made, f"/tokens/{made.outcome.answer.id}")


class RotateResource:
    """POST /tokens/{id}/rotate: a new secret, answered once; the old one is refused at once
    or after `overlap_seconds`."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"POST": ADMIN_ONLY}

    def __init__(self, commands: TokenCommands) -> None:
        self.commands = commands

    def on_post(self, req: falcon.Request, resp: falcon.Response, aggregate_id: UUID) -> None:
        body = read_body(req)
        made = self.commands.rotate(
            aggregate_id, decode(body, RotateToken), command_context(req, body)
        )
        _write_with_secret(resp, made)


class TokenResource(AggregateResource):
    """GET /tokens/{id}: the token; POST /tokens/{id}/expire|revoke (admin)."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": ADMIN_ONLY, "POST": ADMIN_ONLY}


class TokenHistory(HistoryResource):
    """GET /tokens/{id}/history: every change, with the admin who made it (admin, auditor)."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": frozenset({Role.AUDITOR})}


def with_last_use(uses: TokenUseView) -> Any:
    """Renders a token document with the time it was last used (noted once a minute)."""

    def render(doc: TokenDocument) -> Any:
        used: datetime | None = uses.last_used([doc.id]).get(doc.id)
        return msgspec.to_builtins(msgspec.structs.replace(doc, last_used_at=used))

    return render


def add_token_routes(app: ApiApp, s: Services) -> None:
    render = with_last_use(s.read_models.token_use)
    lister = ListResource(
        s.read_models.tokens,
        [Param("status", "status"), Param("actor_id", "actor_id")],
        {"issued": "issued_at"},
        render=render,
        wait=read_your_writes(s, "token_views"),
    )
    projection = s.read_models.projection("token_views")
    item = TokenResource(s.managed_tokens, projection, s.settings.read_wait_seconds, render)
    item.kind = "token"
    history = TokenHistory(s.app, AccessToken)
    documented = "/tokens/{token_id}"
    app.add_route(
        "/tokens",
        IssueResource(s.managed_tokens, lister),
        openapi={
            "/tokens": {
                "post": Operation("Issue an API token (admin)", IssueToken, TokenAnswer, 201),
                "get": Operation("Managed API tokens, never their secrets", page_of=TokenDocument),
            }
        },
    )
    reading = Operation("The token (never its secret)", answer=TokenDocument)
    app.add_route("/tokens/{aggregate_id:uuid}", item, openapi={documented: {"get": reading}})
    actions = {
        f"{documented}/{name}": {"post": Operation(f"Token action: {name}", command, Answer)}
        for name, command in s.managed_tokens.action_commands().items()
    }
    app.add_route("/tokens/{aggregate_id:uuid}/{action}", item, suffix="action", openapi=actions)
    rotate = Operation("Token action: rotate (the answer holds the new token)", RotateToken)
    app.add_route(
        "/tokens/{aggregate_id:uuid}/rotate",
        RotateResource(s.managed_tokens),
        openapi={f"{documented}/rotate": {"post": replace(rotate, answer=TokenAnswer)}},
    )
    events = Operation("Every event of the token (admin, auditor)")
    app.add_route(
        "/tokens/{aggregate_id:uuid}/history",
        history,
        openapi={f"{documented}/history": {"get": events}},
    )
