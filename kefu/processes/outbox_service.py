"""`kefu outbox run`: the follower and the delivery worker in one long-running loop.

The loop wakes on new events (PostgreSQL NOTIFY; SQLite polling) and at least every
`poll_seconds` for retries that fall due. Sending happens on the worker's lanes, never in
this loop, so following the log never waits for a receiver. A failure of the database
(a restart) is logged and the loop starts again after a pause.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kefu.processes.delivery_worker import DeliveryWorker
from kefu.processes.message_sender import MessageSender
from kefu.processes.notifier import Notifier
from kefu.processes.outbox_ports import Follower, Waiter

log = logging.getLogger("kefu.outbox")
RESTART_PAUSE_SECONDS = 1.0


class OutboxService:
    """Follows the log into the outbox and starts deliveries as they fall due."""

    def __init__(
        self,
        waiter: Callable[[], Waiter],
        follower: Follower,
        worker: DeliveryWorker,
        notifier: Notifier | None = None,
        messages: MessageSender | None = None,
    ) -> None:
        self.waiter = waiter
        self.follower = follower
        self.worker = worker
        self.notifier = notifier
        self.messages = messages
        self._sending = threading.Lock()

    def run_once(self) -> int:
        """Queues what the log holds, starts due webhook lanes and the message lane;
        returns events read."""
        read = self.follower.catch_up()
        if self.notifier is not None:
            read += self.notifier.catch_up()
        self.worker.dispatch()
        self._start_message_lane()
        return read

    def _start_message_lane(self) -> None:
        """Messages go out on a lane of their own: a slow SMTP server holds up neither the
        log nor the webhooks."""
        if self.messages is None or not self._sending.acquire(blocking=False):
            return
        self.worker.submit(self._send_messages)

    def _send_messages(self) -> None:
        try:
            assert self.messages is not None
            self.messages.send_due()
        except Exception:
            log.exception("outbox: the message lane stopped; it starts again on the next pass")
        finally:
            self._sending.release()

    def run_forever(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    self._follow(stop)
                except Exception:
                    log.exception("outbox: stopped by an error; starting again")
                    stop.wait(RESTART_PAUSE_SECONDS)
        finally:
            self.worker.close()

    def _follow(self, stop: threading.Event) -> None:
        with self.waiter() as waiter:
            while not stop.is_set():
                if self.run_once() == 0:
                    waiter.wait(stop)
