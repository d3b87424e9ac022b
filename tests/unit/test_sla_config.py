"""SLA policies and the calendar from settings: defaults, the file, and errors naming the field."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from kefu.processes.sla_config import sla_setup
from kefu.settings import Settings, SettingsError

LANE = {
    "name": "vip-lane",
    "tiers": ["vip"],
    "first_response": "10m",
    "resolution": "4h",
    "business_hours": True,
    "escalation": [{"level": 1, "raise_priority": True}, {"level": 2, "after": "15m",
                                                           "department": "supervisors"}],
}  # fmt: skip


def settings(
    tmp_path: Path, policies: list[dict[str, Any]] | None = None, **extra: str
) -> Settings:
    path = ""
    if policies is not None:
        (tmp_path / "sla.json").write_text(json.dumps({"policies": policies}))
        path = str(tmp_path / "sla.json")
    return Settings(sla_file=path, **extra)


def test_without_a_file_every_priority_has_its_default_policy_with_escalation(
    tmp_path: Path,
) -> None:
    setup = sla_setup(settings(tmp_path))

    names = [p.name for p in setup.policies.policies]
    assert names == ["default-urgent", "default-important", "default-normal"]
    urgent = setup.policies.policies[0]
    assert (urgent.first_response_seconds, urgent.resolution_seconds) == (600, 4 * 3600)
    assert [s.level for s in urgent.escalation] == [1, 2]


def test_file_policies_come_first_and_keep_their_fields(tmp_path: Path) -> None:
    setup = sla_setup(settings(tmp_path, [LANE]))

    lane = setup.policies.select("normal", "billing", "vip")
    assert lane is not None and lane.name == "vip-lane"
    assert (lane.first_response_seconds, lane.next_update_seconds) == (600, None)
    assert lane.business_hours and lane.escalation[1].after_seconds == 900
    assert setup.policies.select("normal", "billing", "none").name == "default-normal"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"first_response": "ten"}, "policy 'vip-lane': first_response: 'ten'"),
        ({"warn_at": 1.5}, "policy 'vip-lane': warn_share"),
        ({"escalation": [{"level": 2}]}, "policy 'vip-lane': escalation levels"),
        ({"escalation": [{"level": 1, "after": "soon"}]}, "escalation level 1 after"),
        ({"tier": ["vip"]}, "unknown field `tier`"),
        (
            {"escalation": [{"level": 1, "department": "night_desk"}]},
            "policy 'vip-lane': escalation level 1 department: department 'night_desk' is not in "
            "KEFU_DEPARTMENTS",
        ),
        (
            {"escalation": [{"level": 1, "notify": ["manager:night_desk"]}]},
            "escalation level 1 notify: department 'night_desk'",
        ),
    ],
)
def test_a_bad_policy_is_refused_naming_the_policy_and_the_field(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        sla_setup(settings(tmp_path, [{**LANE, **change}]))
    assert message in str(refused.value)


def test_the_calendar_takes_hours_closures_and_chinas_holidays(tmp_path: Path) -> None:
    calendar = sla_setup(
        settings(tmp_path, business_hours="mon-sat=08:00-20:00", closures="2026-03-04")
    ).calendar

    assert not calendar.is_working_day(date(2026, 3, 4))  # the closure
    assert calendar.is_working_day(date(2026, 3, 7))  # a Saturday, open by the hours
    assert not calendar.is_working_day(date(2026, 10, 1))  # National Day
    assert not calendar.is_working_day(date(2026, 10, 11))  # an ordinary Sunday


@pytest.mark.parametrize(
    ("extra", "variable"),
    [
        ({"business_hours": "mon=9-5"}, "KEFU_BUSINESS_HOURS"),
        ({"closures": "soon"}, "KEFU_CLOSURES"),
    ],
)
def test_a_bad_calendar_setting_names_the_variable(
    tmp_path: Path, extra: dict[str, str], variable: str
) -> None:
    with pytest.raises(SettingsError, match=variable):
        sla_setup(settings(tmp_path, **extra))
