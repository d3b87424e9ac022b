"""Customer file (客户档案) commands and their handlers: load, call the verb, save."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from kefu.application import ServiceDesk
from kefu.commands.actions import ActionTable, AggregateCommands, Env
from kefu.commands.base import Command, Name, Note
from kefu.commands.context import Context
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.policies import Policies
from kefu.domain.channels import Channel
from kefu.domain.customer import Customer, CustomerAction, Tier
from kefu.domain.phones import normalise_phone
from kefu.domain.visit_rules import QuietHours

Phone = Annotated[str, msgspec.Meta(min_length=3, max_length=40)]
Email = Annotated[str, msgspec.Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Address = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
Kind = Annotated[str, msgspec.Meta(max_length=40, pattern=r"^[a-z][a-z0-9_-]*$")]
Window = Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")]
Phones = Annotated[tuple[Phone, ...], msgspec.Meta(max_length=10)]
Labels = Annotated[tuple[Name, ...], msgspec.Meta(max_length=50)]


def check_phones(phones: tuple[str, ...] | msgspec.UnsetType) -> None:
    """Raises ValueError (a 422 from msgspec) for text that is not a phone number."""
    for phone in phones or ():
        normalise_phone(phone)


class RegisterCustomer(Command, frozen=True):
    """建档: open a customer file."""

    name: Name
    phones: Phones = ()
    email: Email | None = None
    address: Address | None = None
    birthday: date | None = None
    tier: Tier = Tier.NONE
    tags: Labels = ()
    source_channel: Channel = Channel.PHONE
    external_ref: Name | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_phones(self.phones)


class ChangeContact(Command, frozen=True):
    """Change basic data; a field left out stays as it is, `null` clears it."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    phones: Phones | msgspec.UnsetType = msgspec.UNSET
    email: Email | msgspec.UnsetType | None = msgspec.UNSET
    address: Address | msgspec.UnsetType | None = msgspec.UNSET
    birthday: date | msgspec.UnsetType | None = msgspec.UNSET
    tier: Tier | msgspec.UnsetType = msgspec.UNSET
    tags: Labels | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        super().__post_init__()
        check_phones(self.phones)


class AssignOwner(Command, frozen=True):
    """归属坐席: `agent_id` null gives the file back to nobody."""

    agent_id: Name | None


class RecordOrder(Command, frozen=True):
    number: Name
    amount: Decimal
    ordered_on: date
    package: Name | None = None
    items: Labels = ()
    add_ons: Labels = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        # is_finite first: comparing a NaN raises instead of answering.
        amount = self.amount
        if not amount.is_finite() or amount < 0 or amount >= 10**12 or _cents(amount) is None:
            raise ValueError("amount must be a sum of money, 0 or more, at most 2 decimals")


def _cents(amount: Decimal) -> int | None:
    exponent = amount.normalize().as_tuple().exponent
    return None if isinstance(exponent, str) or exponent < -2 else int(amount * 100)


class RecordMilestone(Command, frozen=True):
    """`kind`: appointment, service, viewing, pickup, delivery, wedding, ... (open set)."""

    kind: Kind
    on: date
    note: Note = ""


class RecordStaff(Command, frozen=True):
    role: Name
    staff_id: Name


class RecordSurvey(Command, frozen=True):
    answered_on: date
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)]
    staff_ids: Labels = ()
    comments: Note = ""


class MarkPreferences(Command, frozen=True):
    """Preferences (name → value) and do-not-disturb windows such as "12:00-14:00"."""

    preferences: Annotated[dict[Name, Note], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=dict
    )
    quiet_hours: Annotated[tuple[Window, ...], msgspec.Meta(max_length=10)] = ()


class MergeCustomer(Command, frozen=True):
    """This file is a duplicate of `into`, which survives."""

    into: UUID


def quiet_window(text: str) -> QuietHours:
    start, end = text.split("-")
    return QuietHours(time.fromisoformat(start), time.fromisoformat(end))


def _kept(value: Any, current: Any) -> Any:
    return current if value is msgspec.UNSET else value


