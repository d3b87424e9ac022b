"""SLA policies and the business calendar from configuration.

`KEFU_SLA_FILE` is a JSON object `{"policies": [...]}`; each policy is
`{"name", "priorities", "categories", "tiers", "first_response", "next_update", "resolution",
"business_hours", "warn_at", "escalation": [{"level", "after", "raise_priority", "department",
"agent_id", "notify"}]}` with durations like `10m`, `4h`, `3d`. The file's policies are tried
first, in order; the default policy of each priority (from `KEFU_DEADLINES`) comes last, so
every ticket is under one. `KEFU_BUSINESS_HOURS` and `KEFU_CLOSURES` make the calendar; China's
holidays and adjusted working days come from `chinese-calendar`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import msgspec

from kefu.domain.business_calendar import BusinessCalendar, parse_dates, parse_hours
from kefu.domain.deadlines import DeadlinePolicy
from kefu.domain.sla import (
    DEFAULT_WARN_SHARE,
    EscalationStep,
    SlaPolicies,
    SlaPolicy,
    SlaSetup,
    check_policies,
    default_policies,
)
from kefu.processes.china_holidays import china_adjusted_workdays, china_holidays
from kefu.settings import Settings, SettingsError, duration


class _Step(msgspec.Struct, forbid_unknown_fields=True):
    level: int
    after: str = "0m"
    raise_priority: bool = False
    department: str | None = None
    agent_id: str | None = None
    notify: list[str] = []


class _Policy(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    priorities: list[str] = []
    categories: list[str] = []
    tiers: list[str] = []
    first_response: str | None = None
    next_update: str | None = None
    resolution: str | None = None
    business_hours: bool = False
    warn_at: float = DEFAULT_WARN_SHARE
    escalation: list[_Step] = []


class _File(msgspec.Struct, forbid_unknown_fields=True):
    policies: list[_Policy] = []


# What the shipped per-priority policies do at a breach, and an hour later if still running.
DEFAULT_ESCALATION = (
    EscalationStep(level=1, raise_priority=True, notify=("duty-manager",)),
    EscalationStep(level=2, after_seconds=3600, department="supervisors"),
)


def sla_setup(settings: Settings) -> SlaSetup:
    """The policies and the calendar the settings describe; errors name the policy and field."""
    defaults = tuple(
        replace(p, escalation=DEFAULT_ESCALATION)
        for p in default_policies(DeadlinePolicy(settings.deadline_policy().times))
    )
    policies = (*_file_policies(settings.sla_file), *defaults)
    try:
        check_policies(policies, settings.department_directory())
    except ValueError as e:
        raise SettingsError(f"KEFU_SLA_FILE {settings.sla_file}: {e}") from None
    return SlaSetup(SlaPolicies(policies), business_calendar(settings))


def business_calendar(settings: Settings) -> BusinessCalendar:
    try:
        hours = parse_hours(settings.business_hours)
    except ValueError as e:
        raise SettingsError(f"KEFU_BUSINESS_HOURS: {e}") from None
    try:
        closures = parse_dates(settings.closures)
    except ValueError as e:
        raise SettingsError(f"KEFU_CLOSURES: {e}") from None
    return BusinessCalendar(
        timezone=settings.zone(),
        hours=hours,
        holidays=china_holidays(),
        adjusted_workdays=china_adjusted_workdays(),
        closures=closures,
    )


def _file_policies(path: str) -> tuple[SlaPolicy, ...]:
    if not path:
        return ()
    try:
        raw = msgspec.json.decode(Path(path).read_bytes(), type=_File)
    except (OSError, msgspec.DecodeError) as e:
        raise SettingsError(f"KEFU_SLA_FILE {path}: {e}") from None
    return tuple(_policy(path, p) for p in raw.policies)


def _policy(path: str, p: _Policy) -> SlaPolicy:
    def seconds(field: str, text: str | None) -> int | None:
        if text is None:
            return None
        try:
            return int(duration(text).total_seconds())
        except ValueError as e:
            raise SettingsError(f"KEFU_SLA_FILE {path}: policy {p.name!r}: {field}: {e}") from None

    steps = tuple(
        EscalationStep(
            level=s.level,
            after_seconds=seconds(f"escalation level {s.level} after", s.after) or 0,
            raise_priority=s.raise_priority,
            department=s.department,
            agent_id=s.agent_id,
            notify=tuple(s.notify),
        )
        for s in p.escalation
    )
    return SlaPolicy(
        name=p.name,
        first_response_seconds=seconds("first_response", p.first_response),
        next_update_seconds=seconds("next_update", p.next_update),
        resolution_seconds=seconds("resolution", p.resolution),
        business_hours=p.business_hours,
        warn_share=p.warn_at,
        priorities=tuple(p.priorities),
        categories=tuple(p.categories),
        tiers=tuple(p.tiers),
        escalation=steps,
    )
