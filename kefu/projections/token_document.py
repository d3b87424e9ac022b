"""The managed token document: one per token, folded from its events (never its hash)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from msgspec.structs import replace

from kefu.domain.access_token import AccessToken, TokenStatus


class TokenDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A managed token as admins list it: who it authenticates, how, and until when."""

    id: UUID
    actor_id: str
    role: str
    label: str
    departments: tuple[str, ...] | None = None
    queues: tuple[str, ...] | None = None
    may_delegate: bool = False
    status: str
    expires_at: datetime | None = None
    revoked_reason: str | None = None
    rotations: int = 0
    previous_secret_until: datetime | None = None
    issued_at: datetime
    issued_by: str
    updated_at: datetime
    version: int
    position: int = 0
    # Not folded: read beside the view (token_last_used), exact to about a minute.
    last_used_at: datetime | None = None


def fold(view: TokenDocument | None, event: Any, position: int) -> TokenDocument:
    """The view after `event` (an event of the token at `position` in the log)."""
    if view is None:
        assert isinstance(event, AccessToken.Issued)
        return TokenDocument(
            id=event.originator_id,
            actor_id=event.actor_id,
            role=event.role,
            label=event.label,
            departments=event.departments,
            queues=event.queues,
            may_delegate=event.may_delegate,
            status=TokenStatus.ACTIVE,
            expires_at=event.expires_at,
            issued_at=event.timestamp,
            issued_by=event.meta.actor_id,
            updated_at=event.timestamp,
            version=event.originator_version,
            position=position,
        )
    return replace(
        _apply(view, event),
        updated_at=event.timestamp,
        version=event.originator_version,
        position=position,
    )


def _apply(view: TokenDocument, event: Any) -> TokenDocument:
    if isinstance(event, AccessToken.ExpirySet):
        return replace(view, expires_at=event.expires_at)
    if isinstance(event, AccessToken.Revoked):
        return replace(view, status=TokenStatus.REVOKED, revoked_reason=event.reason)
    if isinstance(event, AccessToken.Rotated):
        return replace(
            view, rotations=view.rotations + 1, previous_secret_until=event.previous_until
        )
    return view
