"""Retention rules are read from their file, and a bad file names what is wrong."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from kefu.processes.retention_config import RetentionRule, load_retention
from kefu.settings import SettingsError


def test_no_file_means_no_retention() -> None:
    assert load_retention("") == ()


def test_rules_are_read_with_their_durations(tmp_path: Path) -> None:
    rules = tmp_path / "retention.json"
    rules.write_text(
        '[{"rule": "closed-tickets", "kind": "ticket", "keep": "1095d"},'
        ' {"rule": "recordings", "kind": "call", "keep": "12h"}]'
    )
    assert load_retention(str(rules)) == (
        RetentionRule("closed-tickets", "ticket", timedelta(days=1095)),
        RetentionRule("recordings", "call", timedelta(hours=12)),
    )


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[{"rule": "r", "kind": "customer", "keep": "1d"}]', "kind"),
        ('[{"rule": "r", "kind": "ticket", "keep": "a year"}]', "a year"),
        ('[{"rule": "r", "kind": "ticket", "keep": "1d"}, {"rule": "r", "kind": "call", '
         '"keep": "1d"}]', "twice"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_naming_the_problem(tmp_path: Path, text: str, named: str) -> None:
    rules = tmp_path / "retention.json"
    rules.write_text(text)
    with pytest.raises(SettingsError, match=named):
        load_retention(str(rules))
