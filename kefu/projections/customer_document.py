"""The customer document (客户档案查询): one customer file, folded from its events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import singledispatch
from typing import Any
from uuid import UUID

import msgspec
from msgspec.structs import replace

from kefu.domain.customer import Customer


class OrderLine(msgspec.Struct, frozen=True, kw_only=True):
    """One recorded sale."""

    number: str
    package: str | None
    items: tuple[str, ...]
    add_ons: tuple[str, ...]
    amount: Decimal
    ordered_on: date


class Milestone(msgspec.Struct, frozen=True, kw_only=True):
    """One service date."""

    kind: str
    on: date
    note: str


class SurveyAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """One survey answer."""

    answered_on: date
    staff_ids: tuple[str, ...]
    rating: int
    comments: str


class CustomerDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A customer file as agents see it; `merged_from` lists the duplicates it absorbed."""

    id: UUID
    status: str
    name: str
    phones: tuple[str, ...]
    email: str | None
    address: str | None
    birthday: date | None
    tier: str
    tags: tuple[str, ...]
    source_channel: str
    external_ref: str | None
    owner_id: str | None = None
    orders: tuple[OrderLine, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    staff: dict[str, str] = msgspec.field(default_factory=dict)
    surveys: tuple[SurveyAnswer, ...] = ()
    preferences: dict[str, str] = msgspec.field(default_factory=dict)
    quiet_hours: tuple[str, ...] = ()
    channel_ids: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)
    merged_into: UUID | None = None
    merged_from: tuple[UUID, ...] = ()
    merged_phones: tuple[str, ...] = ()
    merged_channel_ids: tuple[tuple[str, str], ...] = ()  # (channel, id) of absorbed files
    registered_at: datetime
    updated_at: datetime
    version: int
    position: int = 0

    def lookup_phones(self) -> tuple[str, ...]:
        """The numbers that find this file: its own and its absorbed duplicates'."""
        return () if self.merged_into else tuple(dict.fromkeys(self.phones + self.merged_phones))

    def lookup_channel_ids(self) -> tuple[tuple[str, str], ...]:
        """The (channel, sender id) pairs that find this file: its own and its duplicates'."""
        return () if self.merged_into else self.all_channel_ids()

    def all_channel_ids(self) -> tuple[tuple[str, str], ...]:
        own = tuple((c, i) for c, ids in self.channel_ids.items() for i in ids)
        return tuple(dict.fromkeys(own + self.merged_channel_ids))


def fold(view: CustomerDocument | None, event: Any, position: int) -> CustomerDocument:
    """The view after `event` (an event of the file at `position` in the log)."""
    if view is None:
        return _registered(event, position)
    changed = _apply(event, view)
    return replace(
        changed, updated_at=event.timestamp, version=event.originator_version, position=position
    )


def absorb(
    survivor: CustomerDocument, duplicate: CustomerDocument, position: int
) -> CustomerDocument:
    """The survivor after `duplicate` was merged into it: its numbers and its history now —
    the duplicate's orders, milestones, surveys and staff (the survivor's own staff win)."""
    return replace(
        survivor,
        merged_from=(*survivor.merged_from, duplicate.id, *duplicate.merged_from),
        merged_phones=tuple(
            dict.fromkeys(survivor.merged_phones + duplicate.phones + duplicate.merged_phones)
        ),
        merged_channel_ids=tuple(
            dict.fromkeys(survivor.merged_channel_ids + duplicate.all_channel_ids())
        ),
        orders=(*survivor.orders, *duplicate.orders),
        milestones=(*survivor.milestones, *duplicate.milestones),
        surveys=(*survivor.surveys, *duplicate.surveys),
        staff={**duplicate.staff, **survivor.staff},
        position=position,
    )


def _registered(event: Customer.Registered, position: int) -> CustomerDocument:
    return CustomerDocument(
        id=event.originator_id,
        status="active",
        name=event.name,
        phones=event.phones,
        email=event.email,
        address=event.address,
        birthday=event.birthday,
        tier=str(event.tier),
        tags=event.tags,
        source_channel=event.source_channel,
        external_ref=event.external_ref,
        registered_at=event.timestamp,
        updated_at=event.timestamp,
        version=event.originator_version,
        position=position,
    )


ERASED_STATUS = "erased"


@singledispatch
def _apply(event: Any, view: CustomerDocument) -> CustomerDocument:
    return view


@_apply.register
def _(event: Customer.DetailsChanged, view: CustomerDocument) -> CustomerDocument:
    return replace(
        view,
        name=event.name,
        phones=event.phones,
        email=event.email,
        address=event.address,
        birthday=event.birthday,
        tier=str(event.tier),
        tags=event.tags,
    )


@_apply.register
def _(event: Customer.OwnerAssigned, view: CustomerDocument) -> CustomerDocument:
    return replace(view, owner_id=event.agent_id)


@_apply.register
def _(event: Customer.OrderRecorded, view: CustomerDocument) -> CustomerDocument:
    line = OrderLine(
        number=event.number,
        package=event.package,
        items=event.items,
        add_ons=event.add_ons,
        amount=event.amount,
        ordered_on=event.ordered_on,
    )
    return replace(view, orders=(*view.orders, line))


@_apply.register
def _(event: Customer.MilestoneRecorded, view: CustomerDocument) -> CustomerDocument:
    milestone = Milestone(kind=event.kind, on=event.on, note=event.note)
    return replace(view, milestones=(*view.milestones, milestone))


@_apply.register
def _(event: Customer.StaffRecorded, view: CustomerDocument) -> CustomerDocument:
    return replace(view, staff={**view.staff, event.role: event.staff_id})


@_apply.register
def _(event: Customer.SurveyRecorded, view: CustomerDocument) -> CustomerDocument:
    answer = SurveyAnswer(
        answered_on=event.answered_on,
        staff_ids=event.staff_ids,
        rating=event.rating,
        comments=event.comments,
    )
    return replace(view, surveys=(*view.surveys, answer))


@_apply.register
def _(event: Customer.PreferencesMarked, view: CustomerDocument) -> CustomerDocument:
    windows = tuple(f"{q.start:%H:%M}-{q.end:%H:%M}" for q in event.quiet_hours)
    return replace(view, preferences=event.preferences, quiet_hours=windows)


@_apply.register
def _(event: Customer.ChannelIdsSet, view: CustomerDocument) -> CustomerDocument:
    return replace(view, channel_ids=event.channel_ids)


@_apply.register
def _(event: Customer.MergedInto, view: CustomerDocument) -> CustomerDocument:
    return replace(view, status="merged", merged_into=event.survivor_id)


@_apply.register
def _(event: Customer.Erased, view: CustomerDocument) -> CustomerDocument:
    return replace(view, status=ERASED_STATUS)  # the values: CustomerView.erase_personal_data
