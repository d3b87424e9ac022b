"""When each managed token was last used: one row per token, beside the views.

Not a projection (the log does not record uses: that would be an event per request). The
authenticator notes a use at most once a minute per token and process, off the request path
(`kefu/auth.py`, `CoarseUse`), so the time is exact to about a minute.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from kefu.projections.sql import SqlView, db_time, from_db_time

_NOTE = (
    "INSERT INTO token_last_used (token_id, used_at) VALUES (:token_id, :used_at) "
    "ON CONFLICT (token_id) DO UPDATE SET used_at = excluded.used_at "
    "WHERE excluded.used_at > token_last_used.used_at"
)


class TokenUseView(SqlView):
    """One row per managed token that was used: its latest noted use."""

    ddl = (
        "CREATE TABLE IF NOT EXISTS token_last_used (token_id TEXT PRIMARY KEY, "
        "used_at TEXT NOT NULL)",
    )

    def record_use(self, token_id: UUID, at: datetime) -> None:
        with self.write() as tx:
            tx.execute(_NOTE, {"token_id": str(token_id), "used_at": db_time(at)})

    def last_used(self, token_ids: Sequence[UUID]) -> dict[UUID, datetime]:
        if not token_ids:
            return {}
        marks = {f"t{n}": str(token_id) for n, token_id in enumerate(token_ids)}
        rows = self.query(
            "SELECT token_id, used_at FROM token_last_used "
            f"WHERE token_id IN ({', '.join(':' + mark for mark in marks)})",
            marks,
        )
        used = {UUID(row["token_id"]): from_db_time(row["used_at"]) for row in rows}
        return {token_id: at for token_id, at in used.items() if at is not None}
