"""The one place that turns `KEFU_DATABASE_URL` into eventsourcing's persistence settings."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_DATABASE_URL = "sqlite:///var/kefu.sqlite3"
# How long a request waits for a pooled PostgreSQL connection before it is refused with 503:
# during an outage every caller hears back within about this long (eventsourcing's default
# is 30 s, longer than a load balancer or gunicorn waits).
POOL_WAIT_SECONDS = 2


class Backend(StrEnum):
    """The two event stores kefu runs on."""

    SQLITE = "sqlite"
    POSTGRES = "postgres"


class DatabaseUrlError(ValueError):
    """`KEFU_DATABASE_URL` is not a sqlite:/// or postgresql:// URL kefu understands."""


def backend_of(url: str) -> Backend:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return Backend.SQLITE
    if scheme in ("postgresql", "postgres"):
        return Backend.POSTGRES
    raise DatabaseUrlError(f"unsupported database URL scheme {scheme!r}: use sqlite or postgresql")


def eventsourcing_env(url: str) -> dict[str, str]:
    """The eventsourcing environment for a database URL (creates the SQLite file's folder)."""
    if backend_of(url) is Backend.SQLITE:
        return _sqlite_env(url)
    return _postgres_env(url)


def _sqlite_env(url: str) -> dict[str, str]:
    path = url.removeprefix("sqlite:///")
    if not path or path == url:
        raise DatabaseUrlError("a SQLite URL looks like sqlite:///var/kefu.sqlite3")
    if ":memory:" not in path and "mode=memory" not in path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": path,
        "SQLITE_LOCK_TIMEOUT": "10",
    }


def _postgres_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    dbname = parts.path.lstrip("/")
    if not (parts.hostname and dbname and parts.username):
        raise DatabaseUrlError("a PostgreSQL URL looks like postgresql://user:pass@host:5432/db")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(dbname),
        "POSTGRES_HOST": parts.hostname,
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": unquote(parts.username),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_POOL_SIZE": "4",
        "POSTGRES_MAX_OVERFLOW": "8",
        "POSTGRES_LOCK_TIMEOUT": "10",
        # No ping per checkout (two round trips a request): a connection that died idle is
        # found when it is used, and eventsourcing's reads and kefu's batch commit retry
        # on a fresh one; psycopg's pool also drops connections that come back broken.
        "POSTGRES_PRE_PING": "n",
        "POSTGRES_CONNECT_TIMEOUT": str(POOL_WAIT_SECONDS),
    }
