"""A complaint's deadlines, folded from its events: the first reply within 24 hours, the final
answer within 3 days, and each department task's due time (投诉时限).

A deadline is met by its event (acknowledgement, accepted resolution, task completed or failed;
closing or archiving meets them all). One past due and unmet is escalated once: the escalation's
channel names the deadline (`deadline:<key>`), so the fold knows it was done.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from kefu.domain.complaint import Complaint
from kefu.domain.complaint_values import EscalationLevel
from kefu.domain.notice import DUTY, MANAGER

FIRST_REPLY = "first_reply"
FINAL_ANSWER = "final_answer"
DEADLINE_CHANNEL = "deadline:"


@dataclass(frozen=True)
class Deadline:
    """One deadline: when it is due, who is escalated to when it is missed, and its state."""

    key: str  # first_reply, final_answer or task:<id>
    due_at: datetime
    level: EscalationLevel
    to: str
    notify: tuple[str, ...] = ()  # who is told (kefu/domain/notice.py names them)
    met: bool = False
    escalated: bool = False

    @property
    def open(self) -> bool:
        return not self.met and not self.escalated


@dataclass(frozen=True)
class ComplaintDeadlines:
    """Every deadline of one complaint, by key."""

    deadlines: dict[str, Deadline] = field(default_factory=dict)

    def due(self, now: datetime) -> list[Deadline]:
        return [d for d in self.deadlines.values() if d.open and d.due_at <= now]

    def next_due(self) -> datetime | None:
        return min((d.due_at for d in self.deadlines.values() if d.open), default=None)


def fold_deadlines(state: ComplaintDeadlines | None, event: Any) -> ComplaintDeadlines:
    """The deadlines after one of the complaint's events."""
    if state is None or isinstance(event, Complaint.Registered):
        return ComplaintDeadlines(
            {
                FIRST_REPLY: Deadline(
                    FIRST_REPLY,
                    event.first_reply_due_at,
                    EscalationLevel.SUPERVISOR,
                    "supervisor",
                    (DUTY,),
                ),
                FINAL_ANSWER: Deadline(
                    FINAL_ANSWER,
                    event.final_answer_due_at,
                    EscalationLevel.MANAGER,
                    "manager",
                    (MANAGER,),
                ),
            }
        )
    return ComplaintDeadlines(_changed(dict(state.deadlines), event))


def _changed(deadlines: dict[str, Deadline], event: Any) -> dict[str, Deadline]:
    if isinstance(event, Complaint.TaskAssigned):
        key = f"task:{event.task_id}"
        to = f"department {event.department}"
        manager = (f"{MANAGER}:{event.department}",)
        deadlines[key] = Deadline(key, event.due_at, EscalationLevel.SUPERVISOR, to, manager)
    met = _met_by(event, deadlines)
    for key in met:
        deadlines[key] = replace(deadlines[key], met=True)
    channel = getattr(getattr(event, "meta", None), "channel", "")
    if isinstance(event, Complaint.Escalated) and channel.startswith(DEADLINE_CHANNEL):
        key = channel.removeprefix(DEADLINE_CHANNEL)
        if key in deadlines:
            deadlines[key] = replace(deadlines[key], escalated=True)
    return deadlines


def _met_by(event: Any, deadlines: dict[str, Deadline]) -> list[str]:
    if isinstance(event, Complaint.Acknowledged):
        return [FIRST_REPLY]
    if isinstance(event, Complaint.ResolutionAccepted):
        return [FINAL_ANSWER]
    if isinstance(event, Complaint.TaskCompleted | Complaint.TaskFailed):
        return [f"task:{event.task_id}"]
    if isinstance(event, Complaint.Closed | Complaint.Archived):
        return list(deadlines)
    return []
