"""Which errors mean "the database is unavailable for now" (retry later) rather than a bug.

One predicate for every caller: the runner retries these with backoff instead of parking a
projection, and the HTTP layer answers them with 503 and Retry-After instead of 500.
"""

from __future__ import annotations

import sqlite3
from urllib.parse import urlsplit

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from psycopg_pool import PoolTimeout

from kefu.store.database import POOL_WAIT_SECONDS, Backend, backend_of

# SQLite's operational errors include schema mistakes ("no such table"); only these pass.
_SQLITE_TRANSIENT = ("locked", "busy")


def is_database_unavailable(error: BaseException) -> bool:
    """True for a lost or refused connection, a pool timeout, a lock wait that timed out,
    PostgreSQL shutting down, or SQLite's "database is locked"."""
    cause = _root(error)
    if isinstance(cause, sqlite3.OperationalError):
        return any(word in str(cause).lower() for word in _SQLITE_TRANSIENT)
    transient = (
        psycopg.OperationalError,
        psycopg.InterfaceError,
        OperationalError,
        InterfaceError,
    )
    return isinstance(cause, transient) or isinstance(error, transient)


def is_pool_timeout(error: BaseException) -> bool:
    """No connection within `POOL_WAIT_SECONDS`: the server is down or unreachable, so trying
    again at once would only wait as long again (unlike a pooled connection that died idle)."""
    return isinstance(_root(error), PoolTimeout)


def _root(error: BaseException) -> BaseException:
    """The driver's own error under eventsourcing's wrapper (it chains with `from`)."""
    seen = 0
    while error.__cause__ is not None and seen < 5:
        error, seen = error.__cause__, seen + 1
    return error


class DatabaseUnavailable(OperationalError):
    """PostgreSQL did not accept a connection within the wait: it is down or unreachable."""


def probe(database_url: str) -> None:
    """Connects once and leaves nothing open; raises DatabaseUnavailable (naming the server,
    never the password) when PostgreSQL does not answer within `POOL_WAIT_SECONDS`.

    Opening the store while the server is down would leave a pool behind that keeps trying
    to connect; asking first keeps a retry loop cheap."""
    if backend_of(database_url) is not Backend.POSTGRES:
        return
    parts = urlsplit(database_url)
    try:
        psycopg.connect(database_url, connect_timeout=POOL_WAIT_SECONDS).close()
    except psycopg.OperationalError as error:
        where = f"{parts.hostname}:{parts.port or 5432}"
        reason = (str(error).strip().splitlines() or ["no answer"])[0]
        raise DatabaseUnavailable(f"PostgreSQL at {where} is unavailable: {reason}") from None
