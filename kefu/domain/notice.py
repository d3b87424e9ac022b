"""A notice (通知): what the automation tells people about a record, as an event-sourced record.

A rule's `notify` action and an escalation's `notify` raise one, in the same save as what
caused it. Its id follows from its key (the rule or policy and the triggering event or timer),
so it can never be raised twice. The outbox acts on it: the notifier messages each recipient
(`kefu/processes/notifier.py`; each message records its own delivery) and webhook subscribers of
`Notice.Raised` receive it (docs/outbox.md).

Recipients are named as:

- a staff id of the directory (`duty-manager`, an agent's id);
- `manager`: the manager of the record's department; `manager:<department>`: of that one;
- `assignee`: the record's agent;
- `duty`: the duty staff.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from kefu.domain.errors import RuleViolated
from kefu.domain.metadata import EventMetadata

NOTICE_NAMESPACE = uuid5(NAMESPACE_URL, "urn:kefu:notice")
MANAGER = "manager"
ASSIGNEE = "assignee"
DUTY = "duty"


def department_of(recipient: str) -> str | None:
    """`manager:finance` → `finance`; None for any other recipient."""
    role, colon, department = recipient.partition(":")
    return department if colon and role == MANAGER else None


class Notice(Aggregate):
    """One notice about one record to its recipients (who they are is resolved when sent)."""

    class Raised(Aggregate.Created):
        """What to tell (`reason`, at escalation `level`, 0 for a rule's notice) about which
        record (`record_kind`: ticket, complaint, visit), with the department and agent the
        record had then, so `manager` and `assignee` name the people of that moment."""

        key: str
        record_kind: str
        record_id: UUID
        recipients: tuple[str, ...]
        level: int
        reason: str
        department: str | None
        assignee_id: str | None
        meta: EventMetadata

    @staticmethod
    def create_id(key: str) -> UUID:
        return uuid5(NOTICE_NAMESPACE, key)

    @event(Raised)
    def __init__(
        self,
        key: str,
        record_kind: str,
        record_id: UUID,
        recipients: tuple[str, ...],
        level: int,
        reason: str,
        department: str | None,
        assignee_id: str | None,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.record_kind = record_kind
        self.record_id = record_id
        self.recipients = recipients

    @classmethod
    def raise_about(
        cls,
        *,
        key: str,
        record_kind: str,
        record_id: UUID,
        recipients: tuple[str, ...],
        level: int,
        reason: str,
        department: str | None,
        assignee_id: str | None,
        meta: EventMetadata,
        at: datetime,
    ) -> Notice:
        """A notice to at least one recipient, saying why."""
        if not recipients or not all(r.strip() for r in recipients):
            raise RuleViolated("a notice names its recipients", ())
        if not reason.strip():
            raise RuleViolated("a notice says why", ())
        return cls(
            key=key, record_kind=record_kind, record_id=record_id, recipients=recipients,
            level=level, reason=reason, department=department, assignee_id=assignee_id,
            meta=meta, timestamp=at,
        )  # fmt: skip
