"""Times as the database stores them: fixed-width UTC text, sortable on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def db_time(moment: datetime | None) -> str | None:
    """A time as fixed-width UTC text: sortable and comparable on both backends."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime(_FORMAT)


def from_db_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)
