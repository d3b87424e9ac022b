"""Refusals raised by the command layer itself (the domain raises its own)."""

from __future__ import annotations


class StaleVersion(Exception):
    """The caller's `If-Match` version is not the record's current version."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"expected version {expected}, but the record is at version {actual}")
        self.expected = expected
        self.actual = actual


class ConcurrentChange(Exception):
    """Another command changed the record between our read and our write; nothing was saved."""


class IdempotencyKeyReused(Exception):
    """The `Idempotency-Key` was already used for a different request."""


class UnknownReference(Exception):
    """A command names a record (by a field) that does not exist; nothing was recorded."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
