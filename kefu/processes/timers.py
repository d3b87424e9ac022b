"""What the automation asks of the read side, as protocols injected by `kefu/bootstrap.py`:
the due-timer tables (kefu/projections/sla_timers.py, deadline_timers.py, visit_timers.py)
and the pause switch. Processes never import a read model; a stale answer only delays an
action, since each due record is decided again from its own events before anything is written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID


class DueTimers(Protocol):
    """Records whose next timer is due, earliest first; how many are pending; when the next
    one falls due."""

    def due(self, now: datetime, limit: int = 100) -> list[UUID]: ...

    def pending(self) -> int: ...

    def earliest(self) -> datetime | None: ...


class PauseSwitch(Protocol):
    """Whether an operator paused a process."""

    def paused(self, name: str) -> bool: ...
