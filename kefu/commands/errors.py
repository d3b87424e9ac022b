"""Refusals raised by the command layer itself (the domain raises its own)."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate

from kefu.application import ServiceDesk


class IdempotencyKeyReused(Exception):
    """The `Idempotency-Key` was already used for a different request."""


class UnknownReference(Exception):
    """A command names a record (by a field) that does not exist; nothing was recorded."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def require(app: ServiceDesk, kind: type[Aggregate], aggregate_id: UUID | None, field: str) -> None:
    """Refuses a command whose `field` names a record of `kind` that does not exist."""
    if aggregate_id is not None and not app.exists(kind, aggregate_id):
        raise UnknownReference(field, f"{kind.__name__.lower()} {aggregate_id} does not exist")
