"""Bearer tokens mapped to an actor, a role and optional scopes; tokens are kept only as
SHA-256 hashes.

Two kinds of token authenticate: the static ones of KEFU_API_TOKENS and KEFU_API_TOKENS_FILE
(read at start, for bootstrapping), and the managed ones (`AccessToken` records in the log,
issued, expired, revoked and rotated over the API: docs/api.md). A managed token names its
record (`kefu_<id>_<secret>`), which is checked against the log on every request, so a change
takes effect on every worker with the next request: see `ManagedTokens`.

A static token line is `secret:actor:role`, optionally followed by `:departments` and
`:queues`, each a `+`-separated list (`t0k3n:desk-finance:service:finance+billing`). A line
naming departments is scoped: the caller may read and act on only the records of those
departments and, for calls, of those queues; queues omitted mean none (`kefu/http/scoping.py`).
An empty field is an empty scope (`t0k3n:pbx:service::hotline`: no department, the hotline
queue). A managed token keeps its scopes on its record.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Protocol
from uuid import UUID

from eventsourcing.utils import get_topic

from kefu.application import ServiceDesk
from kefu.domain.access_token import AccessToken, digest, token_id_of
from kefu.domain.agent import Agent

log = logging.getLogger("kefu.auth")


class Role(StrEnum):
    """What a caller may do."""

    SERVICE = "service"  # issues commands, reads views
    AUDITOR = "auditor"  # reads histories
    REPORTER = "reporter"  # reads views and reports
    ADMIN = "admin"  # everything


@dataclass(frozen=True)
class Caller:
    """The authenticated actor behind a request."""

    actor_id: str
    role: Role
    # Scopes: None is unscoped (every record); a set names the only departments (and call
    # queues) whose records the caller may read and act on; an empty set is none.
    departments: frozenset[str] | None = None
    queues: frozenset[str] | None = None
    may_delegate: bool = False  # may name the agent at the keyboard (X-On-Behalf-Of)
    token_id: UUID | None = None  # the managed token's record; None for a static token
    sent_by: str | None = None  # the delegating service, when actor_id is its agent

    @property
    def scoped(self) -> bool:
        """Whether this caller is limited to some departments or queues."""
        return self.departments is not None or self.queues is not None


class TokenConfigError(ValueError):
    """A token definition is malformed."""


def hash_token(token: str) -> str:
    return digest(token)


def new_token() -> str:
    return secrets.token_urlsafe(24)


class TokenRegistry:
    """Looks callers up by the hash of their bearer token."""

    def __init__(self, callers_by_hash: dict[str, Caller]) -> None:
        self._callers = dict(callers_by_hash)

    def __len__(self) -> int:
        return len(self._callers)

    def caller(self, token: str) -> Caller | None:
        return self.by_hash(hash_token(token))

    def by_hash(self, token_hash: str) -> Caller | None:
        return self._callers.get(token_hash)

    @classmethod
    def from_settings(cls, plain: str, hashed_file: str) -> TokenRegistry:
        """`plain` is `token:actor:role[:departments[:queues]],...`; `hashed_file` has lines
        `sha256hex:actor:role[:departments[:queues]]`."""
        entries = {hash_token(t): c for t, c in _parse(plain.replace(",", "\n"), "KEFU_API_TOKENS")}
        if hashed_file:
            try:
                text = Path(hashed_file).read_text(encoding="utf-8")
            except OSError as e:
                raise TokenConfigError(
                    f"KEFU_API_TOKENS_FILE {hashed_file}: {e.strerror}"
                ) from None
            entries.update(_parse(text, hashed_file))
        return cls(entries)


def _parse(text: str, source: str) -> list[tuple[str, Caller]]:
    parsed = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        if not 3 <= len(parts) <= 5 or not all(parts[:3]):
            raise TokenConfigError(
                f"{source}: expected secret:actor:role[:departments[:queues]], got {line[:8]}…"
            )
        secret, actor, role = parts[:3]
        try:
            caller = Caller(actor, Role(role))
        except ValueError:
            raise TokenConfigError(f"{source}: unknown role {role!r}") from None
        if len(parts) > 3:
            queues = _scope(parts[4]) if len(parts) == 5 else frozenset[str]()
            caller = Caller(actor, caller.role, _scope(parts[3]), queues)
        parsed.append((secret, caller))
    return parsed


def _scope(field: str) -> frozenset[str]:
    """`finance+billing` → {"finance", "billing"}; an empty field is the empty scope."""
    return frozenset(name.strip() for name in field.split("+") if name.strip())


class DelegationRefused(Exception):
    """A request's X-On-Behalf-Of cannot be honoured; `status` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class UsageSink(Protocol):
    """Where managed tokens' last use is kept (a small table beside the views)."""

    def record_use(self, token_id: UUID, at: datetime) -> None: ...


