"""SLA clocks counted in business hours, read years after the ticket was opened (an imported
backlog, a complaint left open): the ticket view answers (a CalendarError, a 500, before)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kefu.bootstrap import Services
from tests.http.conftest import FakeClock, desk_services

OFFICE_HOURS = {"name": "office", "first_response": "4h", "next_update": "8h",
                "resolution": "5d", "business_hours": True}  # fmt: skip


@pytest.fixture
def services(tmp_path: Path, clock: FakeClock) -> Iterator[Services]:
    policies = tmp_path / "sla.json"
    policies.write_text(json.dumps({"policies": [OFFICE_HOURS]}))
    with desk_services(tmp_path, clock, sla_file=str(policies)) as built:
        yield built


def test_a_ticket_open_for_four_years_reads_its_business_hours_clocks(
    open_ticket: Any, view: Any, clock: FakeClock
) -> None:
    ticket_id = open_ticket()["id"]
    clock.advance(days=4 * 365)  # beyond the calendar's three-year search for working time

    sla = view(ticket_id)["sla"]

    assert (sla["policy"], sla["business_hours"]) == ("office", True)
    resolution = sla["clocks"]["resolution"]
    assert resolution["state"] == "running"
    # About 250 working days of 9 hours a year: far past the 5-day target, far below wall time.
    years = resolution["elapsed_seconds"] / (250 * 9 * 3600)
    assert 3.5 < years < 4.5
    assert resolution["remaining_seconds"] < 0
