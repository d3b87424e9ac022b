"""Managed API token commands (admin) and their handlers: issue, expire, revoke, rotate.

The secret is made here, put into the bearer token (`kefu_<id>_<secret>`) and returned once
with the answer; the record keeps its SHA-256 only. A keyed retry of an issue or a rotation
answers the first answer's id and version without a token: the token was never stored.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID, uuid4

import msgspec
from eventsourcing.domain import Aggregate

from kefu.application import ServiceDesk
from kefu.auth import Role
from kefu.commands.actions import ActionTable, AggregateCommands, Env, action
from kefu.commands.agents import Group
from kefu.commands.base import Command, Name, Text
from kefu.commands.context import Context
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.policies import Policies
from kefu.commands.references import InDepartment, Reference
from kefu.domain.access_token import MAX_OVERLAP, AccessToken, TokenAction, compose, digest
from kefu.domain.metadata import EventMetadata

SECRET_BYTES = 32
Actor = Annotated[str, msgspec.Meta(min_length=1, max_length=120, pattern=r"^[^\s:,]+$")]
AwareTime = Annotated[datetime, msgspec.Meta(tz=True)]
OverlapSeconds = Annotated[int, msgspec.Meta(ge=0, le=int(MAX_OVERLAP.total_seconds()))]


class IssueToken(Command, frozen=True):
    """A token for `actor_id` in one role; `departments` and `queues` scope it (left out:
    unscoped); `may_delegate` lets it send X-On-Behalf-Of; no `expires_at`: until revoked."""

    actor_id: Actor
    role: Role
    label: Name
    departments: Annotated[tuple[Name, ...], msgspec.Meta(max_length=100)] | None = None
    queues: Annotated[tuple[Group, ...], msgspec.Meta(max_length=100)] | None = None
    may_delegate: bool = False
    expires_at: AwareTime | None = None

    def references(self) -> Sequence[Reference]:
        return tuple(InDepartment("departments", name) for name in self.departments or ())


class ExpireToken(Command, frozen=True):
    """Refuse the token from `expires_at` on (left out or past: from now)."""

    expires_at: AwareTime | None = None


class RevokeToken(Command, frozen=True):
    reason: Text


class RotateToken(Command, frozen=True):
    """A new secret; the old one is still accepted for `overlap_seconds` (at most an hour)."""

    overlap_seconds: OverlapSeconds = 0


def expire(t: AccessToken, c: ExpireToken, e: Env) -> None:
    t.expire(expires_at=c.expires_at or e.at, meta=e.meta, at=e.at)


def revoke(t: AccessToken, c: RevokeToken, e: Env) -> None:
    t.revoke(reason=c.reason, meta=e.meta, at=e.at)


TOKEN_ACTIONS: ActionTable[AccessToken] = {
    TokenAction.EXPIRE.value: action(ExpireToken, expire),
    TokenAction.REVOKE.value: action(RevokeToken, revoke),
}


@dataclass(frozen=True)
class WithSecret:
    """A command's outcome and the bearer token it made (None on a keyed retry)."""

    outcome: Outcome
    token: str | None


class TokenCommands(AggregateCommands[AccessToken]):
    """The managed token write side used by the HTTP layer."""

    def __init__(self, app: ServiceDesk, runner: CommandRunner, policies: Policies) -> None:
        super().__init__(app, runner, policies, AccessToken, TOKEN_ACTIONS)

    def issue(self, cmd: IssueToken, ctx: Context) -> WithSecret:
        self.check(cmd)
        token_id = uuid4()
        token = compose(token_id, secrets.token_urlsafe(SECRET_BYTES))

        def make(e: Env) -> AccessToken:
            return AccessToken.issue(
                token_id=token_id,
                actor_id=cmd.actor_id,
                role=cmd.role.value,
                label=cmd.label,
                departments=cmd.departments,
                queues=cmd.queues,
                may_delegate=cmd.may_delegate,
                expires_at=cmd.expires_at,
                secret_hash=digest(token),
                meta=e.meta,
                at=e.at,
            )

        outcome = self.create(ctx, make)
        return WithSecret(outcome, None if outcome.replayed else token)

    def rotate(self, token_id: UUID, cmd: RotateToken, ctx: Context) -> WithSecret:
        token = compose(token_id, secrets.token_urlsafe(SECRET_BYTES))

        def change(meta: EventMetadata, at: datetime) -> Sequence[Aggregate]:
            record = self.app.load(AccessToken, token_id, ctx.expected_version)
            overlap = timedelta(seconds=cmd.overlap_seconds)
            record.rotate(secret_hash=digest(token), overlap=overlap, meta=meta, at=at)
            return (record,)

        outcome = self.runner.run_together(ctx, 200, change)
        return WithSecret(outcome, None if outcome.replayed else token)
