"""The domain's refusals: each names the rule a command broke."""

from __future__ import annotations


class DomainError(Exception):
    """A command broke a business rule; nothing was recorded."""

    def __init__(self, message: str, allowed_now: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.allowed_now = allowed_now


class ActionNotAllowed(DomainError):
    """The action is not allowed in the record's current state."""


class RuleViolated(DomainError):
    """The action is allowed in this state but a further rule refuses it."""


class NotFound(Exception):
    """No record of that kind exists with that id."""

    def __init__(self, kind: str, record_id: object) -> None:
        super().__init__(f"{kind} {record_id} does not exist")
        self.kind = kind
        self.record_id = record_id
