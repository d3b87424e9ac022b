"""How far each projection lags: in events, and in seconds since the oldest event it has not
processed. One function for `kefu projections status` and `GET /ready`."""

from __future__ import annotations

from datetime import datetime

from msgspec.structs import replace

from kefu.application import ServiceDesk
from kefu.projections.read_models import Lag, ReadModels
from kefu.store.times import from_db_time


def projection_lags(app: ServiceDesk, read_models: ReadModels, now: datetime) -> list[Lag]:
    """Each projection's position, the log head, and its lag in events and seconds."""
    head = app.recorder.max_notification_id() or 0
    return [_with_seconds(app, lag, now) for lag in read_models.lag(head)]


def _with_seconds(app: ServiceDesk, lag: Lag, now: datetime) -> Lag:
    if not lag.behind:
        return lag
    # The write-time column of the chain table, read by primary key: cheap on any log size.
    oldest = from_db_time(app.chain.first_time_after(lag.position))
    if oldest is None:
        return lag
    return replace(lag, seconds=round(max((now - oldest).total_seconds(), 0.0), 3))


def format_lags(lags: list[Lag]) -> list[str]:
    """The status command's lines: one header, one line per projection."""
    lines = [f"{'projection':<24} {'position':>10} {'behind':>8} {'seconds':>10}"]
    head = lags[0].head if lags else 0
    for lag in lags:
        lines.append(
            f"{lag.projection:<24} {lag.position:>10} {lag.behind:>8} {lag.seconds:>10.1f}"
        )
    lines.append(f"{'(log head)':<24} {head:>10}")
    return lines
