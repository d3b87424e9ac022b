"""The webhook subscription (订阅) as an event-sourced aggregate.

A subscription names a receiver URL and the events it wants, by event kind
(`Complaint.Registered`) or by aggregate kind (`complaint`). Its signing secret is never
stored: it is derived from the desk's configured key, the subscription id and
`secret_version` (see kefu/domain/signing.py), so no event, history or archive holds it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata


class SubscriptionStatus(StrEnum):
    """Active subscriptions are sent to; paused ones keep their deliveries queued."""

    ACTIVE = "active"
    PAUSED = "paused"


class SubscriptionAction(StrEnum):
    """What may be done to a subscription; the values are the HTTP action names."""

    CHANGE = "change"
    PAUSE = "pause"
    RESUME = "resume"
    ROTATE_SECRET = "rotate-secret"
    REDELIVER = "redeliver"


class Subscription(Aggregate):
    """Which events one receiver wants, where to POST them, and whether to send now."""

    class Registered(Aggregate.Created):
        url: str
        event_kinds: tuple[str, ...]
        aggregate_kinds: tuple[str, ...]
        description: str
        meta: EventMetadata

    class Changed(Aggregate.Event):
        url: str
        event_kinds: tuple[str, ...]
        aggregate_kinds: tuple[str, ...]
        meta: EventMetadata

    class Paused(Aggregate.Event):
        reason: str
        meta: EventMetadata

    class Resumed(Aggregate.Event):
        meta: EventMetadata

    class SecretRotated(Aggregate.Event):
        """Signatures use the secret of `secret_version` from now on."""

        secret_version: int
        meta: EventMetadata

    class RedeliveryRequested(Aggregate.Event):
        """Send again the named events, or every dead-lettered one when `event_ids` is empty."""

        event_ids: tuple[UUID, ...]
        meta: EventMetadata

    @event(Registered)
    def __init__(
        self,
        url: str,
        event_kinds: tuple[str, ...],
        aggregate_kinds: tuple[str, ...],
        description: str,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.url = url
        self.event_kinds = event_kinds
        self.aggregate_kinds = aggregate_kinds
        self.status = SubscriptionStatus.ACTIVE
        self.secret_version = 1

    @classmethod
    def register(
        cls,
        *,
        url: str,
        event_kinds: tuple[str, ...],
        aggregate_kinds: tuple[str, ...],
        description: str,
        meta: EventMetadata,
        at: datetime,
    ) -> Subscription:
        """Subscribe a receiver URL to events of the given kinds (at least one kind)."""
        check_target(url, event_kinds, aggregate_kinds)
        return cls(
            url=url,
            event_kinds=event_kinds,
            aggregate_kinds=aggregate_kinds,
            description=description,
            meta=meta,
            timestamp=at,
        )

    @property
    def allowed_now(self) -> tuple[str, ...]:
        toggle = SubscriptionAction.RESUME if self.is_paused else SubscriptionAction.PAUSE
        others = (
            SubscriptionAction.CHANGE,
            SubscriptionAction.ROTATE_SECRET,
            SubscriptionAction.REDELIVER,
        )
        return tuple(a.value for a in (toggle, *others))

    @property
    def is_paused(self) -> bool:
        return self.status is SubscriptionStatus.PAUSED

    def change(
        self,
        *,
        url: str,
        event_kinds: tuple[str, ...],
        aggregate_kinds: tuple[str, ...],
        meta: EventMetadata,
        at: datetime,
    ) -> None:
        """Point the subscription elsewhere or at other kinds, from the next event on."""
        check_target(url, event_kinds, aggregate_kinds)
        self._changed(
            url=url,
            event_kinds=event_kinds,
            aggregate_kinds=aggregate_kinds,
            meta=meta,
            timestamp=at,
        )

    def pause(self, *, reason: str, meta: EventMetadata, at: datetime) -> None:
        """Stop sending; matching events keep being queued and flow again on resume."""
        if self.is_paused:
            raise ActionNotAllowed("the subscription is paused already", self.allowed_now)
        self._paused(reason=reason, meta=meta, timestamp=at)

    def resume(self, *, meta: EventMetadata, at: datetime) -> None:
        """Send again, starting with what was queued while paused."""
        if not self.is_paused:
            raise ActionNotAllowed("the subscription is not paused", self.allowed_now)
        self._resumed(meta=meta, timestamp=at)

    def rotate_secret(self, *, meta: EventMetadata, at: datetime) -> None:
        """Sign with a new secret from now on (the old one stops working at once)."""
        self._secret_rotated(secret_version=self.secret_version + 1, meta=meta, timestamp=at)

    def request_redelivery(
        self, *, event_ids: tuple[UUID, ...], meta: EventMetadata, at: datetime
    ) -> None:
        """Queue deliveries again: the named events, or all dead-lettered ones."""
        self._redelivery_requested(event_ids=event_ids, meta=meta, timestamp=at)

    @event(Changed)
    def _changed(
        self,
        url: str,
        event_kinds: tuple[str, ...],
        aggregate_kinds: tuple[str, ...],
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.url = url
        self.event_kinds = event_kinds
        self.aggregate_kinds = aggregate_kinds

    @event(Paused)
    def _paused(self, reason: str, meta: EventMetadata, timestamp: datetime) -> None:
        self.status = SubscriptionStatus.PAUSED

    @event(Resumed)
    def _resumed(self, meta: EventMetadata, timestamp: datetime) -> None:
        self.status = SubscriptionStatus.ACTIVE

    @event(SecretRotated)
    def _secret_rotated(
        self, secret_version: int, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.secret_version = secret_version

    @event(RedeliveryRequested)
    def _redelivery_requested(
        self, event_ids: tuple[UUID, ...], meta: EventMetadata, timestamp: datetime
    ) -> None:
        pass


def check_target(url: str, event_kinds: tuple[str, ...], aggregate_kinds: tuple[str, ...]) -> None:
    """A receiver is an absolute http(s) URL with a host, and wants at least one kind."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RuleViolated(f"the webhook URL must be an absolute http(s) URL, not {url!r}")
    if parts.username or parts.password:
        raise RuleViolated("the webhook URL may not carry credentials (the secret signs instead)")
    if not event_kinds and not aggregate_kinds:
        raise RuleViolated("name at least one event kind or aggregate kind")
