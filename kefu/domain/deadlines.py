"""Priorities and the deadline policy (处理时限) that turns a priority into due times."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Priority(StrEnum):
    """How urgent a case is: urgent 紧急 / important 重要 / normal 一般."""

    URGENT = "urgent"
    IMPORTANT = "important"
    NORMAL = "normal"

    def outranks(self, other: Priority) -> bool:
        return _RANK[self] < _RANK[other]

    def raised(self) -> Priority:
        """One step more urgent (urgent stays urgent)."""
        return next(p for p in Priority if _RANK[p] == max(_RANK[self] - 1, 0))


_RANK = {Priority.URGENT: 0, Priority.IMPORTANT: 1, Priority.NORMAL: 2}


@dataclass(frozen=True)
class ResponseTimes:
    """How long a case of one priority may wait for a first response and for resolution."""

    respond_within: timedelta
    resolve_within: timedelta


def _default_times() -> dict[Priority, ResponseTimes]:
    return {
        Priority.URGENT: ResponseTimes(timedelta(minutes=10), timedelta(hours=4)),
        Priority.IMPORTANT: ResponseTimes(timedelta(hours=1), timedelta(hours=24)),
        Priority.NORMAL: ResponseTimes(timedelta(hours=4), timedelta(hours=72)),
    }


@dataclass(frozen=True)
class DeadlinePolicy:
    """Due times by priority; configurable, with the call-centre defaults."""

    times: dict[Priority, ResponseTimes] = field(default_factory=_default_times)

    def response_due(self, priority: Priority, opened_at: datetime) -> datetime:
        return opened_at + self.times[priority].respond_within

    def resolution_due(self, priority: Priority, since: datetime) -> datetime:
        return since + self.times[priority].resolve_within
