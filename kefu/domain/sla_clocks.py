"""A ticket's SLA clocks, folded from its events: running, paused, stopped, warned, breached.

Each clock keeps its runs (start, end) in wall-clock moments; how much of that counts (business
or wall-clock time) is decided when it is read, with the calendar. The fold therefore needs no
configuration, and the ticket view, the due-timer table and the process manager that records
warnings and breaches all fold the same events the same way.

- first response: runs from opening to the first agent action;
- next update: runs from each customer contact (a reply while waiting, or a thread message on a
  ticket being worked that was answered once) to the next agent action or public reply (a new
  cycle per contact; a second contact before the update keeps the first one's clock);
- resolution: runs from opening (a new cycle from each reopening) to the resolution;
- waiting for the customer pauses every running clock; the customer's reply resumes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from kefu.domain.business_calendar import TimeCounter, WallClock
from kefu.domain.sla import (
    BREACH,
    CLOCKS,
    ESCALATION,
    FIRST_RESPONSE,
    NEXT_UPDATE,
    RESOLUTION,
    WARNING,
    SlaMark,
    SlaPolicies,
    SlaPolicy,
    SlaTerms,
)
from kefu.domain.thread import EntryKind, TicketEntryPosted
from kefu.domain.ticket import EVENT_ACTIONS, Ticket
from kefu.domain.ticket_lifecycle import AGENT_ACTIONS

_WALL = WallClock()


@dataclass(frozen=True)
class Run:
    """A stretch of time a clock ran (ended: None while it still runs)."""

    started_at: datetime
    ended_at: datetime | None = None


@dataclass(frozen=True)
class ClockState:
    """One clock's current cycle."""

    name: str
    cycle: int = 0  # 0: never started
    runs: tuple[Run, ...] = ()
    stopped_at: datetime | None = None
    warned: bool = False
    breached: bool = False
    breached_at: datetime | None = None  # when the target was reached (the breach's due time)
    escalated: int = 0  # the highest escalation level of this cycle

    @property
    def running(self) -> bool:
        return bool(self.runs) and self.runs[-1].ended_at is None

    @property
    def paused(self) -> bool:
        return bool(self.runs) and not self.running and self.stopped_at is None

    def started(self, at: datetime) -> ClockState:
        return ClockState(self.name, self.cycle + 1, (Run(at),))

    def stopped(self, at: datetime) -> ClockState:
        if self.cycle == 0 or self.stopped_at is not None:
            return self
        return replace(self._ended(at), stopped_at=at)

    def paused_at(self, at: datetime) -> ClockState:
        return self._ended(at) if self.running else self

    def resumed(self, at: datetime) -> ClockState:
        return replace(self, runs=(*self.runs, Run(at))) if self.paused else self

    def _ended(self, at: datetime) -> ClockState:
        if not self.running:
            return self
        return replace(self, runs=(*self.runs[:-1], Run(self.runs[-1].started_at, at)))

    def elapsed(self, now: datetime, counter: TimeCounter) -> timedelta:
        total = timedelta()
        for run in self.runs:
            total += counter.elapsed(run.started_at, min(run.ended_at or now, now))
        return total

    def due(self, target: timedelta, counter: TimeCounter) -> datetime | None:
        """When the clock reaches `target`, if it keeps running; None if it is not running."""
        if not self.running:
            return None
        *ended, current = self.runs
        used = timedelta()
        for run in ended:
            used += counter.elapsed(run.started_at, run.ended_at or run.started_at)
        return counter.add(current.started_at, target - used)


def _new_clocks() -> dict[str, ClockState]:
    return {name: ClockState(name) for name in CLOCKS}


