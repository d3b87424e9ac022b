"""The runners' health, stored where every process can read it: parked projections and
heartbeats. `/ready` and `kefu projections status` in other processes read what the runner
wrote; `kefu projections retry NAME` un-parks."""

from __future__ import annotations

from datetime import datetime

import msgspec

from kefu.projections.sql import SqlView, db_time, from_db_time

_PARK = (
    "INSERT INTO parked_projections (projection, position, error, parked_at) "
    "VALUES (:projection, :position, :error, :parked_at) ON CONFLICT (projection) DO UPDATE "
    "SET position = :position, error = :error, parked_at = :parked_at"
)
_BEAT = (
    "INSERT INTO runner_heartbeats (runner, beat_at) VALUES (:runner, :beat_at) "
    "ON CONFLICT (runner) DO UPDATE SET beat_at = :beat_at"
)


class ParkedProjection(msgspec.Struct, frozen=True):
    """A projection stopped at the event it fails on every time, with that failure."""

    projection: str
    position: int  # the event it could not apply; everything before it is applied
    error: str
    parked_at: datetime


class RunnerHealthView(SqlView):
    """Two small tables: one row per parked projection, one heartbeat row per runner."""

    ddl = (
        "CREATE TABLE IF NOT EXISTS parked_projections (projection TEXT PRIMARY KEY, "
        "position BIGINT NOT NULL, error TEXT NOT NULL, parked_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS runner_heartbeats (runner TEXT PRIMARY KEY, "
        "beat_at TEXT NOT NULL)",
    )

    def park(self, parked: ParkedProjection) -> None:
        row = msgspec.structs.asdict(parked)
        with self.write() as tx:
            tx.execute(_PARK, {**row, "parked_at": db_time(parked.parked_at)})

    def unpark(self, projection: str) -> bool:
        """Lets the runner try the projection again; False when it was not parked."""
        with self.write() as tx:
            where = {"p": projection}
            tx.execute("SELECT 1 AS x FROM parked_projections WHERE projection = :p", where)
            found = tx.fetchone() is not None
            tx.execute("DELETE FROM parked_projections WHERE projection = :p", where)
        return found

    def parked(self) -> dict[str, ParkedProjection]:
        rows = self.query("SELECT * FROM parked_projections ORDER BY projection")
        return {
            row["projection"]: ParkedProjection(
                row["projection"], int(row["position"]), row["error"], _time(row["parked_at"])
            )
            for row in rows
        }

    def beat(self, runner: str, now: datetime) -> None:
        with self.write() as tx:
            tx.execute(_BEAT, {"runner": runner, "beat_at": db_time(now)})

    def last_beat(self, runner: str) -> datetime | None:
        rows = self.query("SELECT beat_at FROM runner_heartbeats WHERE runner = :r", {"r": runner})
        return _time(rows[0]["beat_at"]) if rows else None


def _time(text: str) -> datetime:
    moment = from_db_time(text)
    assert moment is not None
    return moment
