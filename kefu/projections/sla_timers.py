"""The due-timer table: per ticket, its SLA clocks and the moment the next mark falls due.

Built from the ticket's events like any view (one transaction with its tracking position), it
holds the next warning, breach or escalation of each ticket with running clocks, indexed by due
time. The automation process asks it only for the earliest due rows, never scans the open
cases, and decides each one again from the ticket's own events before acting.

`AutomationControl` holds what an operator sets (paused or not): a table of its own, outside
the timer table, so a rebuild of the timers never resumes a paused automation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from kefu.domain.metadata import imported
from kefu.domain.sla import SlaSetup
from kefu.domain.sla_clocks import TicketClocks, fold_clocks
from kefu.domain.thread import TicketEntryPosted
from kefu.domain.ticket import Ticket
from kefu.projections.documents import FoldProjection
from kefu.projections.due_timers import DueTimerView
from kefu.projections.sql import SqlView, db_time


class TimerDoc(msgspec.Struct, frozen=True, kw_only=True):
    """A ticket's clocks and when its next mark falls due (None: nothing running)."""

    clocks: TicketClocks
    due_at: datetime | None = None
    version: int
    position: int


class SlaTimerStore(DueTimerView[TimerDoc]):
    """One row per ticket; `due_at` indexed."""

    table = "sla_timers"
    document = TimerDoc


class SlaTimersProjection(FoldProjection[SlaTimerStore]):
    """Keeps the due-timer table from the tickets' events."""

    name = "sla_timers"
    event_classes = (
        Ticket.Opened, Ticket.Reviewed, Ticket.Dispatched, Ticket.Redispatched,
        Ticket.FollowedUp, Ticket.Started, Ticket.Resolved, Ticket.FeedbackGiven,
        Ticket.Closed, Ticket.Reopened, Ticket.Archived, Ticket.AwaitingCustomer,
        Ticket.CustomerReplied, Ticket.Escalated, Ticket.SlaAssigned, Ticket.SlaWarned,
        Ticket.SlaBreached, Ticket.Cancelled, Ticket.MarkedDuplicate, TicketEntryPosted,
    )  # fmt: skip

    def __init__(self, view: SlaTimerStore, setup: SlaSetup) -> None:
        super().__init__(view)
        self.setup = setup

    # An instance method, not the usual staticmethod: due times need the configured calendar.
    def fold(self, doc: TimerDoc | None, event: Any, position: int) -> TimerDoc:  # type: ignore[override]
        clocks = fold_clocks(doc.clocks if doc else None, event)
        # Imported history sets no timer (docs/import.md): the next change made here does.
        marks = () if imported(event) else clocks.marks(self.setup.calendar, self.setup.policies)
        return TimerDoc(
            clocks=clocks,
            due_at=marks[0].due_at if marks else None,
            version=event.originator_version,
            position=position,
        )


class AutomationControl(SqlView):
    """Whether an automation process is paused (set by `kefu automation pause|resume`)."""

    ddl = (
        "CREATE TABLE IF NOT EXISTS automation_control (name TEXT PRIMARY KEY, "
        "paused INTEGER NOT NULL, changed_at TEXT NOT NULL)",
    )

    def paused(self, name: str) -> bool:
        rows = self.query(
            "SELECT paused FROM automation_control WHERE name = :name", {"name": name}
        )
        return bool(rows and rows[0]["paused"])

    def set_paused(self, name: str, paused: bool, at: datetime) -> None:
        with self.write() as tx:
            tx.execute(
                "INSERT INTO automation_control (name, paused, changed_at) "
                "VALUES (:name, :paused, :at) ON CONFLICT (name) DO UPDATE SET "
                "paused = excluded.paused, changed_at = excluded.changed_at",
                {"name": name, "paused": int(paused), "at": db_time(at)},
            )
