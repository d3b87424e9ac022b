"""The delivery worker: sends due deliveries, one lane per subscription.

Each subscription's deliveries are sent by one lane at a time, in log order per aggregate
(a delivery waits while an older one of the same aggregate is pending); lanes of different
subscriptions run side by side in a thread pool, so a slow or dead receiver holds up only
its own lane. Every attempt is recorded: delivered, retried after a backoff with jitter, or
dead-lettered after the last attempt. A crash between a send and its record sends that
delivery once more; the receiver's idempotency key (the event id) makes that harmless.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from kefu.commands.execution import Clock
from kefu.domain.backoff import Backoff
from kefu.processes.outbox_ports import Attempt, DeliveryTables, DueDelivery
from kefu.processes.webhook_sender import SendResult, WebhookSender

log = logging.getLogger("kefu.outbox")
LANE_BATCH = 50


class DeliveryWorker:
    """Starts a lane for every subscription with due deliveries that has none running."""

    def __init__(
        self,
        tables: DeliveryTables,
        sender: WebhookSender,
        backoff: Backoff,
        clock: Clock,
        lanes: int = 8,
        random_unit: Callable[[], float] = random.random,
    ) -> None:
        self.tables = tables
        self.sender = sender
        self.backoff = backoff
        self.clock = clock
        self.random_unit = random_unit
        self._pool = ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="kefu-outbox")
        self._busy: set[str] = set()
        self._lock = threading.Lock()

    def dispatch(self) -> int:
        """Starts lanes for due work; returns how many it started (never waits for them)."""
        started = 0
        for subscription_id in self.tables.subscriptions_with_due(self.clock()):
            with self._lock:
                if subscription_id in self._busy:
                    continue
                self._busy.add(subscription_id)
            self._pool.submit(self._lane, subscription_id)
            started += 1
        return started

    def send_due(self, subscription_id: str) -> int:
        """Sends the subscription's due deliveries until none is due; returns attempts."""
        attempts = 0
        while batch := self.tables.due(subscription_id, self.clock(), LANE_BATCH):
            for due in batch:
                self.tables.record_attempt(due, self._attempt(due, self.sender.send(due)))
                attempts += 1
        return attempts

    def submit(self, work: Callable[[], None]) -> None:
        """Runs other outbox work (the message lane) on the same pool."""
        self._pool.submit(work)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _lane(self, subscription_id: str) -> None:
        try:
            self.send_due(subscription_id)
        except Exception:
            # The database went away mid-lane: the next dispatch starts the lane again.
            log.exception("outbox: lane of subscription %s stopped", subscription_id)
        finally:
            with self._lock:
                self._busy.discard(subscription_id)

    def _attempt(self, due: DueDelivery, result: SendResult) -> Attempt:
        now = self.clock()
        number = due.attempts + 1
        retry_at = None
        if not result.ok and not self.backoff.gives_up_after(number):
            retry_at = now + self.backoff.delay(number, self.random_unit())
        if not result.ok:
            log.warning(
                "outbox: delivery %s to %s failed (attempt %d): %s",
                due.event_id,
                due.subscription_id,
                number,
                result.error,
            )
        return Attempt(
            ok=result.ok,
            status_code=result.status_code,
            error=result.error,
            latency_ms=result.latency_ms,
            at=now,
            next_attempt_at=retry_at,
        )
