"""The customer file aggregate and phone normalisation, in memory."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from uuid import uuid4

import phonenumbers
import pytest

from kefu.domain.customer import Customer, Tier
from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata
from kefu.domain.visit_rules import QuietHours
from kefu.phones import InvalidPhone, lookup_key, normalise_phone, written_forms

AT = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
META = EventMetadata("desk", "service", uuid4(), uuid4(), None, "api")


def register(**overrides: object) -> Customer:
    fields: dict[str, object] = {
        "name": "王芳",
        "phones": ["+8613800138000"],
        "source_channel": "phone",
    }
    fields.update(overrides)
    return Customer.register(**fields, meta=META, at=AT)


def change(customer: Customer, **overrides: object) -> None:
    fields: dict[str, object] = {
        "name": customer.name,
        "phones": customer.phones,
        "email": customer.email,
        "address": customer.address,
        "birthday": customer.birthday,
        "tier": customer.tier,
        "tags": customer.tags,
    }
    fields.update(overrides)
    customer.change_details(**fields, meta=META, at=AT)


FULL_WIDTH = str.maketrans("0123456789+", "".join(map(chr, range(0xFF10, 0xFF1A))) + "\uff0b")


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("0086 13800138000", "+8613800138000"),
        ("8613800138000", "+8613800138000"),
        ("010-6552 9988", "+861065529988"),
        ("(0755) 8888 1234", "+8675588881234"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("95555", "95555"),
        ("+86 010 12345678", "+861012345678"),
        ("010-12345678", "+861012345678"),
        ("138 0013 8000".translate(FULL_WIDTH), "+8613800138000"),
        ("+86 138 0013 8000".translate(FULL_WIDTH), "+8613800138000"),
        ("400-810-8888", "+864008108888"),
    ],
)
def test_phone_numbers_are_normalised_to_e164_where_possible(written: str, normal: str) -> None:
    assert normalise_phone(written) == normal


@pytest.mark.parametrize(
    "text", ["", "call me", "12", "+86 138 0013 8000 0000 0000", "+86 95555", "1380013800"]
)
def test_text_that_is_not_a_phone_number_is_refused(text: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise_phone(text)


@pytest.mark.parametrize(
    ("stored", "key"),
    [("+8601012345678", "+861012345678"), ("+8613800138000", "+8613800138000"), ("x1", "x1")],
)
def test_a_number_stored_in_an_older_form_is_looked_up_by_its_normal_form_today(
    stored: str, key: str
) -> None:
    assert lookup_key(stored) == key


def test_a_number_seen_before_is_not_parsed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The projection keys and indexes a file's phones at each of its events: the forms of a
    number are worked out once, and a refusal is never remembered as an answer."""
    parsed: list[str] = []
    parse = phonenumbers.parse
    monkeypatch.setattr(
        phonenumbers, "parse", lambda text, *a: parsed.append(text) or parse(text, *a)
    )
    number = f"+86139{uuid4().int % 10**8:08d}"  # one no other test has seen
    first = (lookup_key(number), written_forms(number))
    count = len(parsed)
    assert (lookup_key(number), written_forms(number)) == first == (number, (number, number[3:]))
    assert count > 0 and len(parsed) == count
    for _ in range(2):
        with pytest.raises(InvalidPhone):
            normalise_phone("+86 95555")
    assert parsed.count("+86 95555") == 2


def test_a_new_file_keeps_its_normalised_phones_without_repeats() -> None:
    customer = register(phones=["+8613800138000", "+8613800138000", "+861065529988", "95555"])

    assert customer.phones == ("+8613800138000", "+861065529988", "95555")
    assert (customer.status, customer.tier) == ("active", Tier.NONE)


@pytest.mark.parametrize("phone", ["138 0013 8000", "13800138000x", "+0123456789"])
def test_a_file_refuses_a_phone_not_in_its_normal_form(phone: str) -> None:
    # Normalising is the commands' job (kefu.phones); the file checks the canonical form.
    with pytest.raises(RuleViolated, match="not a normalised phone"):
        register(phones=[phone])


def test_changing_details_records_the_whole_new_set() -> None:
    customer = register()

    change(customer, email="wang@example.cn", tier=Tier.VIP, phones=["+8613911112222"])

    event = customer.collect_events()[-1]
    assert isinstance(event, Customer.DetailsChanged)
    assert (event.email, event.tier, event.phones) == (
        "wang@example.cn",
        "vip",
        ("+8613911112222",),
    )
    assert event.name == "王芳"


def test_an_order_number_is_recorded_only_once() -> None:
    customer = register()
    order = {"package": "gold", "items": ["sofa"], "add_ons": [], "amount": Decimal("3999.00")}
    customer.record_order(number="A-1", ordered_on=date(2030, 3, 1), **order, meta=META, at=AT)

    with pytest.raises(RuleViolated, match="already"):
        customer.record_order(number="A-1", ordered_on=date(2030, 3, 2), **order, meta=META, at=AT)


def test_a_survey_rating_outside_one_to_five_is_refused() -> None:
    customer = register()

    with pytest.raises(RuleViolated, match="1 to 5"):
        customer.record_survey(
            answered_on=date(2030, 3, 1), staff_ids=[], rating=6, comments="", meta=META, at=AT
        )


def test_staff_and_preferences_replace_what_was_there() -> None:
    customer = register()
    customer.record_staff(role="designer", staff_id="s-1", meta=META, at=AT)
    customer.record_staff(role="designer", staff_id="s-2", meta=META, at=AT)
    quiet = [QuietHours(time(12), time(14))]
    customer.mark_preferences(preferences={"call": "evening"}, quiet_hours=quiet, meta=META, at=AT)

    assert customer.staff == {"designer": "s-2"}
    assert customer.quiet_hours == (QuietHours(time(12), time(14)),)


def test_a_merged_file_points_to_its_survivor_and_refuses_every_command() -> None:
    duplicate, survivor = register(), register(name="王芳 (new)")

    duplicate.merge_into(survivor=survivor, meta=META, at=AT)

    assert (duplicate.status, duplicate.merged_into, duplicate.allowed_now) == (
        "merged",
        survivor.id,
        (),
    )
    with pytest.raises(ActionNotAllowed, match=str(survivor.id)):
        duplicate.assign_owner(agent_id="agent-7", meta=META, at=AT)


def test_a_file_cannot_be_merged_into_itself_or_into_a_merged_file() -> None:
    first, second, third = register(), register(), register()
    second.merge_into(survivor=third, meta=META, at=AT)

    with pytest.raises(RuleViolated, match="itself"):
        first.merge_into(survivor=first, meta=META, at=AT)
    with pytest.raises(RuleViolated, match="merge into that file"):
        first.merge_into(survivor=second, meta=META, at=AT)


def test_quiet_hours_may_run_past_midnight() -> None:
    night = QuietHours(time(22), time(8))

    assert night.covers(time(23, 30)) and night.covers(time(7, 59))
    assert not night.covers(time(8)) and not night.covers(time(21, 59))
