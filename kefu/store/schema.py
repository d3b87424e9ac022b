"""Schema creation that is safe when several processes start at once.

gunicorn workers and the projection runner all open the store at start-up, and PostgreSQL's
`CREATE ... IF NOT EXISTS` is not safe against concurrent creators (duplicate pg_type rows).
A session-level advisory lock serialises the creators across processes.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.postgres import PostgresDatastore

SCHEMA_LOCK_KEY = 0x6B656675  # "kefu"


def create_tables_serially(datastore: PostgresDatastore, create: Any) -> None:
    """Runs `create()` while holding kefu's schema lock (another pooled connection)."""
    with datastore.get_connection() as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        try:
            create()
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK_KEY,))
