"""The outbox follower: turns the log into webhook deliveries (and keeps the message queue),
exactly once.

It reads the public events and the subscriptions' own events in log order. One batch of
the log makes its delivery rows, its changes to the subscriptions it matches against, and
its tracking position in one transaction (`Tx.track`): a crash before the commit leaves
nothing and the batch is read again; after it, the position says it is done. A subscription
therefore sees exactly the matching events after its registration, each once.

An erasure (kefu/projections/erasure.py) rewrites, in the batch that reads it, the outbox's
copies of the erased records' personal data: message addresses and birthdays, and the payloads
of their events' deliveries, encoded again from the log, where they now read as erased (a
delivery still due then sends the erased form; a rebuild would queue the same).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification, Tracking
from eventsourcing.utils import get_topic

from kefu.application import ServiceDesk
from kefu.domain.event_kinds import topics_by_kind
from kefu.domain.subscription import Subscription, SubscriptionStatus
from kefu.projections.envelope import encode, envelope
from kefu.projections.erasure import ERASURE_EVENTS, erased_records
from kefu.projections.message_tables import (
    BIRTHDAY_EVENTS,
    MESSAGE_EVENTS,
    forget_recipients,
    keep_birthday,
    keep_message,
)
from kefu.projections.outbox_tables import OUTBOX_NAME, OutboxStore, OutboxTables, Target
from kefu.projections.sql import Tx, db_time

Clock = Callable[[], datetime]

SUBSCRIPTION_EVENTS = (
    Subscription.Registered,
    Subscription.Changed,
    Subscription.Paused,
    Subscription.Resumed,
    Subscription.SecretRotated,
    Subscription.RedeliveryRequested,
)


class OutboxFollower:
    """Follows the log and queues a delivery per matching event and subscription."""

    def __init__(
        self,
        app: ServiceDesk,
        store: OutboxStore,
        clock: Clock,
        zone: tzinfo = UTC,
        batch_size: int = 500,
    ) -> None:
        self.app = app
        self.tables = store.tables
        self.clock = clock
        self.zone = zone
        self.batch_size = batch_size
        own = [get_topic(c) for c in (*SUBSCRIPTION_EVENTS, *MESSAGE_EVENTS)]
        own += [get_topic(c) for c in ERASURE_EVENTS]
        self.topics = sorted({*topics_by_kind().values(), *own})

    def catch_up(self) -> int:
        """Processes the log to its head; returns how many notifications it read."""
        total = 0
        while read := self.step():
            total += read
        return total

    def step(self) -> int:
        position = self.tables.max_tracking_id(OUTBOX_NAME) or 0
        notifications = self.app.recorder.select_notifications(
            start=position, limit=self.batch_size, topics=self.topics, inclusive_of_start=False
        )
        if notifications:
            self._apply(position, notifications)
        return len(notifications)

    def _apply(self, position: int, notifications: Sequence[Notification]) -> None:
        with self.tables.write() as tx:
            # Under the write lock: another follower may have taken this batch meanwhile.
            if tx.position(OUTBOX_NAME) != position:
                return
            batch = _Batch(self.tables.targets(tx), self.clock(), self.zone)
            for notification in notifications:
                event = self.app.mapper.to_domain_event(notification)
                erased = erased_records(event)
                if erased:
                    batch.rows, queued = [], batch.rows  # this batch's deliveries are copies too
                    self.tables.queue(tx, queued)
                    self._forget(tx, erased)
                batch.take(tx, self.tables, event, notification)
            self.tables.queue(tx, batch.rows)
            tx.track(Tracking(OUTBOX_NAME, notifications[-1].id))

    def _forget(self, tx: Tx, records: Sequence[UUID]) -> None:
        ids = [str(r) for r in records]
        forget_recipients(tx, ids)
        self.app.data_keys.forget_cached()  # the keys were destroyed, maybe by another process
        for aggregate_id, version, position in self.tables.deliveries_of(tx, ids):
            (stored,) = self.app.recorder.select_events(
                UUID(aggregate_id), gt=version - 1, lte=version
            )
            event = self.app.mapper.to_domain_event(stored)
            self.tables.rewrite_body(
                tx, position, encode(envelope(event, stored.topic, position)).decode()
            )


class _Batch:
    """One batch's work: the subscriptions as they change, and the rows to queue."""

    def __init__(self, targets: dict[str, Target], now: datetime, zone: tzinfo) -> None:
        self.targets = targets
        self.now = now
        self.zone = zone
        self.rows: list[dict[str, Any]] = []

    def take(self, tx: Tx, tables: OutboxTables, event: Any, notification: Notification) -> None:
        if isinstance(event, Subscription.RedeliveryRequested):
            self.rows, queued = [], self.rows  # queue first: a redelivery may name them
            tables.queue(tx, queued)
            ids = [str(i) for i in event.event_ids]
            tables.requeue(tx, str(event.originator_id), ids, notification.id, self.now)
        elif isinstance(event, SUBSCRIPTION_EVENTS):
            tables.save_target(tx, self._changed_target(event))
        elif isinstance(event, MESSAGE_EVENTS):
            keep_message(tx, event, notification.id, self.zone)
        else:
            if isinstance(event, BIRTHDAY_EVENTS):
                keep_birthday(tx, event)
            self._match(event, notification)

    def _changed_target(self, event: Any) -> Target:
        key = str(event.originator_id)
        if isinstance(event, Subscription.Registered | Subscription.Changed):
            target = self.targets.get(key) or Target(
                subscription_id=key,
                url=event.url,
                event_kinds=[],
                aggregate_kinds=[],
                status=SubscriptionStatus.ACTIVE,
                secret_version=1,
            )
            target.url = event.url
            target.event_kinds = list(event.event_kinds)
            target.aggregate_kinds = list(event.aggregate_kinds)
        else:
            target = self.targets[key]
            _change_state(target, event)
        self.targets[key] = target
        return target

    def _match(self, event: Any, notification: Notification) -> None:
        body = envelope(event, notification.topic, notification.id)
        wanted = [t for t in self.targets.values() if t.wants(body["kind"], body["aggregate_kind"])]
        if not wanted:
            return
        text = encode(body).decode()
        for target in wanted:
            self.rows.append(
                {
                    "subscription_id": target.subscription_id,
                    "position": notification.id,
                    "event_id": str(body["id"]),
                    "kind": body["kind"],
                    "aggregate_id": str(body["aggregate_id"]),
                    "aggregate_version": body["aggregate_version"],
                    "body": text,
                    "queued_at": db_time(self.now),
                }
            )


def _change_state(target: Target, event: Any) -> None:
    if isinstance(event, Subscription.Paused):
        target.status = SubscriptionStatus.PAUSED
    elif isinstance(event, Subscription.Resumed):
        target.status = SubscriptionStatus.ACTIVE
    elif isinstance(event, Subscription.SecretRotated):
        target.secret_version = event.secret_version
