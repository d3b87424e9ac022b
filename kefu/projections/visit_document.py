"""The visit document (回访查询): one visit task, folded from its events."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from functools import singledispatch
from typing import Any
from uuid import UUID

import msgspec
from msgspec.structs import replace

from kefu.domain.visit import Visit, VisitStatus
from kefu.domain.visit_rules import business_date


class VisitDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A visit task as agents see it."""

    id: UUID
    customer_id: UUID
    rule: str
    purpose: str
    status: str
    due_on: date
    finish_by: date | None
    assignee_id: str | None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    reached: bool | None = None
    satisfaction: int | None = None
    comment: str | None = None
    new_need: str | None = None
    scheduled_at: datetime
    updated_at: datetime
    done_at: datetime | None = None
    escalated_at: datetime | None = None  # a member's visit past its limit, handed up
    version: int
    position: int = 0

    def late(self, now: datetime, zone: tzinfo) -> bool:
        """A member's visit finished (or still open) after its deadline."""
        if self.finish_by is None:
            return False
        return business_date(self.done_at or now, zone) > self.finish_by


def fold(view: VisitDocument | None, event: Any, position: int) -> VisitDocument:
    """The view after `event` (an event of the visit at `position` in the log)."""
    if view is None:
        return _scheduled(event, position)
    changed = _apply(event, view)
    return replace(
        changed, updated_at=event.timestamp, version=event.originator_version, position=position
    )


def _scheduled(event: Visit.Scheduled, position: int) -> VisitDocument:
    return VisitDocument(
        id=event.originator_id,
        customer_id=event.customer_id,
        rule=event.rule,
        purpose=event.purpose,
        status=VisitStatus.SCHEDULED.value,
        due_on=event.due_on,
        finish_by=event.finish_by,
        assignee_id=event.assignee_id,
        scheduled_at=event.timestamp,
        updated_at=event.timestamp,
        version=event.originator_version,
        position=position,
    )


@singledispatch
def _apply(event: Any, view: VisitDocument) -> VisitDocument:
    return view


@_apply.register
def _(event: Visit.MovedToCustomer, view: VisitDocument) -> VisitDocument:
    return replace(view, customer_id=event.customer_id)


@_apply.register
def _(event: Visit.Assigned, view: VisitDocument) -> VisitDocument:
    return replace(view, assignee_id=event.agent_id)


@_apply.register
def _(event: Visit.Rescheduled, view: VisitDocument) -> VisitDocument:
    return replace(
        view, due_on=event.due_on, status=VisitStatus.SCHEDULED.value, next_attempt_at=None
    )


@_apply.register
def _(event: Visit.NotReached, view: VisitDocument) -> VisitDocument:
    return replace(
        view,
        status=VisitStatus.NOT_REACHED.value,
        attempts=event.attempt,
        next_attempt_at=event.next_attempt_at,
    )


@_apply.register
def _(event: Visit.Done, view: VisitDocument) -> VisitDocument:
    return replace(
        view,
        status=VisitStatus.DONE.value,
        reached=event.reached,
        satisfaction=event.satisfaction,
        comment=event.comment,
        new_need=event.new_need or None,
        next_attempt_at=None,
        done_at=event.timestamp,
    )


@_apply.register
def _(event: Visit.Escalated, view: VisitDocument) -> VisitDocument:
    return replace(view, escalated_at=event.timestamp)
