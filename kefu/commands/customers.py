"""Customer file (客户档案) commands: the Structs HTTP bodies decode into, and their handlers.

A handler is handed the loaded file and calls its verb with the command's fields, the metadata
and the time in `env`. Loading at the expected version, idempotency and saving happen once for
all kinds, in `AggregateCommands` and `CommandRunner`.
"""

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
from kefu.commands.actions import ActionTable, AggregateCommands, Env, action
from kefu.commands.base import Command, Name, Note
from kefu.commands.context import Context
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.policies import Policies
from kefu.commands.references import Names, Reference
from kefu.domain.agent import Agent
from kefu.domain.channels import Channel
from kefu.domain.customer import Customer, CustomerAction, Tier
from kefu.domain.visit_rules import QuietHours
from kefu.phones import normalise_phone

Phone = Annotated[str, msgspec.Meta(min_length=3, max_length=40)]
Email = Annotated[str, msgspec.Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Address = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
Kind = Annotated[str, msgspec.Meta(max_length=40, pattern=r"^[a-z][a-z0-9_-]*$")]
Window = Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")]
Phones = Annotated[tuple[Phone, ...], msgspec.Meta(max_length=10)]
Labels = Annotated[tuple[Name, ...], msgspec.Meta(max_length=50)]


def normalised(phones: tuple[str, ...] | msgspec.UnsetType) -> Any:
    """The numbers in their one canonical form (kefu.phones); UNSET stays UNSET."""
    if isinstance(phones, msgspec.UnsetType):
        return phones
    return tuple(normalise_phone(phone) for phone in phones)


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

    agent_id: UUID | None

    def references(self) -> Sequence[Reference]:
        return (Names("agent_id", Agent, self.agent_id),)


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


SenderId = Annotated[str, msgspec.Meta(min_length=1, max_length=320, pattern=r"^\S+$")]
SenderIds = Annotated[tuple[SenderId, ...], msgspec.Meta(max_length=20)]


class SetChannelIds(Command, frozen=True):
    """The ids the customer writes from on chat and WeChat (as `POST /intake/{channel}` names
    them in `sender`), replacing the previous ones; a message from one then names this file."""

    chat: SenderIds = ()
    wechat: SenderIds = ()


class MergeCustomer(Command, frozen=True):
    """This file is a duplicate of `into`, which survives."""

    into: UUID


def quiet_window(text: str) -> QuietHours:
    start, end = text.split("-")
    return QuietHours(time.fromisoformat(start), time.fromisoformat(end))


def _kept(value: Any, current: Any) -> Any:
    return current if value is msgspec.UNSET else value


def change_contact(customer: Customer, command: ChangeContact, env: Env) -> None:
    customer.change_details(
        name=_kept(command.name, customer.name),
        phones=_kept(normalised(command.phones), customer.phones),
        email=_kept(command.email, customer.email),
        address=_kept(command.address, customer.address),
        birthday=_kept(command.birthday, customer.birthday),
        tier=_kept(command.tier, customer.tier),
        tags=_kept(command.tags, customer.tags),
        meta=env.meta,
        at=env.at,
    )


def assign_owner(customer: Customer, command: AssignOwner, env: Env) -> None:
    owner = None if command.agent_id is None else str(command.agent_id)
    customer.assign_owner(agent_id=owner, meta=env.meta, at=env.at)


def record_order(customer: Customer, command: RecordOrder, env: Env) -> None:
    customer.record_order(
        number=command.number,
        package=command.package,
        items=command.items,
        add_ons=command.add_ons,
        amount=command.amount,
        ordered_on=command.ordered_on,
        meta=env.meta,
        at=env.at,
    )


def record_milestone(customer: Customer, command: RecordMilestone, env: Env) -> None:
    customer.record_milestone(
        kind=command.kind, on=command.on, note=command.note, meta=env.meta, at=env.at
    )


def record_staff(customer: Customer, command: RecordStaff, env: Env) -> None:
    customer.record_staff(role=command.role, staff_id=command.staff_id, meta=env.meta, at=env.at)


def record_survey(customer: Customer, command: RecordSurvey, env: Env) -> None:
    customer.record_survey(
        answered_on=command.answered_on,
        staff_ids=command.staff_ids,
        rating=command.rating,
        comments=command.comments,
        meta=env.meta,
        at=env.at,
    )


def mark_preferences(customer: Customer, command: MarkPreferences, env: Env) -> None:
    quiet = [quiet_window(w) for w in command.quiet_hours]
    customer.mark_preferences(
        preferences=command.preferences, quiet_hours=quiet, meta=env.meta, at=env.at
    )


def set_channel_ids(customer: Customer, command: SetChannelIds, env: Env) -> None:
    given = {Channel.CHAT.value: command.chat, Channel.WECHAT.value: command.wechat}
    customer.set_channel_ids(channel_ids=given, meta=env.meta, at=env.at)


A = CustomerAction


# Each action's command Struct and handler; `merge` is added per instance (it loads the survivor).
CUSTOMER_ACTIONS: ActionTable[Customer] = {
    A.CONTACT.value: action(ChangeContact, change_contact),
    A.OWNER.value: action(AssignOwner, assign_owner),
    A.ORDERS.value: action(RecordOrder, record_order),
    A.MILESTONES.value: action(RecordMilestone, record_milestone),
    A.STAFF.value: action(RecordStaff, record_staff),
    A.SURVEYS.value: action(RecordSurvey, record_survey),
    A.PREFERENCES.value: action(MarkPreferences, mark_preferences),
    A.CHANNEL_IDS.value: action(SetChannelIds, set_channel_ids),
}


class CustomerCommands(AggregateCommands[Customer]):
    """The customer-file write side used by the HTTP layer and the visit planner."""

    def __init__(self, app: ServiceDesk, runner: CommandRunner, policies: Policies) -> None:
        actions: ActionTable[Customer] = {
            **CUSTOMER_ACTIONS,
            A.MERGE.value: action(MergeCustomer, self._merge),
        }
        super().__init__(app, runner, policies, Customer, actions)

    def register(self, command: RegisterCustomer, ctx: Context) -> Outcome:
        return self.create(ctx, lambda env: self.registered(command, env))

    def registered(
        self, command: RegisterCustomer, env: Env, record_id: UUID | None = None
    ) -> Customer:
        """The new file (unsaved); `record_id` is an import's id for it (else a new one)."""
        return Customer.register(
            name=command.name,
            phones=normalised(command.phones),
            email=command.email,
            address=command.address,
            birthday=command.birthday,
            tier=command.tier,
            tags=command.tags,
            source_channel=command.source_channel,
            external_ref=command.external_ref,
            meta=env.meta,
            at=env.at,
            record_id=record_id,
        )

    def _merge(self, customer: Customer, command: MergeCustomer, env: Env) -> Sequence[Aggregate]:
        survivor = find_customer(self.app, command.into)
        if survivor is None:
            raise msgspec.ValidationError(f"no customer {command.into} - at `$.into`")
        customer.merge_into(survivor=survivor, meta=env.meta, at=env.at)
        return (survivor,)  # saved with the duplicate: its version is checked too


def find_customer(app: ServiceDesk, customer_id: UUID) -> Customer | None:
    """The customer file as it stands now, or None when there is none with that id."""
    try:
        found: object = app.repository.get(customer_id)
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, Customer) else None