@dataclass(frozen=True)
class TicketClocks:
    """Every clock of one ticket, the policy terms, and the time spent waiting for the customer."""

    clocks: dict[str, ClockState] = field(default_factory=_new_clocks)
    terms: SlaTerms | None = None
    paused_since: datetime | None = None
    paused_seconds: float = 0.0

    def clock(self, name: str) -> ClockState:
        return self.clocks[name]

    def counter(self, calendar: TimeCounter) -> TimeCounter:
        return calendar if self.terms is not None and self.terms.business_hours else _WALL

    def marks(self, calendar: TimeCounter, policies: SlaPolicies | None = None) -> list[SlaMark]:
        """The warnings, breaches and (with `policies`, for their escalation steps)
        escalations still to come for running clocks, earliest first."""
        if self.terms is None:
            return []
        found = self._targets(calendar)
        policy = policies.named(self.terms.policy) if policies else None
        if policy is not None:
            found.extend(self._escalations(policy))
        return sorted(found, key=lambda m: m.due_at)

    def _escalations(self, policy: SlaPolicy) -> list[SlaMark]:
        found = []
        for name, state in self.clocks.items():
            step = policy.step(state.escalated + 1)
            if state.running and state.breached_at is not None and step is not None:
                due = state.breached_at + timedelta(seconds=step.after_seconds)
                mark = SlaMark(policy.name, name, state.cycle, ESCALATION, due, step.level)
                found.append(mark)
        return found

    def _targets(self, calendar: TimeCounter) -> list[SlaMark]:
        assert self.terms is not None
        counter, terms, found = self.counter(calendar), self.terms, []
        for name, seconds in terms.targets().items():
            state = self.clocks[name]
            target = timedelta(seconds=seconds)
            pending = ((WARNING, target * terms.warn_share, state.warned),
                       (BREACH, target, state.breached))  # fmt: skip
            for kind, share, done in pending:
                due = None if done else state.due(share, counter)
                if due is not None:
                    found.append(SlaMark(terms.policy, name, state.cycle, kind, due))
        return found

    def due_marks(
        self, calendar: TimeCounter, now: datetime, policies: SlaPolicies | None = None
    ) -> list[SlaMark]:
        return [mark for mark in self.marks(calendar, policies) if mark.due_at <= now]

    def paused_total(self, now: datetime) -> timedelta:
        current = now - self.paused_since if self.paused_since else timedelta()
        return timedelta(seconds=self.paused_seconds) + max(current, timedelta())


# A resolved, closed or archived ticket, and a withdrawn one (cancelled or a duplicate), waits
# for nobody: its clocks stop.
CLOCKS_STOP = (
    Ticket.Resolved, Ticket.Closed, Ticket.Archived, Ticket.Cancelled, Ticket.MarkedDuplicate
)  # fmt: skip


def fold_clocks(state: TicketClocks | None, event: Any) -> TicketClocks:
    """The clocks after one of the ticket's events (state None before `Opened`)."""
    at: datetime = event.timestamp
    if state is None or isinstance(event, Ticket.Opened):
        clocks = _new_clocks()
        for name in (FIRST_RESPONSE, RESOLUTION):
            clocks[name] = clocks[name].started(at)
        return TicketClocks(clocks, terms=getattr(event, "sla", None))
    if isinstance(event, Ticket.SlaAssigned | Ticket.SlaWarned | Ticket.SlaBreached):
        return _sla_event(state, event)
    if isinstance(event, Ticket.Escalated) and event.clock in state.clocks:
        clock = state.clocks[event.clock]
        if clock.cycle == event.cycle:
            return _with_clock(state, replace(clock, escalated=max(clock.escalated, event.level)))
        return state
    if EVENT_ACTIONS.get(type(event)) in AGENT_ACTIONS or _is_entry(event, EntryKind.PUBLIC_REPLY):
        for name in (FIRST_RESPONSE, NEXT_UPDATE):
            state = _with_clock(state, state.clocks[name].stopped(at))
    if _is_entry(event, EntryKind.CUSTOMER_MESSAGE):
        return _customer_wrote(state, at)
    return _lifecycle_event(state, event, at)


def _is_entry(event: Any, kind: EntryKind) -> bool:
    """A thread entry of that kind (a public reply answers the customer as an agent's action
    does; a customer's message is a contact)."""
    return isinstance(event, TicketEntryPosted) and event.entry.kind is kind


def _customer_wrote(state: TicketClocks, at: datetime) -> TicketClocks:
    """A message on a ticket being worked, once answered, starts a next-update cycle (unless one
    runs). A waiting ticket's clocks start again on its `CustomerReplied`, a settled one's on
    its reopening; before the first answer, the first-response clock already runs."""
    update = state.clocks[NEXT_UPDATE]
    worked = state.clocks[RESOLUTION].running and state.clocks[FIRST_RESPONSE].stopped_at
    return _with_clock(state, update.started(at)) if worked and not update.running else state


