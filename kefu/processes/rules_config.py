"""Rules from `KEFU_RULES_FILE`: validated at start, reloaded when the file changes.

The file is `{"rules": [{"name", "on": [kinds], "when": {...}, "then": [actions], "stop"}]}`;
see docs/automation.md. Every error names the rule and the field (`rule 'vip': when.tiers: ...`).
Without the file the shipped defaults apply (`kefu.domain.rules.DEFAULT_RULES`). A file that
changes while kefu runs is read again before the next event; if it no longer validates, the
rules in force stay and the error is logged.
"""

from __future__ import annotations

import logging
import os
from datetime import time
from pathlib import Path
from typing import Any

import msgspec

from kefu.domain.deadlines import Priority
from kefu.domain.departments import DepartmentDirectory
from kefu.domain.rules import (
    DEFAULT_RULES,
    EVENT_KINDS,
    OWNER,
    Action,
    Conditions,
    Rule,
    RuleBook,
)
from kefu.domain.ticket_routing import DispatchStrategy
from kefu.settings import SettingsError

log = logging.getLogger("kefu.automation")
ACTION_KINDS = ("set_priority", "set_category", "dispatch", "add_tag", "escalate", "notify")


class _When(msgspec.Struct, forbid_unknown_fields=True):
    channels: list[str] = []
    categories: list[str] = []
    keywords: list[str] = []
    priorities: list[Priority] = []
    tiers: list[str] = []
    customer_tags: list[str] = []
    departments: list[str] = []
    between: str | None = None
    major: bool | None = None


class _Target(msgspec.Struct, forbid_unknown_fields=True):
    department: str | None = None
    agent_id: str | None = None
    raise_priority: bool = False
    strategy: DispatchStrategy | None = None
    skill: str | None = None


class _Rule(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    on: list[str]
    then: list[dict[str, Any]]
    when: _When = msgspec.field(default_factory=_When)
    stop: bool = False


class RulesError(SettingsError):
    """The rules file cannot be used; the message names the rule and the field."""


def load_rules(path: str, departments: DepartmentDirectory | None = None) -> RuleBook:
    """The rules of the file at `path`, or the defaults when no file is named; every
    department they name must be in `departments` (the directory, `KEFU_DEPARTMENTS`)."""
    directory = departments or DepartmentDirectory()
    if not path:
        for rule in DEFAULT_RULES.rules:
            _check_departments(f"default rule {rule.name!r}", rule, directory)
        return DEFAULT_RULES
    try:
        raw = msgspec.json.decode(Path(path).read_bytes())
    except (OSError, msgspec.DecodeError) as e:
        raise RulesError(f"KEFU_RULES_FILE {path}: {e}") from None
    if not isinstance(raw, dict) or set(raw) != {"rules"} or not isinstance(raw["rules"], list):
        raise RulesError(f'KEFU_RULES_FILE {path}: expected {{"rules": [...]}}')
    rules = [_rule(path, n, item, directory) for n, item in enumerate(raw["rules"])]
    names = [r.name for r in rules]
    for name in names:
        if names.count(name) > 1:
            raise RulesError(f"KEFU_RULES_FILE {path}: rule {name!r}: name is used twice")
    return RuleBook(tuple(rules))


def _rule(path: str, index: int, item: Any, directory: DepartmentDirectory) -> Rule:
    name = item.get("name", f"#{index + 1}") if isinstance(item, dict) else f"#{index + 1}"
    where = f"KEFU_RULES_FILE {path}: rule {name!r}"
    try:
        spec = msgspec.convert(item, _Rule)
        for kind in spec.on:
            if kind not in EVENT_KINDS:
                raise ValueError(f"on: {kind!r} is not one of {', '.join(EVENT_KINDS)}")
        if not spec.on or not spec.then:
            raise ValueError("on and then must not be empty")
        actions = tuple(_action(n, a) for n, a in enumerate(spec.then))
        when = _conditions(spec.when)
    except (msgspec.ValidationError, ValueError) as e:
        raise RulesError(f"{where}: {e}") from None
    rule = Rule(spec.name, tuple(spec.on), actions, when, spec.stop)
    _check_departments(where, rule, directory)
    return rule


def _check_departments(where: str, rule: Rule, directory: DepartmentDirectory) -> None:
    """Refuses a department outside the directory, naming the rule and the field."""
    known = ", ".join(directory.keys())
    named = [("when.departments", d) for d in rule.when.departments]
    for index, action in enumerate(rule.then):
        named += [(f"then[{index}].{action.kind}", d) for d in action.departments()]
    for field, department in named:
        if department not in directory:
            raise RulesError(
                f"{where}: {field}: department {department!r} is not in KEFU_DEPARTMENTS ({known})"
            )


def _conditions(w: _When) -> Conditions:
    between = None
    if w.between is not None:
        start, _, end = w.between.partition("-")
        try:
            between = (time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))
        except ValueError:
            raise ValueError(f"when.between: {w.between!r} should look like 22:00-06:00") from None
    return Conditions(
        channels=tuple(w.channels), categories=tuple(w.categories), keywords=tuple(w.keywords),
        priorities=tuple(str(p) for p in w.priorities), tiers=tuple(w.tiers),
        customer_tags=tuple(w.customer_tags), departments=tuple(w.departments),
        between=between, major=w.major,
    )  # fmt: skip


