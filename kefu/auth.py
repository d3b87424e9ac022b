"""Bearer tokens mapped to an actor, a role and optional scopes; tokens are kept only as
SHA-256 hashes.

A token line is `secret:actor:role`, optionally followed by `:departments` and `:queues`,
each a `+`-separated list (`t0k3n:desk-finance:service:finance+billing`). A line naming
departments is scoped: the caller may read and act on only the records of those departments
and, for calls, of those queues; queues omitted mean none (`kefu/http/scoping.py`). An empty
field is an empty scope (`t0k3n:pbx:service::hotline`: no department, the hotline queue).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


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

    @property
    def scoped(self) -> bool:
        """Whether this caller is limited to some departments or queues."""
        return self.departments is not None or self.queues is not None


class TokenConfigError(ValueError):
    """A token definition is malformed."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


class TokenRegistry:
    """Looks callers up by the hash of their bearer token."""

    def __init__(self, callers_by_hash: dict[str, Caller]) -> None:
        self._callers = dict(callers_by_hash)

    def __len__(self) -> int:
        return len(self._callers)

    def caller(self, token: str) -> Caller | None:
        return self._callers.get(hash_token(token))

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