def change_contact(c: Customer, cmd: ChangeContact, e: Env) -> None:
    c.change_details(
        name=_kept(cmd.name, c.name),
        phones=_kept(cmd.phones, c.phones),
        email=_kept(cmd.email, c.email),
        address=_kept(cmd.address, c.address),
        birthday=_kept(cmd.birthday, c.birthday),
        tier=_kept(cmd.tier, c.tier),
        tags=_kept(cmd.tags, c.tags),
        meta=e.meta,
        at=e.at,
    )


def assign_owner(c: Customer, cmd: AssignOwner, e: Env) -> None:
    c.assign_owner(agent_id=cmd.agent_id, meta=e.meta, at=e.at)


def record_order(c: Customer, cmd: RecordOrder, e: Env) -> None:
    c.record_order(
        number=cmd.number,
        package=cmd.package,
        items=cmd.items,
        add_ons=cmd.add_ons,
        amount=cmd.amount,
        ordered_on=cmd.ordered_on,
        meta=e.meta,
        at=e.at,
    )


def record_milestone(c: Customer, cmd: RecordMilestone, e: Env) -> None:
    c.record_milestone(kind=cmd.kind, on=cmd.on, note=cmd.note, meta=e.meta, at=e.at)


def record_staff(c: Customer, cmd: RecordStaff, e: Env) -> None:
    c.record_staff(role=cmd.role, staff_id=cmd.staff_id, meta=e.meta, at=e.at)


def record_survey(c: Customer, cmd: RecordSurvey, e: Env) -> None:
    c.record_survey(
        answered_on=cmd.answered_on,
        staff_ids=cmd.staff_ids,
        rating=cmd.rating,
        comments=cmd.comments,
        meta=e.meta,
        at=e.at,
    )


def mark_preferences(c: Customer, cmd: MarkPreferences, e: Env) -> None:
    quiet = [quiet_window(w) for w in cmd.quiet_hours]
    c.mark_preferences(preferences=cmd.preferences, quiet_hours=quiet, meta=e.meta, at=e.at)


A = CustomerAction


# Each action's command Struct and handler; `merge` is added per instance (it loads the survivor).
CUSTOMER_ACTIONS: ActionTable[Customer] = {
    A.CONTACT.value: (ChangeContact, change_contact),
    A.OWNER.value: (AssignOwner, assign_owner),
    A.ORDERS.value: (RecordOrder, record_order),
    A.MILESTONES.value: (RecordMilestone, record_milestone),
    A.STAFF.value: (RecordStaff, record_staff),
    A.SURVEYS.value: (RecordSurvey, record_survey),
    A.PREFERENCES.value: (MarkPreferences, mark_preferences),
}
COMMANDS: dict[str, type[Command]] = {
    **{action: command for action, (command, _) in CUSTOMER_ACTIONS.items()},
    A.MERGE.value: MergeCustomer,
}


class CustomerCommands(AggregateCommands[Customer]):
    """The customer-file write side used by the HTTP layer and the visit planner."""

    def __init__(self, app: ServiceDesk, runner: CommandRunner, policies: Policies) -> None:
        actions: ActionTable[Customer] = {
            **CUSTOMER_ACTIONS,
            A.MERGE.value: (MergeCustomer, self._merge),
        }
        super().__init__(app, runner, policies, Customer, actions)

    def register(self, cmd: RegisterCustomer, ctx: Context) -> Outcome:
        def make(e: Env) -> Customer:
            return Customer.register(
                name=cmd.name,
                phones=cmd.phones,
                email=cmd.email,
                address=cmd.address,
                birthday=cmd.birthday,
                tier=cmd.tier,
                tags=cmd.tags,
                source_channel=cmd.source_channel,
                external_ref=cmd.external_ref,
                meta=e.meta,
                at=e.at,
            )

        return self.create(ctx, make)

    def _merge(self, c: Customer, cmd: MergeCustomer, e: Env) -> Sequence[Aggregate]:
        survivor = find_customer(self.app, cmd.into)
        if survivor is None:
            raise msgspec.ValidationError(f"no customer {cmd.into} - at `$.into`")
        c.merge_into(survivor=survivor, meta=e.meta, at=e.at)
        return (survivor,)  # saved with the duplicate: its version is checked too


def find_customer(app: ServiceDesk, customer_id: UUID) -> Customer | None:
    """The customer file as it stands now, or None when there is none with that id."""
    try:
        found: object = app.repository.get(customer_id)
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, Customer) else None
