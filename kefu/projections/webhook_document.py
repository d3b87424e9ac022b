"""The webhook subscription document: one per subscription, folded from its events."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from msgspec.structs import replace

from kefu.domain.subscription import Subscription, SubscriptionStatus


class WebhookDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A subscription as admins see it (never its secret)."""

    id: UUID
    url: str
    event_kinds: tuple[str, ...]
    aggregate_kinds: tuple[str, ...]
    description: str
    status: str
    paused_reason: str | None = None
    secret_version: int = 1
    redeliveries: int = 0
    registered_at: datetime
    registered_by: str
    updated_at: datetime
    version: int
    position: int = 0


def fold(view: WebhookDocument | None, event: Any, position: int) -> WebhookDocument:
    """The view after `event` (an event of the subscription at `position` in the log)."""
    if view is None:
        assert isinstance(event, Subscription.Registered)
        return WebhookDocument(
            id=event.originator_id,
            url=event.url,
            event_kinds=tuple(event.event_kinds),
            aggregate_kinds=tuple(event.aggregate_kinds),
            description=event.description,
            status=SubscriptionStatus.ACTIVE,
            registered_at=event.timestamp,
            registered_by=event.meta.actor_id,
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


def _apply(view: WebhookDocument, event: Any) -> WebhookDocument:
    if isinstance(event, Subscription.Changed):
        return replace(
            view,
            url=event.url,
            event_kinds=tuple(event.event_kinds),
            aggregate_kinds=tuple(event.aggregate_kinds),
        )
    if isinstance(event, Subscription.Paused):
        return replace(view, status=SubscriptionStatus.PAUSED, paused_reason=event.reason)
    if isinstance(event, Subscription.Resumed):
        return replace(view, status=SubscriptionStatus.ACTIVE, paused_reason=None)
    if isinstance(event, Subscription.SecretRotated):
        return replace(view, secret_version=event.secret_version)
    if isinstance(event, Subscription.RedeliveryRequested):
        return replace(view, redeliveries=view.redeliveries + 1)
    return view
