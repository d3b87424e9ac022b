"""Times as the database stores them: fixed-width UTC text, sortable on both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def db_time(moment: datetime | None) -> str | None:
    """A time as fixed-width UTC text: sortable and comparable on both backends."""
    if moment is None:
        return None
    return _formatted(moment)


# Every projection formats the same event times again: a cache hit is ~25 times cheaper than
# strftime. Equal instants hash alike whatever their zone, and all give the same UTC text.
@lru_cache(maxsize=16_384)
def _formatted(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_FORMAT)


def from_db_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text)  # Z read as UTC; ~50 times faster than strptime
