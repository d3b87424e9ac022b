"""Rules: each condition, order and stop, and the rules file's validation naming rule and field."""

from __future__ import annotations

import itertools
import json
import os
from datetime import time
from pathlib import Path
from typing import Any

import pytest

from kefu.domain.deadlines import Priority
from kefu.domain.departments import DepartmentDirectory, parse_departments
from kefu.domain.rules import (
    DEFAULT_RULES,
    TICKET_OPENED,
    Action,
    Conditions,
    Facts,
    Rule,
    RuleBook,
)
from kefu.domain.ticket_routing import DispatchStrategy
from kefu.processes.rules_config import RulesError, RuleSource, load_rules

FACTS = Facts(
    kind=TICKET_OPENED, channel="wechat", category="billing", subject="账号被盗了",
    description="Someone logged in from abroad", priority="normal", tier="vip",
    tags=("loyal",), local_time=time(23, 30), department="it",
)  # fmt: skip


@pytest.mark.parametrize(
    ("conditions", "holds"),
    [
        (Conditions(), True),
        (Conditions(channels=("wechat", "sms")), True),
        (Conditions(channels=("phone",)), False),
        (Conditions(categories=("billing",)), True),
        (Conditions(categories=("account-security",)), False),
        (Conditions(keywords=("被盗",)), True),  # Chinese, no word boundaries
        (Conditions(keywords=("ABROAD",)), True),  # any case
        (Conditions(keywords=("refund", "退款")), False),
        (Conditions(priorities=("normal",)), True),
        (Conditions(priorities=("urgent",)), False),
        (Conditions(tiers=("vip",)), True),
        (Conditions(tiers=("member",)), False),
        (Conditions(customer_tags=("loyal", "press")), True),
        (Conditions(customer_tags=("press",)), False),
        (Conditions(departments=("it",)), True),
        (Conditions(departments=("sales",)), False),
        (Conditions(between=(time(22), time(6))), True),  # a night span wraps midnight
        (Conditions(between=(time(9), time(18))), False),
        (Conditions(major=True), False),
        (Conditions(tiers=("vip",), channels=("phone",)), False),  # all must hold
    ],
)
def test_each_condition_holds_only_for_matching_facts(conditions: Conditions, holds: bool) -> None:
    assert conditions.hold(FACTS) is holds


def rule(name: str, stop: bool = False, **when: Any) -> Rule:
    return Rule(name, (TICKET_OPENED,), (Action("add_tag", tag=name),), Conditions(**when), stop)


def test_rules_fire_in_order_and_stop_ends_the_processing() -> None:
    book = RuleBook((rule("a"), rule("b", tiers=("none",)), rule("c", stop=True), rule("d")))

    assert [r.name for r in book.firing(FACTS)] == ["a", "c"]


def test_rules_fire_only_on_their_event_kinds() -> None:
    book = RuleBook((Rule("x", ("ticket_reopened",), (Action("notify"),)),))

    assert book.firing(FACTS) == []


def test_the_default_rules_open_the_10_minute_lane_for_vip_and_account_security() -> None:
    fired = DEFAULT_RULES.firing(FACTS)
    assert [r.name for r in fired] == ["vip-10-minute-lane"]
    assert fired[0].then[0] == Action("set_priority", priority=Priority.URGENT)
    security = Facts(kind=TICKET_OPENED, category="account-security")
    assert [r.name for r in DEFAULT_RULES.firing(security)] == ["account-security-10-minute-lane"]


def write(tmp_path: Path, rules: Any) -> str:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules, ensure_ascii=False), encoding="utf-8")
    return str(path)


GOOD = {
    "name": "stolen",
    "on": ["ticket_opened"],
    "when": {"keywords": ["盗号", "被盗"], "between": "00:00-23:59"},
    "then": [
        {"set_category": "account-security"},
        {"set_priority": "urgent"},
        {"dispatch": {"department": "security", "agent_id": "owner"}},
        {"add_tag": "stolen"},
        {"escalate": {"raise_priority": True}},
        {"notify": ["duty-manager"]},
    ],
    "stop": True,
}