def _action(index: int, spec: dict[str, Any]) -> Action:
    field = f"then[{index}]"
    if len(spec) != 1 or next(iter(spec)) not in ACTION_KINDS:
        raise ValueError(f"{field}: one of {', '.join(ACTION_KINDS)}, as {{kind: argument}}")
    kind, argument = next(iter(spec.items()))
    try:
        return _action_of(kind, argument)
    except msgspec.ValidationError as e:
        raise ValueError(f"{field}.{kind}: {e}") from None


def _action_of(kind: str, argument: Any) -> Action:
    if kind == "set_priority":
        return Action(kind, priority=msgspec.convert(argument, Priority))
    if kind == "set_category":
        return Action(kind, category=msgspec.convert(argument, str))
    if kind == "add_tag":
        return Action(kind, tag=msgspec.convert(argument, str))
    if kind == "notify":
        return Action(kind, recipients=tuple(msgspec.convert(argument, list[str])))
    target = msgspec.convert(argument or {}, _Target)
    if kind == "dispatch" and target.department is None:
        raise msgspec.ValidationError("a dispatch names a department")
    if kind != "dispatch" and (target.strategy or target.skill):
        raise msgspec.ValidationError("only a dispatch picks an agent by strategy and skill")
    if target.strategy and target.agent_id not in (None, OWNER):
        raise msgspec.ValidationError("a strategy picks the agent: no agent_id but owner")
    if target.skill and not target.strategy:
        raise msgspec.ValidationError("a skill needs a strategy to pick among its agents")
    return Action(
        kind,
        department=target.department,
        agent_id=target.agent_id,
        raise_priority=target.raise_priority,
        strategy=target.strategy,
        skill=target.skill,
    )


class RuleSource:
    """The rules in force: read again whenever the file's modification time changes."""

    def __init__(self, path: str, departments: DepartmentDirectory | None = None) -> None:
        self.path = path
        self.departments = departments
        self.rules = load_rules(path, departments)
        self._stamp = self._modified()

    def current(self) -> RuleBook:
        stamp = self._modified()
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self.rules = load_rules(self.path, self.departments)
                log.warning("automation: rules reloaded from %s", self.path)
            except RulesError:
                log.exception("automation: rules file changed but is invalid; old rules kept")
        return self.rules

    def _modified(self) -> int | None:
        try:
            return os.stat(self.path).st_mtime_ns if self.path else None
        except OSError:
            return None
