"""Declarative rules (自动化处理): when an event of a kind happens and conditions hold on the
record and the customer file, act — set priority or category, dispatch, tag, escalate, notify.

Rules are data, tried in their order; a rule with `stop` ends the processing of that event
once it has fired. Conditions left empty hold for every record. Keywords match the subject or
description, case-insensitively, Chinese included (a substring test: Chinese has no spaces).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time

from kefu.domain.deadlines import Priority
from kefu.domain.notice import department_of
from kefu.domain.ticket_routing import DispatchStrategy

TICKET_OPENED = "ticket_opened"
TICKET_REOPENED = "ticket_reopened"
CUSTOMER_REPLIED = "customer_replied"
COMPLAINT_ATTRIBUTED = "complaint_attributed"
EVENT_KINDS = (TICKET_OPENED, TICKET_REOPENED, CUSTOMER_REPLIED, COMPLAINT_ATTRIBUTED)
OWNER = "owner"  # as an agent: the customer's own agent (归属坐席)


@dataclass(frozen=True)
class Facts:
    """What a rule's conditions look at: the record and the customer file when it happened."""

    kind: str
    channel: str = ""
    category: str = ""
    subject: str = ""
    description: str = ""
    priority: str = ""
    tier: str = "none"
    tags: tuple[str, ...] = ()
    local_time: time = time()
    department: str | None = None
    major: bool = False


@dataclass(frozen=True)
class Conditions:
    """All given conditions must hold; within one, any listed value matches."""

    channels: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    customer_tags: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    between: tuple[time, time] | None = None  # local time of day; may wrap past midnight
    major: bool | None = None

    def hold(self, facts: Facts) -> bool:
        return all(check(facts) for check in self._checks())

    def _checks(self) -> list[Callable[[Facts], bool]]:
        return [
            lambda f: _any_of(self.channels, f.channel),
            lambda f: _any_of(self.categories, f.category),
            lambda f: _any_of(self.priorities, f.priority),
            lambda f: _any_of(self.tiers, f.tier),
            lambda f: _any_of(self.departments, f.department),
            lambda f: not self.customer_tags or bool(set(self.customer_tags) & set(f.tags)),
            lambda f: not self.keywords or _mentions(self.keywords, f.subject, f.description),
            lambda f: self.between is None or _within(self.between, f.local_time),
            lambda f: self.major is None or self.major == f.major,
        ]


def _any_of(allowed: tuple[str, ...], value: str | None) -> bool:
    return not allowed or value in allowed


def _mentions(keywords: tuple[str, ...], *texts: str) -> bool:
    haystack = " ".join(texts).casefold()
    return any(word.casefold() in haystack for word in keywords)


def _within(span: tuple[time, time], moment: time) -> bool:
    start, end = span
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end  # a night span, e.g. 22:00-06:00


@dataclass(frozen=True)
class Action:
    """One thing a rule does; `kind` says which, the other fields are its arguments."""

    kind: str  # set_priority, set_category, dispatch, add_tag, escalate, notify
    priority: Priority | None = None
    category: str | None = None
    department: str | None = None
    agent_id: str | None = None  # OWNER: the customer's own agent
    tag: str | None = None
    raise_priority: bool = False
    recipients: tuple[str, ...] = ()  # see kefu/domain/notice.py for who they may be
    strategy: DispatchStrategy | None = None  # dispatch to an agent with `skill` this way
    skill: str | None = None

    def departments(self) -> tuple[str, ...]:
        """The departments the action sends work or word to (checked against the directory)."""
        named = [self.department, *(department_of(r) for r in self.recipients)]
        return tuple(d for d in named if d)


@dataclass(frozen=True)
class Rule:
    """On events of `on`, if `when` holds, do `then` in order; `stop` ends the processing."""

    name: str
    on: tuple[str, ...]
    then: tuple[Action, ...]
    when: Conditions = Conditions()
    stop: bool = False

    def fires(self, facts: Facts) -> bool:
        return facts.kind in self.on and self.when.hold(facts)


@dataclass(frozen=True)
class RuleBook:
    """The rules in their order."""

    rules: tuple[Rule, ...] = ()

    def firing(self, facts: Facts) -> list[Rule]:
        """The rules that fire for `facts`, in order, up to the first that stops."""
        fired = []
        for rule in self.rules:
            if rule.fires(facts):
                fired.append(rule)
                if rule.stop:
                    break
        return fired


TEN_MINUTE_LANE = "10-minute-lane"
DEFAULT_RULES = RuleBook(
    (
        Rule(
            name="vip-10-minute-lane",
            on=(TICKET_OPENED,),
            when=Conditions(tiers=("vip",)),
            then=(
                Action("set_priority", priority=Priority.URGENT),
                Action(
                    "dispatch",
                    department="vip",
                    agent_id=OWNER,
                    strategy=DispatchStrategy.FEWEST_OPEN,
                ),
                Action("add_tag", tag=TEN_MINUTE_LANE),
            ),
        ),
        Rule(
            name="account-security-10-minute-lane",
            on=(TICKET_OPENED,),
            when=Conditions(categories=("account-security",)),
            then=(
                Action("set_priority", priority=Priority.URGENT),
                Action(
                    "dispatch",
                    department="security",
                    agent_id=OWNER,
                    strategy=DispatchStrategy.FEWEST_OPEN,
                ),
                Action("add_tag", tag=TEN_MINUTE_LANE),
            ),
        ),
        Rule(
            name="major-complaint-to-department-manager",
            on=(COMPLAINT_ATTRIBUTED,),
            when=Conditions(major=True),
            then=(Action("escalate"),),
        ),
    )
)
