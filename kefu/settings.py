"""Settings: one frozen Struct, read once from the environment."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from kefu.domain.backoff import Backoff
from kefu.domain.complaint_policy import ComplaintPolicy, parse_complaint_policy
from kefu.domain.deadlines import DeadlinePolicy, Priority, ResponseTimes
from kefu.domain.departments import (
    DEFAULT_DEPARTMENTS,
    DepartmentDirectory,
    parse_departments,
)
from kefu.domain.routing import RoutingPolicy, parse_overflows, routing_policy
from kefu.store.chain_keys import (
    ChainKeyError,
    Keyring,
    development_keyring,
    parse_key,
    parse_keyring,
)
from kefu.store.database import (
    DEFAULT_DATABASE_URL,
    Backend,
    DatabaseUrlError,
    backend_of,
    eventsourcing_env,
)
from kefu.store.master_key import default_master_key, parse_master_key, read_master_key_file
from kefu.store.personal_crypto import MasterKey, MasterKeyError

ENVIRONMENT_HELP = """\
environment:
  KEFU_DATABASE_URL     sqlite:///var/kefu.sqlite3 (default, embedded) or
                        postgresql://user:pass@host:5432/db (production)
  KEFU_READ_DATABASE_URL  a streaming standby of that PostgreSQL database: the API's
                        queries read there (commands and the workers use the primary)
  KEFU_OTLP_ENDPOINT    an OpenTelemetry collector (http://collector:4318): a trace span per
                        request over OTLP/HTTP (needs `pip install 'kefu[tracing]'`)
  KEFU_API_TOKENS       development/test tokens: token:actor:role[,token:actor:role...]
                        roles: service, auditor, reporter, admin; a token may be
                        scoped: token:actor:role:dept+dept[:queue+queue]
  KEFU_API_TOKENS_FILE  production tokens: a file of lines sha256hex:actor:role[:...]
  KEFU_DEADLINES        response/resolution times by priority, e.g.
                        urgent=10m/4h,important=1h/24h,normal=4h/72h (the default)
  KEFU_TIMEZONE         business time zone for reports (default Asia/Shanghai)
  KEFU_SERVICE_LEVEL_SECONDS  T of the call report's service level (default 20)
  KEFU_VISIT_RULES_FILE return-visit plan (回访规则): a JSON list of
                        {"name", "trigger", "purpose", "days", "months", "tiers"}; default rules
                        when unset (see kefu/domain/visit_rules.py)
  KEFU_READ_WAIT_SECONDS  how long ?after=<position> waits for projections (default 2)
  KEFU_READY_MAX_LAG_SECONDS  /ready answers 503 when a projection lags more (default 30)
  KEFU_PUBLIC_RATE_PER_MINUTE  public knowledge-base API: requests a client address may make
                        per minute, per worker process (default 60)
  KEFU_PUBLIC_BURST     ... and at once after a pause (default 20)
  KEFU_KPI_TARGETS_FILE monthly KPI targets per agent or team (绩效考核), JSON; see
                        docs/knowledge.md (no targets when unset)
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
  KEFU_NODE_WARN_SHARE  a collaborative ticket's node (协同工单) turns yellow after this share
                        of its time (default 0.8), red at its deadline
  KEFU_CHAIN_KEY        the log chain's active key, key-id:hexsecret (32+ bytes; make one
                        with `kefu audit new-key <id>`); keep it outside the database
  KEFU_CHAIN_KEYS_FILE  a keyring file of key-id:hexsecret lines: the old keys that verify
                        old segments, the last line active unless KEFU_CHAIN_KEY is set.
                        Neither set: a development key in chain.keys beside a SQLite database
                        (var/chain.keys otherwise), made on first use with a warning
  KEFU_WEBHOOK_KEY      the key every webhook secret is derived from (keep it secret;
                        required to sign webhooks; changing it changes every secret)
  KEFU_OUTBOX_MAX_ATTEMPTS      attempts before a delivery is dead-lettered (default 10)
  KEFU_OUTBOX_BACKOFF_SECONDS   first retry delay, doubled per attempt, jittered (default 2)
  KEFU_OUTBOX_BACKOFF_CAP_SECONDS  the longest retry delay (default 3600)
  KEFU_OUTBOX_TIMEOUT_SECONDS   how long a receiver may take to answer (default 10)
  KEFU_OUTBOX_LANES             subscriptions sent to side by side (default 8)
  KEFU_OUTBOX_POLL_SECONDS      how often `kefu outbox run` looks for due retries (default 1)
  KEFU_EVENTS_MAX_WAIT_SECONDS  the longest long-poll of GET /events (default 20; keep it
                        well below gunicorn's worker timeout, 30 s by default)
  KEFU_SMTP_HOST, KEFU_SMTP_PORT (25), KEFU_SMTP_USER, KEFU_SMTP_PASSWORD,
  KEFU_SMTP_FROM, KEFU_SMTP_STARTTLS (false)  email notifications (none without a host)
  KEFU_SMS_GATEWAY_URL, KEFU_SMS_GATEWAY_TOKEN  SMS through a generic HTTP gateway
  KEFU_DIRECTORY_FILE   staff contacts, department managers, duty staff (JSON)
  KEFU_TEMPLATES_FILE   message templates replacing the shipped ones (JSON list)
  KEFU_REMINDER_DAYS    milestone reminders go this many days before (default 5)
  KEFU_MESSAGE_HOUR     local hour for scheduled messages (default 10)
  KEFU_NOTIFY_HORIZON_HOURS  events older than this when first read make no message (48)
  KEFU_ATTACHMENTS_DIR  the folder of thread attachments (default: beside a SQLite database,
                        else var/attachments); KEFU_ATTACHMENT_MAX_BYTES (20 MiB)
  KEFU_CHAT_WEBHOOK_URL, KEFU_CHAT_WEBHOOK_TOKEN  replies on chat and WeChat go to this
                        adapter as JSON {to, text, reference} (see docs/conversations.md)
  KEFU_MASTER_KEY       the master key that wraps personal data keys: 32 bytes as base64
                        (`kefu keys new`); or KEFU_MASTER_KEY_FILE, a file holding it.
                        Neither: a development key (a file beside a SQLite database, else
                        derived from the database's address), with a warning
                        (docs/privacy.md, docs/operations.md)
  KEFU_RETENTION_FILE   retention periods per record kind (JSON, docs/privacy.md)
  KEFU_INTAKE_ADDRESS   the address customers write to (kefu intake smtp takes mail for it)
"""


class SettingsError(ValueError):
    """An environment variable holds a value kefu cannot use."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything configurable, resolved at start-up."""

    database_url: str = DEFAULT_DATABASE_URL
    # A streaming standby of database_url (PostgreSQL) that the API's queries read from.
    read_database_url: str = ""
    # An OpenTelemetry collector's OTLP/HTTP base URL: tracing on (the `tracing` extra).
    otlp_endpoint: str = ""
    api_tokens: str = ""
    api_tokens_file: str = ""
    deadlines: str = "urgent=10m/4h,important=1h/24h,normal=4h/72h"
    complaint_policy: str = (
        "first_reply=24h,final_answer=3d,unreachable_days=3,manager=duty-manager"
    )
    timezone: str = "Asia/Shanghai"
    # Bounded: an infinite or NaN wait would never time out and could hang a worker.
    read_wait_seconds: Annotated[float, msgspec.Meta(ge=0, le=60)] = 2.0
    # /ready turns 503 when a projection is this many seconds behind the log.
    ready_max_lag_seconds: Annotated[float, msgspec.Meta(gt=0, le=86400)] = 30.0
    routing: str = "default=longest_idle"
    # A queue's maximum wait and its overflow queue, e.g. `vip=60s>sales`.
    overflow: str = ""
    departments: str = DEFAULT_DEPARTMENTS
    # Offers an agent may let ring out in a row before being set not-ready (示忙).
    max_missed_offers: Annotated[int, msgspec.Meta(ge=1, le=100)] = 1
    # After-call work an agent gets before it becomes available by itself; 0: until it says so.
    wrap_up_seconds: Annotated[int, msgspec.Meta(ge=0, le=86_400)] = 0
    visit_rules_file: str = ""
    # T of the call report's service level: answered within T seconds of queueing.
    service_level_seconds: Annotated[int, msgspec.Meta(ge=1, le=3600)] = 20
    # The public knowledge-base API's token bucket, per client address and worker process.
    public_rate_per_minute: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 60
    public_burst: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 20
    kpi_targets_file: str = ""
    sla_file: str = ""
    rules_file: str = ""
    business_hours: str = "mon-fri=09:00-18:00"
    closures: str = ""
    automation: Literal["on", "off"] = "on"
    # A collaborative ticket's node turns yellow (at risk) after this share of its time.
    node_warn_share: Annotated[float, msgspec.Meta(gt=0, lt=1)] = 0.8
    webhook_key: str = ""
    chain_key: str = ""
    chain_keys_file: str = ""
    outbox_max_attempts: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10
    outbox_backoff_seconds: Annotated[float, msgspec.Meta(ge=0, le=3600)] = 2.0
    outbox_backoff_cap_seconds: Annotated[float, msgspec.Meta(ge=0, le=86400)] = 3600.0
    outbox_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=300)] = 10.0
    outbox_lanes: Annotated[int, msgspec.Meta(ge=1, le=256)] = 8
    outbox_poll_seconds: Annotated[float, msgspec.Meta(gt=0, le=60)] = 1.0
    # Below gunicorn's default worker timeout (30 s), which would kill a worker mid-poll.
    events_max_wait_seconds: Annotated[float, msgspec.Meta(ge=0, le=300)] = 20.0
    smtp_host: str = ""
    smtp_port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "kefu@localhost"
    smtp_starttls: bool = False
    sms_gateway_url: str = ""
    sms_gateway_token: str = ""
    directory_file: str = ""
    templates_file: str = ""
    reminder_days: Annotated[int, msgspec.Meta(ge=0, le=365)] = 5
    message_hour: Annotated[int, msgspec.Meta(ge=0, le=23)] = 10
    notify_horizon_hours: Annotated[float, msgspec.Meta(gt=0, le=24 * 365)] = 48.0
    attachments_dir: str = ""
    attachment_max_bytes: Annotated[int, msgspec.Meta(ge=1, le=1024**3)] = 20 * 1024 * 1024
    chat_webhook_url: str = ""
    chat_webhook_token: str = ""
    intake_address: str = ""
    master_key: str = ""
    master_key_file: str = ""
    retention_file: str = ""

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
            raise SettingsError(_naming_the_variable(str(e))) from None
        settings.deadline_policy()  # fail at start-up, not on the first ticket
        settings.routing_policy()
        settings.department_directory()
        settings.complaints()
        settings.check_database_url()
        settings.check_timezone()
        settings.check_tracing()
        if settings.master_key or settings.master_key_file:
            settings.personal_data_key()
        settings.configured_chain_keys()
        return settings

    def personal_data_key(self) -> MasterKey:
        """The master key of personal data: KEFU_MASTER_KEY, KEFU_MASTER_KEY_FILE, or the
        development key (kefu/store/master_key.py)."""
        try:
            if self.master_key:
                return parse_master_key(self.master_key)
            if self.master_key_file:
                return read_master_key_file(Path(self.master_key_file))
        except (MasterKeyError, OSError) as e:
            name = "KEFU_MASTER_KEY" if self.master_key else "KEFU_MASTER_KEY_FILE"
            raise SettingsError(f"{name}: {e}") from None
        return default_master_key(self.database_url)

    def configured_chain_keys(self) -> Keyring:
        """KEFU_CHAIN_KEYS_FILE's keys, then KEFU_CHAIN_KEY's (the active one if given)."""
        keyring = Keyring()
        try:
            if self.chain_keys_file:
                path = Path(self.chain_keys_file)
                try:
                    text = path.read_text(encoding="utf-8")
                except OSError as e:
                    raise ChainKeyError(f"cannot read {path}: {e.strerror}") from None
                keyring = parse_keyring(text, "KEFU_CHAIN_KEYS_FILE")
            if self.chain_key:
                key_id, secret = parse_key(self.chain_key, "KEFU_CHAIN_KEY")
                known = keyring.secret(key_id)
                if known is not None and known != secret:
                    raise ChainKeyError(
                        f"KEFU_CHAIN_KEY: key {key_id!r} has another secret in the keys file"
                    )
                keyring = keyring.with_key(key_id, secret)
        except ChainKeyError as e:
            raise SettingsError(str(e)) from None
        return keyring

    def chain_keyring(self) -> Keyring:
        """The configured chain keys, else the development keyring in the data folder."""
        keyring = self.configured_chain_keys()
        return keyring if keyring.active is not None else development_keyring(self.data_folder())

    def data_folder(self) -> Path:
        """The folder of a SQLite database file, else `var`."""
        path = self.database_url.removeprefix("sqlite:///")
        if path != self.database_url and "memory" not in path:
            return Path(path).parent
        return Path("var")

    def check_tracing(self) -> None:
        if self.otlp_endpoint and not _installed("opentelemetry.exporter.otlp.proto.http"):
            raise SettingsError(
                "KEFU_OTLP_ENDPOINT is set, but OpenTelemetry is not installed: "
                "pip install 'kefu[tracing]'"
            )

    def check_database_url(self) -> None:
        try:
            eventsourcing_env(self.database_url)
        except DatabaseUrlError as e:
            raise SettingsError(f"KEFU_DATABASE_URL: {e}") from None
        if not self.read_database_url:
            return
        try:
            eventsourcing_env(self.read_database_url)
        except DatabaseUrlError as e:
            raise SettingsError(f"KEFU_READ_DATABASE_URL: {e}") from None
        backends = {backend_of(self.database_url), backend_of(self.read_database_url)}
        if backends != {Backend.POSTGRES}:
            raise SettingsError(
                "KEFU_READ_DATABASE_URL: a standby needs PostgreSQL, for it and KEFU_DATABASE_URL"
            )

    def check_timezone(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ValueError, ZoneInfoNotFoundError):
            raise SettingsError(
                f"KEFU_TIMEZONE {self.timezone!r}: not a time zone name like Asia/Shanghai"
            ) from None

    def deadline_policy(self) -> DeadlinePolicy:
        return DeadlinePolicy(parse_deadlines(self.deadlines))

    def complaints(self) -> ComplaintPolicy:
        try:
            return parse_complaint_policy(self.complaint_policy)
        except ValueError as e:
            raise SettingsError(f"KEFU_COMPLAINT_POLICY {self.complaint_policy!r}: {e}") from None

    def attachments_folder(self) -> Path:
        """KEFU_ATTACHMENTS_DIR, else `attachments` beside a SQLite database file."""
        if self.attachments_dir:
            return Path(self.attachments_dir)
        return self.data_folder() / "attachments"

    def wrap_up(self) -> timedelta | None:
        return timedelta(seconds=self.wrap_up_seconds) if self.wrap_up_seconds else None

    def department_directory(self) -> DepartmentDirectory:
        try:
            return DepartmentDirectory(parse_departments(self.departments))
        except ValueError as e:
            raise SettingsError(f"KEFU_DEPARTMENTS {self.departments!r}: {e}") from None

    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ValueError, ZoneInfoNotFoundError):
            raise SettingsError(f"KEFU_TIMEZONE {self.timezone!r} is not a time zone") from None

    def backoff(self) -> Backoff:
        return Backoff(
            base=timedelta(seconds=self.outbox_backoff_seconds),
            cap=timedelta(seconds=self.outbox_backoff_cap_seconds),
            max_attempts=self.outbox_max_attempts,
        )

    def routing_policy(self) -> RoutingPolicy:
        try:
            policy = routing_policy(self.routing)
        except ValueError as e:
            raise SettingsError(f"KEFU_ROUTING {self.routing!r}: {e}") from None
        try:
            overflows = parse_overflows(self.overflow)
        except ValueError as e:
            raise SettingsError(f"KEFU_OVERFLOW {self.overflow!r}: {e}") from None
        return dataclasses.replace(
            policy, max_missed_offers=self.max_missed_offers, overflows=overflows
        )


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


_FIELD = re.compile(r"\s*-\s*at `\$\.(\w+)`")


def _naming_the_variable(message: str) -> str:
    """msgspec's "Expected `float` - at `$.read_wait_seconds`" → "KEFU_READ_WAIT_SECONDS: ..."."""
    match = _FIELD.search(message)
    if match is None:
        return message
    return f"KEFU_{match.group(1).upper()}: {_FIELD.sub('', message)}"


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