USE_GRANULARITY = timedelta(minutes=1)
Clock = Callable[[], datetime]


class CoarseUse:
    """Notes a managed token's use at most once per `USE_GRANULARITY` per token and process,
    on a thread of its own: a request never waits for the write. Two threads may both note the
    same minute; the table keeps the later time, so that costs a write, never a wrong value."""

    def __init__(self, sink: UsageSink) -> None:
        self.sink = sink
        self._noted: dict[UUID, datetime] = {}
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kefu-token-use")

    def seen(self, token_id: UUID, at: datetime) -> None:
        last = self._noted.get(token_id)
        if last is not None and at - last < USE_GRANULARITY:
            return
        self._noted[token_id] = at
        self._writer.submit(self._write, token_id, at)

    def _write(self, token_id: UUID, at: datetime) -> None:
        try:
            self.sink.record_use(token_id, at)
        except Exception:  # last use is for people; a failed note must not fail anything
            log.warning("could not note the use of token %s", token_id, exc_info=True)

    def close(self) -> None:
        self._writer.shutdown(wait=True)


class ManagedTokens:
    """Managed tokens, checked against the log on every request.

    A bearer token `kefu_<id>_<secret>` names its `AccessToken` record. Each process keeps the
    records it has seen; on every request it asks the log for events of that one record after
    the version it holds (a primary-key range read that finds nothing while nothing changed)
    and reloads the record when there are any. A revoke, an expiry or a rotation is an event
    of the record committed before its 2xx answer, so the next request to any worker sees it:
    no restart, no notification that could arrive late, no cache that could be stale.
    """

    def __init__(self, app: ServiceDesk, use: CoarseUse, clock: Clock) -> None:
        self.app = app
        self.use = use
        self.clock = clock
        self._records: dict[UUID, AccessToken] = {}
        self._lock = threading.Lock()

    def caller(self, token: str) -> Caller | None:
        token_id = token_id_of(token)
        if token_id is None:
            return None
        record = self._current(token_id)
        now = self.clock()
        if record is None or not record.accepts(digest(token), now):
            return None
        self.use.seen(token_id, now)
        return Caller(
            actor_id=record.actor_id,
            role=Role(record.role),
            departments=_record_scope(record.departments),
            queues=_record_scope(record.queues),
            may_delegate=record.may_delegate,
            token_id=token_id,
        )

    def _current(self, token_id: UUID) -> AccessToken | None:
        known = self._records.get(token_id)
        after = None if known is None else known.version
        newer = self.app.recorder.select_events(token_id, gt=after, limit=1)
        if not newer:
            return known
        if known is None and newer[0].topic != _ISSUED:
            return None  # another kind of record: never loaded (a ticket's stream may be long)
        record = self.app.load(AccessToken, token_id)
        with self._lock:
            held = self._records.get(token_id)
            if held is None or held.version < record.version:
                self._records[token_id] = record
        return record


_ISSUED = get_topic(AccessToken.Issued)


def _record_scope(names: tuple[str, ...] | None) -> frozenset[str] | None:
    return None if names is None else frozenset(names)


class Authenticator:
    """Static tokens first (a dictionary look-up), then managed ones; and on-behalf-of."""

    def __init__(self, static: TokenRegistry, managed: ManagedTokens) -> None:
        self.static = static
        self.managed = managed

    def caller(self, token: str) -> Caller | None:
        return self.static.by_hash(hash_token(token)) or self.managed.caller(token)

    def on_behalf_of(self, caller: Caller, agent: str) -> Caller:
        """`caller` acting for the agent at the keyboard: the agent is the actor, the caller
        the sender. Refused (403) unless the token may delegate, (422) for no such agent."""
        if not caller.may_delegate:
            message = f"the token of {caller.actor_id} may not act on behalf of agents"
            raise DelegationRefused(403, message)
        try:
            agent_id = UUID(agent)
        except ValueError:
            message = "X-On-Behalf-Of must be an agent id (a UUID)"
            raise DelegationRefused(422, message) from None
        if not self.managed.app.exists(Agent, agent_id):
            raise DelegationRefused(422, f"agent {agent_id} does not exist")
        return replace(caller, actor_id=str(agent_id), sent_by=caller.actor_id)

    def close(self) -> None:
        self.managed.use.close()
