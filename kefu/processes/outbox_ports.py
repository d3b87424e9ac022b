"""What the outbox's senders need of the outbox's tables, as protocols injected by
kefu/bootstrap.py (the tables are a projection: kefu/projections/outbox_tables.py)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self


class DueDelivery(Protocol):
    """A webhook delivery to attempt now, with what the sender needs."""

    @property
    def subscription_id(self) -> str: ...
    @property
    def position(self) -> int: ...
    @property
    def event_id(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def secret_version(self) -> int: ...
    @property
    def attempts(self) -> int: ...
    @property
    def body(self) -> str: ...


@dataclass(frozen=True)
class Attempt:
    """What one attempt came to; `next_attempt_at` None with an error means dead-lettered."""

    ok: bool
    status_code: int | None
    error: str | None
    latency_ms: float
    at: datetime
    next_attempt_at: datetime | None = None


class DeliveryTables(Protocol):
    """The delivery rows: which subscriptions have work due, what is due, each attempt."""

    def subscriptions_with_due(self, now: datetime) -> list[str]: ...
    def due(self, subscription_id: str, now: datetime, limit: int) -> Sequence[DueDelivery]: ...
    def record_attempt(self, due: DueDelivery, attempt: Attempt) -> None: ...


class MessageQueue(Protocol):
    """The messages rows: due ones, queued ones of a case, and birthdays of a day."""

    def due(self, now: datetime, limit: int) -> list[str]: ...
    def queued_in_case(self, case_key: str) -> list[str]: ...
    def birthdays_on(self, month_day: str) -> list[str]: ...


class Follower(Protocol):
    """A follower of the log that records its own position."""

    def catch_up(self) -> int: ...


class Waiter(Protocol):
    """Waits for new events (PostgreSQL NOTIFY; SQLite polling)."""

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def wait(self, stop: threading.Event) -> None: ...
