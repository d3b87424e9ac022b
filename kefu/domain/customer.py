"""The customer file (客户档案) as an event-sourced aggregate.

A merged file points to its survivor and refuses every further command (409, naming the
survivor): commands are never silently redirected, so nobody writes to a file they did not mean.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kefu.domain.channels import Channel
from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata
from kefu.domain.visit_rules import QuietHours

# The channels whose senders are ids of the provider's, kept on the file to recognise them.
CHAT_CHANNELS = (Channel.CHAT.value, Channel.WECHAT.value)

# E.164 (`+8613800138000`) or a short service number (`95555`).
_CANONICAL_PHONE = re.compile(r"\+[1-9]\d{6,14}|\d{3,8}")


class Tier(StrEnum):
    """Member tier (会员等级): members' return visits must finish within 3 days."""

    NONE = "none"
    MEMBER = "member"
    VIP = "vip"


class CustomerAction(StrEnum):
    """What may be done to a customer file; the values are the HTTP action names."""

    CONTACT = "contact"
    OWNER = "owner"
    ORDERS = "orders"
    MILESTONES = "milestones"
    STAFF = "staff"
    SURVEYS = "surveys"
    PREFERENCES = "preferences"
    CHANNEL_IDS = "channel-ids"
    MERGE = "merge"


ACTIVE_ACTIONS = tuple(action.value for action in CustomerAction)
ERASED_ACTIONS: tuple[str, ...] = ()


