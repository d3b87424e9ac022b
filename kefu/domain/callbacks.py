"""Callbacks (回拨): an unreached customer must be called again before the end of the day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class CallbackPolicy:
    """When the callback of a call that reached nobody is due: the end of its business day."""

    timezone: str = "Asia/Shanghai"

    def due(self, ended_at: datetime) -> datetime:
        local = ended_at.astimezone(ZoneInfo(self.timezone))
        midnight = datetime.combine(local.date() + timedelta(days=1), time(), local.tzinfo)
        return midnight - timedelta(microseconds=1)
