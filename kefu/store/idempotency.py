"""Idempotency records: the first answer to a keyed command, stored with its events."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class IdempotencyRecord:
    """What a command with an `Idempotency-Key` answered; written in the events' transaction."""

    scope: str
    key: str
    fingerprint: str
    status_code: int
    body: bytes
    originator_id: UUID
    originator_version: int


@dataclass(frozen=True)
class StoredAnswer:
    """A recorded first answer, with the log position its last event received."""

    fingerprint: str
    status_code: int
    body: bytes
    position: int
