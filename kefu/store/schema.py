"""Schema creation that is safe when several processes start at once.

gunicorn workers and the projection runner all open the store at start-up, and PostgreSQL's
`CREATE ... IF NOT EXISTS` is not safe against concurrent creators (duplicate pg_type rows).
A session-level advisory lock serialises the creators across processes. It is held on a
connection of its own, outside the pool: `create()` takes pooled connections, and a pool of
one would otherwise wait for ever for the connection that holds the lock.
"""

from __future__ import annotations

from typing import Any

import psycopg
from eventsourcing.postgres import PostgresDatastore

SCHEMA_LOCK_KEY = 0x6B656675  # "kefu"


def create_tables_serially(datastore: PostgresDatastore, create: Any) -> None:
    """Runs `create()` while holding kefu's schema lock (on a connection of its own)."""
    kwargs = datastore.pool.kwargs
    settings = dict((kwargs() if callable(kwargs) else kwargs) or {})
    settings.pop("row_factory", None)
    with psycopg.connect(autocommit=True, connect_timeout=30, **settings) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            create()
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))
