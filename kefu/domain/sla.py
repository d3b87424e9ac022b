"""SLA policies (服务时限): targets per priority, category and customer tier.

A policy names the targets of three clocks — the first response, the next agent update owed
after each customer contact, and the resolution — whether they count business time (the
business calendar) or wall-clock time, and at which share of a target a warning is due.
Policies are tried in order; the first that matches the ticket applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from kefu.domain.business_calendar import BusinessCalendar
from kefu.domain.deadlines import DeadlinePolicy, Priority
from kefu.domain.departments import DepartmentDirectory
from kefu.domain.notice import department_of

FIRST_RESPONSE = "first_response"
NEXT_UPDATE = "next_update"
RESOLUTION = "resolution"
CLOCKS = (FIRST_RESPONSE, NEXT_UPDATE, RESOLUTION)
WARNING = "warning"
BREACH = "breach"
ESCALATION = "escalation"
DEFAULT_WARN_SHARE = 0.8


@dataclass(frozen=True)
class EscalationStep:
    """What escalation level N does, `after_seconds` after the breach if the clock still runs:
    raise the priority one step, reassign to a department (a supervisor group) or an agent,
    and notify (recipients handed to the notification hook, see docs/automation.md)."""

    level: int
    after_seconds: int = 0
    raise_priority: bool = False
    department: str | None = None
    agent_id: str | None = None
    notify: tuple[str, ...] = ()


@dataclass(frozen=True)
class Escalation:
    """One escalation of a ticket: its level, why, and what changes."""

    level: int
    reason: str
    priority: Priority | None = None
    department: str | None = None
    agent_id: str | None = None
    clock: str = ""
    cycle: int = 0


@dataclass(frozen=True)
class SlaTerms:
    """What a ticket's clocks count to, as recorded on it: the policy's name and targets in
    seconds (None: that clock is not tracked), business or wall-clock time, warning share."""

    policy: str
    first_response_seconds: int | None
    next_update_seconds: int | None
    resolution_seconds: int | None
    business_hours: bool
    warn_share: float

    def targets(self) -> dict[str, int]:
        found = {
            FIRST_RESPONSE: self.first_response_seconds,
            NEXT_UPDATE: self.next_update_seconds,
            RESOLUTION: self.resolution_seconds,
        }
        return {clock: seconds for clock, seconds in found.items() if seconds is not None}


@dataclass(frozen=True)
class SlaPolicy:
    """One SLA policy; empty `priorities`, `categories` or `tiers` match every ticket."""

    name: str
    first_response_seconds: int | None = None
    next_update_seconds: int | None = None
    resolution_seconds: int | None = None
    business_hours: bool = False
    warn_share: float = DEFAULT_WARN_SHARE
    priorities: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    escalation: tuple[EscalationStep, ...] = ()

    def matches(self, priority: str, category: str, tier: str) -> bool:
        return (
            (not self.priorities or priority in self.priorities)
            and (not self.categories or category in self.categories)
            and (not self.tiers or tier in self.tiers)
        )

    def terms(self) -> SlaTerms:
        return SlaTerms(
            self.name,
            self.first_response_seconds,
            self.next_update_seconds,
            self.resolution_seconds,
            self.business_hours,
            self.warn_share,
        )

    def target(self, clock: str) -> int | None:
        return {
            FIRST_RESPONSE: self.first_response_seconds,
            NEXT_UPDATE: self.next_update_seconds,
            RESOLUTION: self.resolution_seconds,
        }[clock]

    def step(self, level: int) -> EscalationStep | None:
        return next((s for s in self.escalation if s.level == level), None)


@dataclass(frozen=True)
class SlaMark:
    """A warning or a breach of one run (cycle) of one clock, due at `due_at`."""

    policy: str
    clock: str
    cycle: int
    kind: str  # WARNING, BREACH or ESCALATION
    due_at: datetime
    level: int = 0  # the escalation level, for ESCALATION marks


def default_policies(deadlines: DeadlinePolicy) -> tuple[SlaPolicy, ...]:
    """One wall-clock policy per priority, from the deadline settings (`KEFU_DEADLINES`);
    the next update is owed within the first-response time after a customer contact."""
    return tuple(
        SlaPolicy(
            name=f"default-{priority}",
            first_response_seconds=int(times.respond_within.total_seconds()),
            next_update_seconds=int(times.respond_within.total_seconds()),
            resolution_seconds=int(times.resolve_within.total_seconds()),
            priorities=(str(priority),),
        )
        for priority, times in deadlines.times.items()
    )


@dataclass(frozen=True)
class SlaPolicies:
    """The ordered policies; `select` gives the first that matches, None if none does."""

    policies: tuple[SlaPolicy, ...] = field(
        default_factory=lambda: default_policies(DeadlinePolicy())
    )

    def select(self, priority: str, category: str, tier: str) -> SlaPolicy | None:
        return next((p for p in self.policies if p.matches(priority, category, tier)), None)

    def named(self, name: str) -> SlaPolicy | None:
        return next((p for p in self.policies if p.name == name), None)


@dataclass(frozen=True)
class SlaSetup:
    """The policies and the business calendar their clocks count on."""

    policies: SlaPolicies = field(default_factory=SlaPolicies)
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)


def check_policies(
    policies: Sequence[SlaPolicy], departments: DepartmentDirectory | None = None
) -> None:
    """Refuses policies that cannot work, naming the policy and the field; escalations may
    hand work (or word) only to departments of the directory."""
    directory = departments or DepartmentDirectory()
    seen: set[str] = set()
    for policy in policies:
        if policy.name in seen:
            raise ValueError(f"policy {policy.name!r}: name is used twice")
        seen.add(policy.name)
        for clock in CLOCKS:
            target = policy.target(clock)
            if target is not None and target <= 0:
                raise ValueError(f"policy {policy.name!r}: {clock} must be positive")
        if not 0 < policy.warn_share < 1:
            raise ValueError(f"policy {policy.name!r}: warn_share must be between 0 and 1")
        levels = [step.level for step in policy.escalation]
        if levels != list(range(1, len(levels) + 1)):
            raise ValueError(f"policy {policy.name!r}: escalation levels run 1, 2, ...")
        for step in policy.escalation:
            _check_step_departments(policy.name, step, directory)


def _check_step_departments(
    policy: str, step: EscalationStep, directory: DepartmentDirectory
) -> None:
    named = [("department", step.department)]
    named += [("notify", department_of(recipient)) for recipient in step.notify]
    for field_name, department in named:
        if department is not None and department not in directory:
            known = ", ".join(directory.keys())
            raise ValueError(
                f"policy {policy!r}: escalation level {step.level} {field_name}: department "
                f"{department!r} is not in KEFU_DEPARTMENTS ({known})"
            )
