"""The default visit plan: due dates in the desk's time zone, across month ends."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from kefu.domain.visit_rules import (
    DEFAULT_RULES,
    QuietHours,
    VisitPolicy,
    VisitRule,
    add_months,
    business_date,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = VisitPolicy()


@pytest.mark.parametrize(
    ("name", "trigger", "anchor", "due"),
    [
        ("appointment-next-day", "appointment", date(2030, 1, 31), date(2030, 2, 1)),
        ("7dc-sale", "sale", date(2030, 2, 27), date(2030, 3, 1)),
        ("3dc-service", "service", date(2032, 2, 28), date(2032, 3, 1)),  # leap year
        ("viewing-day-10", "viewing", date(2030, 12, 25), date(2031, 1, 4)),
        ("pickup-day-5", "pickup", date(2030, 4, 28), date(2030, 5, 3)),
        ("maintenance-3-months", "sale", date(2030, 11, 30), date(2031, 2, 28)),
        ("lost-customer-6-months", "no_contact", date(2030, 8, 31), date(2031, 2, 28)),
        ("ticket-satisfaction", "ticket_resolved", date(2030, 12, 31), date(2031, 1, 1)),
    ],
)
def test_each_default_rule_dates_its_visit_right_across_month_ends(
    name: str, trigger: str, anchor: date, due: date
) -> None:
    found = POLICY.rule(name)

    assert found is not None and found.trigger == trigger
    assert found.due_on(anchor) == due


def test_every_default_rule_is_tested_above() -> None:
    assert len(DEFAULT_RULES) == 8


def test_a_sale_triggers_the_7dc_visit_and_the_maintenance_reminder() -> None:
    names = [r.name for r in POLICY.rules_for("sale", "none")]

    assert names == ["7dc-sale", "maintenance-3-months"]


def test_a_rule_for_some_tiers_leaves_other_customers_out() -> None:
    vip_only = VisitPolicy(rules=(VisitRule("vip", "sale", "vip call", tiers=("vip",)),))

    assert vip_only.rules_for("sale", "vip") and not vip_only.rules_for("sale", "member")


def test_business_dates_are_dates_in_the_desk_time_zone() -> None:
    late_utc = datetime(2030, 1, 31, 17, 30, tzinfo=UTC)  # 01:30 on 1 February in Shanghai

    assert business_date(late_utc, SHANGHAI) == date(2030, 2, 1)
    assert business_date(late_utc, ZoneInfo("America/New_York")) == date(2030, 1, 31)


def test_months_are_added_to_the_last_day_of_a_shorter_month() -> None:
    assert add_months(date(2030, 1, 31), 1) == date(2030, 2, 28)
    assert add_months(date(2032, 1, 31), 1) == date(2032, 2, 29)
    assert add_months(date(2030, 10, 31), 4) == date(2031, 2, 28)


def test_member_visits_must_finish_within_three_days_others_have_no_limit() -> None:
    assert POLICY.finish_by(date(2030, 2, 27), "member") == date(2030, 3, 2)
    assert POLICY.finish_by(date(2030, 2, 27), "none") is None


def shanghai(hour: int, minute: int = 0, day: int = 4) -> datetime:
    return datetime(2030, 3, day, hour, minute, tzinfo=SHANGHAI)


def test_a_retry_is_two_hours_later_the_same_day() -> None:
    assert POLICY.next_call_at(shanghai(10), SHANGHAI, ()) == shanghai(12)


def test_a_retry_never_falls_in_the_customer_quiet_hours() -> None:
    lunch = [QuietHours(time(12), time(14))]

    assert POLICY.next_call_at(shanghai(10, 30), SHANGHAI, lunch) == shanghai(14)


def test_a_retry_after_calling_hours_moves_to_the_next_morning_outside_quiet_hours() -> None:
    early = [QuietHours(time(8), time(10))]

    assert POLICY.next_call_at(shanghai(20), SHANGHAI, early) == shanghai(10, day=5)


def test_a_retry_is_computed_in_the_desk_zone_whatever_zone_the_call_was_logged_in() -> None:
    logged = datetime(2030, 3, 4, 12, 30, tzinfo=UTC)  # 20:30 in Shanghai

    assert POLICY.next_call_at(logged, SHANGHAI, ()) == shanghai(9, day=5)
