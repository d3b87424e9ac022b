"""Bearer tokens mapped to an actor and a role; tokens are kept only as SHA-256 hashes."""

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
        """`plain` is `token:actor:role,...`; `hashed_file` has lines `sha256hex:actor:role`."""
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
        if len(parts) != 3 or not all(parts):
            raise TokenConfigError(f"{source}: expected secret:actor:role, got {line[:8]}…")
        secret, actor, role = parts
        try:
            parsed.append((secret, Caller(actor, Role(role))))
        except ValueError:
            raise TokenConfigError(f"{source}: unknown role {role!r}") from None
    return parsed
