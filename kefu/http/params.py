"""Query-parameter parsing shared by the read endpoints."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import falcon

from kefu.commands.base import FIRST_YEAR, LAST_YEAR

# The largest integer either store keeps (SQLite INTEGER, PostgreSQL BIGINT): a query integer
# above it is a 400, not an overflow in the driver.
MAX_QUERY_INT = 2**63 - 1


def rfc3339(name: str, text: str) -> datetime:
    """An RFC 3339 time with its UTC offset; 400 otherwise."""
    try:
        moment: datetime | None = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise falcon.HTTPBadRequest(
            title="Bad query parameter",
            description=f"{name} must be an RFC 3339 time with an offset, "
            "e.g. 2026-01-31T09:00:00+08:00",
        )
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:  # also keeps UTC conversion in range
        raise falcon.HTTPBadRequest(
            title="Bad query parameter",
            description=f"{name} must be within the years {FIRST_YEAR} to {LAST_YEAR}",
        )
    return moment


def uuid_param(name: str, text: str) -> UUID:
    """A UUID query parameter; 400 otherwise."""
    try:
        return UUID(text)
    except ValueError:
        raise falcon.HTTPBadRequest(
            title="Bad query parameter", description=f"{name} must be a UUID"
        ) from None


def optional_time(req: falcon.Request, name: str) -> datetime | None:
    """An optional RFC 3339 query parameter."""
    text = req.get_param(name)
    return None if text is None else rfc3339(name, text)
