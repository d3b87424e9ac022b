"""协同工单: a ticket that needs several departments, one node per department.

Each node has an owner, a deliverable, a deadline and a light (节点亮灯): green while on time,
yellow once a share of its time has passed, red when overdue (or, once done, when it was done
late). A node still open at its deadline is escalated once (逾期自动升级预警) by the collaboration
watch (`kefu/processes/collaboration_watch.py`). The ticket resolves only when every node is
done, or when the lead department overrides the open ones with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Light(StrEnum):
    """A node's light."""

    GREEN = "green"  # on time (or done on time)
    YELLOW = "yellow"  # at risk: the warning share of its time has passed
    RED = "red"  # overdue (or done late)


class NodeStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    OVERRIDDEN = "overridden"  # closed by the lead department without the deliverable


@dataclass(frozen=True)
class Node:
    """One department's part of a collaborative ticket."""

    department: str
    owner_id: str | None
    deliverable: str
    opened_at: datetime
    warn_at: datetime
    due_at: datetime
    status: NodeStatus = NodeStatus.OPEN
    finished_at: datetime | None = None
    escalated: bool = False

    def light(self, now: datetime) -> Light:
        """The light at `now`: an open node by the clock, a finished one by when it finished."""
        return light(self.warn_at, self.due_at, self.finished_at, now)

    def escalation_due(self, now: datetime) -> bool:
        """Open, past its deadline and not escalated yet: the watch escalates it now."""
        return self.status is NodeStatus.OPEN and not self.escalated and now >= self.due_at


def light(
    warn_at: datetime, due_at: datetime, finished_at: datetime | None, now: datetime
) -> Light:
    """Green, yellow or red (the rule the node view's SQL filter repeats, and a test compares)."""
    if finished_at is not None:
        return Light.RED if finished_at > due_at else Light.GREEN
    if now >= due_at:
        return Light.RED
    return Light.YELLOW if now >= warn_at else Light.GREEN


def warning_time(opened_at: datetime, due_at: datetime, share: float) -> datetime:
    """When a node opened at `opened_at` and due at `due_at` turns yellow."""
    return opened_at + (due_at - opened_at) * share
