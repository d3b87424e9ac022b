"""Settings: one frozen Struct, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from kefu.domain.deadlines import DeadlinePolicy, Priority, ResponseTimes
from kefu.domain.routing import RoutingPolicy, routing_policy
from kefu.store.database import DEFAULT_DATABASE_URL

ENVIRONMENT_HELP = """\
environment:
  KEFU_DATABASE_URL     sqlite:///var/kefu.sqlite3 (default, embedded) or
                        postgresql://user:pass@host:5432/db (production)
  KEFU_API_TOKENS       development/test tokens: token:actor:role[,token:actor:role...]
                        roles: service, auditor, reporter, admin
  KEFU_API_TOKENS_FILE  production tokens: a file of lines sha256hex:actor:role
  KEFU_DEADLINES        response/resolution times by priority, e.g.
                        urgent=10m/4h,important=1h/24h,normal=4h/72h (the default)
  KEFU_TIMEZONE         business time zone for reports (default Asia/Shanghai)
  KEFU_SERVICE_LEVEL_SECONDS  T of the call report's service level (default 20)
  KEFU_VISIT_RULES_FILE return-visit plan (回访规则): a JSON list of
                        {"name", "trigger", "purpose", "days", "months", "tiers"}; default rules
                        when unset (see kefu/domain/visit_rules.py)
  KEFU_READ_WAIT_SECONDS  how long ?after=<position> waits for projections (default 2)
  KEFU_ROUTING          routing strategy (振铃策略) per skill group, e.g.
                        default=longest_idle,vip=familiar/round_robin,sales=ring_all
  KEFU_SLA_FILE         SLA policies (JSON, see docs/automation.md); tried before the
                        per-priority defaults made from KEFU_DEADLINES
  KEFU_RULES_FILE       automation rules (JSON, see docs/automation.md); read again when it
                        changes; default: the 10-minute lanes and the major-complaint rule
  KEFU_BUSINESS_HOURS   working hours per weekday, default mon-fri=09:00-18:00
  KEFU_CLOSURES         extra closed days, e.g. 2026-12-31,2027-01-04 (China's public
                        holidays and 调休 working days are built in)
  KEFU_AUTOMATION       on (default) or off: the automation process (SLA policies, warnings,
                        breaches, escalations) in the projection runner
"""


class SettingsError(ValueError):
    """An environment variable holds a value kefu cannot use."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything configurable, resolved at start-up."""

    database_url: str = DEFAULT_DATABASE_URL
    api_tokens: str = ""
    api_tokens_file: str = ""
    deadlines: str = "urgent=10m/4h,important=1h/24h,normal=4h/72h"
    timezone: str = "Asia/Shanghai"
    # Bounded: an infinite or NaN wait would never time out and could hang a worker.
    read_wait_seconds: Annotated[float, msgspec.Meta(ge=0, le=60)] = 2.0
    routing: str = "default=longest_idle"
    visit_rules_file: str = ""
    # T of the call report's service level: answered within T seconds of queueing.
    service_level_seconds: Annotated[int, msgspec.Meta(ge=1, le=3600)] = 20
    sla_file: str = ""
    rules_file: str = ""
    business_hours: str = "mon-fri=09:00-18:00"
    closures: str = ""
    automation: Literal["on", "off"] = "on"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values = {
            field: env[f"KEFU_{field.upper()}"]
            for field in cls.__struct_fields__
            if f"KEFU_{field.upper()}" in env
        }
        try:
            settings = msgspec.convert(values, cls, strict=False)
        except msgspec.ValidationError as e:
            raise SettingsError(str(e)) from None
        settings.deadline_policy()  # fail at start-up, not on the first ticket
        settings.routing_policy()
        return settings

    def deadline_policy(self) -> DeadlinePolicy:
        return DeadlinePolicy(parse_deadlines(self.deadlines))

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ValueError, ZoneInfoNotFoundError):
            raise SettingsError(f"KEFU_TIMEZONE {self.timezone!r} is not a time zone") from None

    def routing_policy(self) -> RoutingPolicy:
        try:
            return routing_policy(self.routing)
        except ValueError as e:
            raise SettingsError(f"KEFU_ROUTING {self.routing!r}: {e}") from None


_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_deadlines(spec: str) -> dict[Priority, ResponseTimes]:
    """`urgent=10m/4h,...` → response times per priority; every priority must be given."""
    times: dict[Priority, ResponseTimes] = {}
    try:
        for item in filter(None, (part.strip() for part in spec.split(","))):
            name, _, durations = item.partition("=")
            respond, resolve = _two_durations(item, durations)
            priority = Priority(name.strip())
            if priority in times:
                raise ValueError(f"{priority} is given twice")
            times[priority] = ResponseTimes(respond, resolve)
    except ValueError as e:
        raise SettingsError(f"KEFU_DEADLINES {spec!r}: {e}") from None
    missing = set(Priority) - set(times)
    if missing:
        raise SettingsError(f"KEFU_DEADLINES misses {', '.join(sorted(missing))}")
    return times


def _two_durations(item: str, durations: str) -> tuple[timedelta, timedelta]:
    parts = durations.split("/")
    if len(parts) != 2:
        raise ValueError(f"{item!r} should look like urgent=10m/4h (respond/resolve)")
    return duration(parts[0]), duration(parts[1])


def duration(text: str) -> timedelta:
    """`10m`, `4h` or `3d` as a timedelta."""
    text = text.strip()
    unit = _UNITS.get(text[-1:])
    if unit is None or not (text[:-1].isascii() and text[:-1].isdigit()):
        raise ValueError(f"{text!r} is not a duration like 30s, 10m, 4h or 3d")
    return timedelta(**{unit: int(text[:-1])})