class Customer(Aggregate):
    """One customer's file: details, purchases, service dates, staff, surveys and preferences.

    Verbs take `at` (when it happened) and `meta` (who and why); the domain reads no clock.
    """

    class Registered(Aggregate.Created):
        """建档: the file was created."""

        name: str
        phones: tuple[str, ...]
        email: str | None
        address: str | None
        birthday: date | None
        tier: Tier
        tags: tuple[str, ...]
        source_channel: str
        external_ref: str | None
        meta: EventMetadata

    class DetailsChanged(Aggregate.Event):
        """The basic data now reads as given (the whole set, not a diff)."""

        name: str
        phones: tuple[str, ...]
        email: str | None
        address: str | None
        birthday: date | None
        tier: Tier
        tags: tuple[str, ...]
        meta: EventMetadata

    class OwnerAssigned(Aggregate.Event):
        """归属坐席: the agent who owns the relationship (None: nobody now)."""

        agent_id: str | None
        meta: EventMetadata

    class OrderRecorded(Aggregate.Event):
        """A sale: what was bought, for how much, when."""

        number: str
        package: str | None
        items: tuple[str, ...]
        add_ons: tuple[str, ...]
        amount: Decimal
        ordered_on: date
        meta: EventMetadata

    class MilestoneRecorded(Aggregate.Event):
        """A service date of some kind: appointment, service, viewing, pickup, delivery, ..."""

        kind: str
        on: date
        note: str
        meta: EventMetadata

    class StaffRecorded(Aggregate.Event):
        """Who served the customer in one role."""

        role: str
        staff_id: str
        meta: EventMetadata

    class SurveyRecorded(Aggregate.Event):
        """A survey answer: when, with whom, the rating (1 to 5) and comments."""

        answered_on: date
        staff_ids: tuple[str, ...]
        rating: int
        comments: str
        meta: EventMetadata

    class PreferencesMarked(Aggregate.Event):
        """Preferences and do-not-disturb hours, replacing the previous ones."""

        preferences: dict[str, str]
        quiet_hours: tuple[QuietHours, ...]
        meta: EventMetadata

    class ChannelIdsSet(Aggregate.Event):
        """The ids the customer writes from on chat channels (a WeChat open id, a chat user id),
        by channel, replacing the previous ones: a message from one of them names this file."""

        channel_ids: dict[str, tuple[str, ...]]
        meta: EventMetadata

    class MergedInto(Aggregate.Event):
        """This file was a duplicate of the survivor; it accepts no further commands."""

        survivor_id: UUID
        meta: EventMetadata

    class Absorbed(Aggregate.Event):
        """The survivor's side of a merge: saved with the duplicate's `MergedInto`, so two
        crossing merges cannot both succeed (the survivor's version is checked too)."""

        duplicate_id: UUID
        meta: EventMetadata

    class Erased(Aggregate.Event):
        """被遗忘权: the customer's personal data was erased on request: the data keys of
        `records` (this file, the files merged into it, and every record linked to them)
        were destroyed. `request_ref` is the request's reference (a ticket, a letter)."""

        reason: str
        request_ref: str
        records: tuple[UUID, ...]
        meta: EventMetadata

    @event(Registered)
    def __init__(
        self,
        name: str,
        phones: tuple[str, ...],
        email: str | None,
        address: str | None,
        birthday: date | None,
        tier: Tier,
        tags: tuple[str, ...],
        source_channel: str,
        external_ref: str | None,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self._set_details(name, phones, email, address, birthday, tier, tags)
        self.source_channel = source_channel
        self.external_ref = external_ref
        self.owner_id: str | None = None
        self.order_numbers: set[str] = set()
        self.staff: dict[str, str] = {}
        self.preferences: dict[str, str] = {}
        self.quiet_hours: tuple[QuietHours, ...] = ()
        self.channel_ids: dict[str, tuple[str, ...]] = {}
        self.merged_into: UUID | None = None
        self.duplicates: tuple[UUID, ...] = ()
        self.erased = False
        # When this desk learned of the file: when the import ran, for a file brought in from
        # another system; else its registration.
        self.known_since: datetime = meta.recorded_at or timestamp

    @classmethod
    def register(
        cls,
        *,
        name: str,
        phones: Sequence[str],
        email: str | None = None,
        address: str | None = None,
        birthday: date | None = None,
        tier: Tier = Tier.NONE,
        tags: Sequence[str] = (),
        source_channel: str,
        external_ref: str | None = None,
        meta: EventMetadata,
        at: datetime,
        record_id: UUID | None = None,
    ) -> Customer:
        """建档: open a file; phone numbers are kept normalised (E.164 where possible).
        `record_id`: an id given by the caller (an import's), else a new one."""
        return cls._create(
            cls.Registered,
            id=record_id,
            name=name,
            phones=_normalised(phones, ()),
            email=email,
            address=address,
            birthday=birthday,
            tier=tier,
            tags=tuple(dict.fromkeys(tags)),
            source_channel=str(source_channel),  # as declared: replays give back a plain str
            external_ref=external_ref,
            meta=meta,
            timestamp=at,
        )

    @property
    def status(self) -> str:
        if self.erased:
            return "erased"
        return "active" if self.merged_into is None else "merged"

    @property
    def allowed_now(self) -> tuple[str, ...]:
        if self.erased:
            return ERASED_ACTIONS
        return ACTIVE_ACTIONS if self.merged_into is None else ()

    def erase(
        self,
        *,
        reason: str,
        request_ref: str,
        records: Sequence[UUID],
        meta: EventMetadata,
        at: datetime,
    ) -> None:
        """Records that the personal data of these records was erased (the keys are destroyed
        by the command, beside the log); an erased file takes no further command. A merged
        file may be erased too (erasing the survivor covers it)."""
        if self.erased:
            raise ActionNotAllowed(f"customer {self.id} was erased already", ERASED_ACTIONS)
        if not reason.strip():
            raise RuleViolated("an erasure needs a reason", self.allowed_now)
        self._erased(
            reason=reason, request_ref=request_ref, records=tuple(records), meta=meta, timestamp=at
        )

    def change_details(
        self,
        *,
        name: str,
        phones: Sequence[str],
        email: str | None,
        address: str | None,
        birthday: date | None,
        tier: Tier,
        tags: Sequence[str],
        meta: EventMetadata,
        at: datetime,
    ) -> None:
        """Change the basic data: name, phones, email, address, birthday, tier and tags."""
        self._check_active()
        self._details_changed(
            name=name,
            phones=_normalised(phones, self.allowed_now),
            email=email,
            address=address,
            birthday=birthday,
            tier=tier,
            tags=tuple(dict.fromkeys(tags)),
            meta=meta,
            timestamp=at,
        )

    def assign_owner(self, *, agent_id: str | None, meta: EventMetadata, at: datetime) -> None:
        """归属坐席: give the file to an agent (used by familiar-customer routing)."""
        self._check_active()
        self._owner_assigned(agent_id=agent_id, meta=meta, timestamp=at)

    def record_order(
        self,
        *,
        number: str,
        package: str | None,
        items: Sequence[str],
        add_ons: Sequence[str],
        amount: Decimal,
        ordered_on: date,
        meta: EventMetadata,
        at: datetime,
    ) -> None:
        """Record a sale; an order number is recorded once."""
        self._check_active()
        if number in self.order_numbers:
            raise RuleViolated(f"order {number} is already on this file", self.allowed_now)
        if amount < 0:
            raise RuleViolated("an order amount cannot be negative", self.allowed_now)
        self._order_recorded(
            number=number,
            package=package,
            items=tuple(items),
            add_ons=tuple(add_ons),
            amount=amount,
            ordered_on=ordered_on,
            meta=meta,
            timestamp=at,
        )

    def record_milestone(
        self, *, kind: str, on: date, note: str, meta: EventMetadata, at: datetime
    ) -> None:
        """Record a service date of any kind (the kinds are an open set)."""
        self._check_active()
        self._milestone_recorded(
            kind=kind.strip().lower(), on=on, note=note, meta=meta, timestamp=at
        )

    def record_staff(self, *, role: str, staff_id: str, meta: EventMetadata, at: datetime) -> None:
        """Record who served the customer in `role` (replaces the previous one in that role)."""
        self._check_active()
        self._staff_recorded(role=role, staff_id=staff_id, meta=meta, timestamp=at)

    def record_survey(
        self,
        *,
        answered_on: date,
        staff_ids: Sequence[str],
        rating: int,
        comments: str,
        meta: EventMetadata,
        at: datetime,
    ) -> None:
        """Record a survey answer; the rating is a whole number from 1 to 5."""
        self._check_active()
        if not 1 <= rating <= 5:
            raise RuleViolated("a rating is a whole number from 1 to 5", self.allowed_now)
        self._survey_recorded(
            answered_on=answered_on,
            staff_ids=tuple(staff_ids),
            rating=rating,
            comments=comments,
            meta=meta,
            timestamp=at,
        )

    def mark_preferences(
        self,
        *,
        preferences: Mapping[str, str],
        quiet_hours: Sequence[QuietHours],
        meta: EventMetadata,
        at: datetime,
    ) -> None:
        """Set preferences and do-not-disturb hours; return visits never call inside them."""
        self._check_active()
        self._preferences_marked(
            preferences=dict(preferences), quiet_hours=tuple(quiet_hours), meta=meta, timestamp=at
        )

    def set_channel_ids(
        self, *, channel_ids: Mapping[str, Sequence[str]], meta: EventMetadata, at: datetime
    ) -> None:
        """Set the ids the customer writes from on chat and WeChat (replacing the previous ones)."""
        self._check_active()
        unknown = sorted(set(channel_ids) - set(CHAT_CHANNELS))
        if unknown:
            raise RuleViolated(
                f"channel ids are kept for {', '.join(CHAT_CHANNELS)}, not {', '.join(unknown)}",
                self.allowed_now,
            )
        kept = {c: tuple(dict.fromkeys(i.strip() for i in ids)) for c, ids in channel_ids.items()}
        if any(not i for ids in kept.values() for i in ids):
            raise RuleViolated("a channel id cannot be blank", self.allowed_now)
        self._channel_ids_set(
            channel_ids={c: ids for c, ids in sorted(kept.items()) if ids}, meta=meta, timestamp=at
        )

    def merge_into(self, *, survivor: Customer, meta: EventMetadata, at: datetime) -> None:
        """This file duplicates `survivor`: point to it and refuse commands from now on.

        Both files get an event; the caller saves them together."""
        self._check_active()
        if survivor.id == self.id:
            raise RuleViolated("a file cannot be merged into itself", self.allowed_now)
        if survivor.merged_into is not None:
            raise RuleViolated(
                f"customer {survivor.id} was itself merged into {survivor.merged_into}; "
                "merge into that file",
                self.allowed_now,
            )
        self._merged_into(survivor_id=survivor.id, meta=meta, timestamp=at)
        survivor._absorbed(duplicate_id=self.id, meta=meta, timestamp=at)

    def _check_active(self) -> None:
        if self.erased:
            raise ActionNotAllowed(
                f"customer {self.id} was erased: its file takes no further commands",
                ERASED_ACTIONS,
            )
        if self.merged_into is not None:
            raise ActionNotAllowed(
                f"customer {self.id} was merged into {self.merged_into}; "
                f"send commands to /customers/{self.merged_into}",
                (),
            )

    def _set_details(
        self,
        name: str,
        phones: tuple[str, ...],
        email: str | None,
        address: str | None,
        birthday: date | None,
        tier: Tier,
        tags: tuple[str, ...],
    ) -> None:
        self.name, self.phones, self.email, self.address = name, phones, email, address
        self.birthday, self.tier, self.tags = birthday, tier, tags

    @event(DetailsChanged)
    def _details_changed(
        self,
        name: str,
        phones: tuple[str, ...],
        email: str | None,
        address: str | None,
        birthday: date | None,
        tier: Tier,
        tags: tuple[str, ...],
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self._set_details(name, phones, email, address, birthday, tier, tags)

    @event(OwnerAssigned)
    def _owner_assigned(
        self, agent_id: str | None, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.owner_id = agent_id

    @event(OrderRecorded)
    def _order_recorded(
        self,
        number: str,
        package: str | None,
        items: tuple[str, ...],
        add_ons: tuple[str, ...],
        amount: Decimal,
        ordered_on: date,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.order_numbers.add(number)

    @event(MilestoneRecorded)
    def _milestone_recorded(
        self, kind: str, on: date, note: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        pass

    @event(StaffRecorded)
    def _staff_recorded(
        self, role: str, staff_id: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.staff[role] = staff_id

    @event(SurveyRecorded)
    def _survey_recorded(
        self,
        answered_on: date,
        staff_ids: tuple[str, ...],
        rating: int,
        comments: str,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        pass

    @event(PreferencesMarked)
    def _preferences_marked(
        self,
        preferences: dict[str, str],
        quiet_hours: tuple[QuietHours, ...],
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.preferences, self.quiet_hours = preferences, quiet_hours

    @event(ChannelIdsSet)
    def _channel_ids_set(
        self, channel_ids: dict[str, tuple[str, ...]], meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.channel_ids = channel_ids

    @event(MergedInto)
    def _merged_into(self, survivor_id: UUID, meta: EventMetadata, timestamp: datetime) -> None:
        self.merged_into = survivor_id

    @event(Absorbed)
    def _absorbed(self, duplicate_id: UUID, meta: EventMetadata, timestamp: datetime) -> None:
        self.duplicates = (*self.duplicates, duplicate_id)

    @event(Erased)
    def _erased(
        self,
        reason: str,
        request_ref: str,
        records: tuple[UUID, ...],
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.erased = True


def _normalised(phones: Sequence[str], allowed_now: tuple[str, ...]) -> tuple[str, ...]:
    """Phones come normalised (kefu.phones, by the commands): E.164, or a short service number."""
    for phone in phones:
        if not _CANONICAL_PHONE.fullmatch(phone):
            raise RuleViolated(f"{phone!r} is not a normalised phone number", allowed_now)
    return tuple(dict.fromkeys(phones))
