"""Retry arithmetic: exponential backoff with full jitter, bounded by a cap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Backoff:
    """After failed attempt n (1, 2, ...), wait a random share of `base * 2**(n-1)`, at most
    `cap`; after `max_attempts` failures the delivery is dead-lettered.

    Jitter spreads the retries of many deliveries that failed together (a receiver that was
    down) so that they do not all hit it again in the same instant.
    """

    base: timedelta = timedelta(seconds=2)
    cap: timedelta = timedelta(hours=1)
    max_attempts: int = 10
    jitter: float = 0.5  # the share of the delay that is random

    def delay(self, attempt: int, random_unit: float) -> timedelta:
        """The wait after failed attempt `attempt`; `random_unit` is uniform in [0, 1)."""
        exponent = min(max(attempt - 1, 0), 64)  # in float seconds: no overflow past the cap
        ceiling = min(self.base.total_seconds() * 2.0**exponent, self.cap.total_seconds())
        return timedelta(seconds=ceiling * (1 - self.jitter + self.jitter * random_unit))

    def gives_up_after(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
