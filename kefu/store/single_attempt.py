"""At most two attempts per call for the event store's PostgreSQL reads, and none after a
pool timeout.

eventsourcing retries these methods ten times on any operational error, and during an outage
each attempt first waits the pool's `POOL_WAIT_SECONDS` for a connection: a request would hang
for over twenty seconds before its 503. kefu tries again once, at once, for a connection that
died idle (PostgreSQL restarted), and answers a pool timeout at once (503 with Retry-After);
its followers of the log retry with backoff of their own. Writes go through the batch commit.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError

from kefu.store.availability import is_pool_timeout


class SingleAttempt:
    """Mixin placed before eventsourcing's PostgreSQL recorder: its retried methods, once."""

    def select_events(self, *args: Any, **kwargs: Any) -> Any:
        return _first_attempt(self, "select_events", args, kwargs)

    def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
        return _first_attempt(self, "select_notifications", args, kwargs)

    def max_notification_id(self, *args: Any, **kwargs: Any) -> Any:
        return _first_attempt(self, "max_notification_id", args, kwargs)


def _first_attempt(recorder: SingleAttempt, name: str, args: Any, kwargs: Any) -> Any:
    retried = getattr(super(SingleAttempt, recorder), name)
    once = getattr(retried.__func__, "__wrapped__", None)  # eventsourcing's @retry wraps it
    if once is None:
        return retried(*args, **kwargs)
    try:
        return once(recorder, *args, **kwargs)
    except (OperationalError, InterfaceError) as error:
        if is_pool_timeout(error):
            raise
        return once(recorder, *args, **kwargs)
