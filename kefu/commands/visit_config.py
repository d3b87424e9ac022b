"""The visit plan from configuration: `KEFU_VISIT_RULES_FILE`, a JSON list of rules.

Each rule is `{"name": "7dc-sale", "trigger": "sale", "purpose": "...", "days": 2}` with
optional `months` and `tiers` (e.g. `["member", "vip"]`; absent: every customer). Without the
file the defaults of `kefu.domain.visit_rules.DEFAULT_RULES` apply.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from kefu.domain.visit_rules import VisitPolicy, VisitRule


class VisitRulesError(ValueError):
    """The visit rules file cannot be read as a list of rules."""


def visit_policy(rules_file: str) -> VisitPolicy:
    """The visit policy with the file's rules, or the defaults when no file is named."""
    if not rules_file:
        return VisitPolicy()
    try:
        rules = msgspec.json.decode(Path(rules_file).read_bytes(), type=tuple[VisitRule, ...])
    except (OSError, msgspec.DecodeError) as e:
        raise VisitRulesError(f"KEFU_VISIT_RULES_FILE {rules_file}: {e}") from None
    names = [rule.name for rule in rules]
    if len(set(names)) != len(names):
        raise VisitRulesError(f"KEFU_VISIT_RULES_FILE {rules_file}: rule names must be unique")
    if any(rule.days < 0 or rule.months < 0 for rule in rules):
        raise VisitRulesError(f"KEFU_VISIT_RULES_FILE {rules_file}: periods cannot be negative")
    return VisitPolicy(rules=rules)