def test_a_valid_file_loads_every_action_kind(tmp_path: Path) -> None:
    book = load_rules(write(tmp_path, {"rules": [GOOD]}))

    [loaded] = book.rules
    assert [a.kind for a in loaded.then] == [
        "set_category", "set_priority", "dispatch", "add_tag", "escalate", "notify",
    ]  # fmt: skip
    assert loaded.stop and loaded.when.keywords == ("盗号", "被盗")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"on": ["ticket_deleted"]}, "rule 'stolen': on: 'ticket_deleted'"),
        ({"when": {"tiers": "vip"}}, "'stolen': Expected `array`, got `str` - at `$.when.tiers`"),
        ({"when": {"priority": ["urgent"]}}, "'stolen': Object contains unknown field `priority`"),
        ({"then": [{"set_priority": "asap"}]}, "rule 'stolen': then[0].set_priority"),
        ({"then": [{"dispatch": {}}]}, "'stolen': then[0].dispatch: a dispatch names a department"),
        ({"then": [{"explode": 1}]}, "rule 'stolen': then[0]: one of"),
        ({"when": {"between": "late"}}, "rule 'stolen': when.between"),
        ({"then": []}, "rule 'stolen': on and then must not be empty"),
        ({"then": [{"dispatch": {"department": "billing", "strategy": "busiest"}}]},
         "rule 'stolen': then[0].dispatch: Invalid enum value 'busiest'"),
        ({"then": [{"dispatch": {"department": "billing", "strategy": "fewest_open",
                                 "agent_id": "a-1"}}]},
         "then[0].dispatch: a strategy picks the agent: no agent_id but owner"),
        ({"then": [{"dispatch": {"department": "billing", "skill": "billing"}}]},
         "then[0].dispatch: a skill needs a strategy"),
        ({"then": [{"escalate": {"strategy": "round_robin"}}]},
         "then[0].escalate: only a dispatch picks an agent by strategy"),
        ({"then": [{"dispatch": {"department": "night_desk"}}]},
         "rule 'stolen': then[0].dispatch: department 'night_desk' is not in KEFU_DEPARTMENTS"),
        ({"then": [{"notify": ["manager:night_desk"]}]},
         "rule 'stolen': then[0].notify: department 'night_desk' is not in KEFU_DEPARTMENTS"),
        ({"when": {"departments": ["night_desk"]}},
         "rule 'stolen': when.departments: department 'night_desk' is not in KEFU_DEPARTMENTS"),
    ],
)  # fmt: skip
def test_a_bad_rule_is_refused_naming_the_rule_and_the_field(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(RulesError) as refused:
        load_rules(write(tmp_path, {"rules": [{**GOOD, **change}]}))
    assert message in str(refused.value)


def test_a_dispatch_may_pick_an_agent_with_a_skill_by_a_strategy(tmp_path: Path) -> None:
    by_load = {"department": "billing", "skill": "invoices", "strategy": "fewest_open"}
    book = load_rules(write(tmp_path, {"rules": [{**GOOD, "then": [{"dispatch": by_load}]}]}))

    [action] = book.rules[0].then
    assert (action.department, action.skill, action.strategy) == (
        "billing",
        "invoices",
        DispatchStrategy.FEWEST_OPEN,
    )


def test_the_default_rules_need_their_departments_in_the_directory() -> None:
    assert load_rules("") is DEFAULT_RULES  # the default directory has vip and security
    without_vip = DepartmentDirectory(parse_departments("security,supervisors,sales"))
    with pytest.raises(RulesError) as refused:
        load_rules("", without_vip)
    assert str(refused.value).startswith(
        "default rule 'vip-10-minute-lane': then[1].dispatch: department 'vip' is not in "
        "KEFU_DEPARTMENTS (security, supervisors, sales)"
    )


def test_two_rules_with_one_name_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="'stolen': name is used twice"):
        load_rules(write(tmp_path, {"rules": [GOOD, GOOD]}))


def test_a_changed_file_is_read_again_and_a_broken_change_keeps_the_old_rules(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, {"rules": [GOOD]})
    source = RuleSource(path)
    assert [r.name for r in source.current().rules] == ["stolen"]

    renamed = {**GOOD, "name": "hijacked"}
    Path(path).write_text(json.dumps({"rules": [renamed]}), encoding="utf-8")
    _touch_later(path)
    assert [r.name for r in source.current().rules] == ["hijacked"]

    Path(path).write_text("{not json", encoding="utf-8")
    _touch_later(path)
    assert [r.name for r in source.current().rules] == ["hijacked"]


def _touch_later(path: str) -> None:
    """Moves the modification time on, whatever the file system's time resolution."""
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9 * next(_SECONDS)))


_SECONDS = itertools.count(1)
