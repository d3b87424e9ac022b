"""Whether the service can answer truthfully: the database answers, the runner is alive, no
projection is parked, and none lags more than the bound. `GET /ready` reports this."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import msgspec

from kefu.application import ServiceDesk
from kefu.projections.read_models import Lag, ReadModels
from kefu.projections.runner import RUNNER_NAME
from kefu.projections.status import projection_lags
from kefu.store.availability import is_database_unavailable

# The runner beats every second while it follows the log (and between batches of a long
# catch-up); this much silence means it is not running, or stuck.
HEARTBEAT_STALE_SECONDS = 15.0
log = logging.getLogger("kefu.projections")


class Readiness(msgspec.Struct, frozen=True):
    """What is wrong (`reasons`, empty when ready), with the log head and each lag."""

    reasons: list[str]
    head: int = 0
    projections: list[Lag] = []

    @property
    def ready(self) -> bool:
        return not self.reasons


def readiness(
    app: ServiceDesk, read_models: ReadModels, now: datetime, max_lag_seconds: float
) -> Readiness:
    """Checks everything `/ready` promises; never raises for a database that fails."""
    try:
        lags = projection_lags(app, read_models, now)
        reasons = _runner_reasons(read_models) + _lag_reasons(lags, max_lag_seconds)
    except Exception as error:
        if not is_database_unavailable(error):
            log.exception("readiness check failed")
            return Readiness(["database error (logged)"])
        return Readiness(["database unreachable"])
    head = lags[0].head if lags else 0
    return Readiness(reasons, head, lags)


def _runner_reasons(read_models: ReadModels) -> list[str]:
    reasons = [
        f"projection {p.projection} parked at position {p.position}"
        for p in read_models.health.parked().values()
    ]
    beat = read_models.health.last_beat(RUNNER_NAME)
    if beat is None:
        reasons.insert(0, "projection runner not running (no heartbeat yet)")
        return reasons
    silent = (datetime.now(UTC) - beat).total_seconds()
    if silent > HEARTBEAT_STALE_SECONDS:
        reasons.insert(0, f"projection runner not running (last heartbeat {silent:.0f} s ago)")
    return reasons


def _lag_reasons(lags: list[Lag], max_lag_seconds: float) -> list[str]:
    return [
        f"projection {lag.projection} is {lag.seconds:.0f} s behind (bound {max_lag_seconds:g} s)"
        for lag in lags
        if lag.seconds > max_lag_seconds
    ]