def _lifecycle_event(state: TicketClocks, event: Any, at: datetime) -> TicketClocks:
    """Most events leave the clocks as they are: the state is then returned unchanged."""
    if isinstance(event, Ticket.AwaitingCustomer):
        paused = {name: c.paused_at(at) for name, c in state.clocks.items()}
        return replace(state, clocks=paused, paused_since=state.paused_since or at)
    if isinstance(event, Ticket.CustomerReplied):
        state = _resumed(state, at)
        update = state.clocks[NEXT_UPDATE]
        return state if update.running else _with_clock(state, update.started(at))
    if isinstance(event, CLOCKS_STOP):
        state = _resumed(state, at)  # a resolved ticket no longer waits for anybody
        return replace(state, clocks={name: c.stopped(at) for name, c in state.clocks.items()})
    if isinstance(event, Ticket.Reopened):
        return _with_clock(state, state.clocks[RESOLUTION].started(at))
    if isinstance(event, Ticket.Redispatched):
        return _resumed(state, at)  # back to work: the table leaves `pending`
    return state


def _with_clock(state: TicketClocks, clock: ClockState) -> TicketClocks:
    if state.clocks[clock.name] is clock:
        return state
    return replace(state, clocks={**state.clocks, clock.name: clock})


def _resumed(state: TicketClocks, at: datetime) -> TicketClocks:
    if state.paused_since is None:
        return state
    waited = (at - state.paused_since).total_seconds()
    return replace(
        state,
        clocks={name: c.resumed(at) for name, c in state.clocks.items()},
        paused_since=None,
        paused_seconds=state.paused_seconds + max(waited, 0.0),
    )


def _sla_event(state: TicketClocks, event: Any) -> TicketClocks:
    if isinstance(event, Ticket.SlaAssigned):
        terms = SlaTerms(
            event.policy,
            event.first_response_seconds,
            event.next_update_seconds,
            event.resolution_seconds,
            event.business_hours,
            event.warn_share,
        )
        return replace(state, terms=terms)
    clock = state.clocks[event.clock]
    if clock.cycle != event.cycle:
        return state  # a mark of an earlier cycle
    if isinstance(event, Ticket.SlaBreached):
        clock = replace(clock, breached=True, breached_at=event.due_at)
    else:
        clock = replace(clock, warned=True)
    return _with_clock(state, clock)


# The readings are made afresh for one answer and never kept, so they are not frozen: a frozen
# dataclass's construction costs seven times as much, and a ticket list reads 20 tickets' clocks.
@dataclass(slots=True)
class ClockReading:
    """One clock as the ticket view shows it at a moment."""

    state: str  # running, paused, stopped, not_started
    cycle: int
    target_seconds: int | None
    elapsed_seconds: float
    remaining_seconds: float | None  # negative once the target has passed
    due_at: datetime | None  # when it will reach its target if it keeps running
    warned: bool
    breached: bool
    escalation_level: int


@dataclass(slots=True)
class SlaReading:
    """A ticket's SLA at a moment: the policy, each clock, and the time spent waiting."""

    policy: str | None
    business_hours: bool
    paused: bool
    paused_seconds: float
    clocks: dict[str, ClockReading]


def read_clocks(state: TicketClocks, calendar: TimeCounter, now: datetime) -> SlaReading:
    """Elapsed, remaining and paused time of every clock at `now`."""
    counter = state.counter(calendar)
    targets = state.terms.targets() if state.terms else {}
    readings = {}
    for name, clock in state.clocks.items():
        elapsed = clock.elapsed(now, counter).total_seconds()
        target = targets.get(name)
        due = clock.due(timedelta(seconds=target), counter) if target is not None else None
        readings[name] = ClockReading(
            state=_state_name(clock),
            cycle=clock.cycle,
            target_seconds=target,
            elapsed_seconds=elapsed,
            remaining_seconds=None if target is None else target - elapsed,
            due_at=due,
            warned=clock.warned,
            breached=clock.breached,
            escalation_level=clock.escalated,
        )
    return SlaReading(
        policy=state.terms.policy if state.terms else None,
        business_hours=bool(state.terms and state.terms.business_hours),
        paused=state.paused_since is not None,
        paused_seconds=state.paused_total(now).total_seconds(),
        clocks=readings,
    )


def _state_name(clock: ClockState) -> str:
    if clock.cycle == 0:
        return "not_started"
    if clock.running:
        return "running"
    return "paused" if clock.paused else "stopped"
