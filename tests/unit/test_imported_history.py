"""Imported history in memory: an id given by the import, and no due timer from history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from kefu.commands.importing import imported_id
from kefu.domain.channels import Channel
from kefu.domain.deadlines import DeadlinePolicy, Priority
from kefu.domain.metadata import EventMetadata, imported
from kefu.domain.sla import SlaSetup
from kefu.domain.ticket import Ticket
from kefu.projections.sla_timers import SlaTimersProjection

OPENED = datetime(2024, 5, 2, 1, 0, tzinfo=UTC)


def _meta(source_system: str | None) -> EventMetadata:
    command = uuid4()
    return EventMetadata(
        actor_id="ops-li",
        actor_role="admin",
        command_id=command,
        correlation_id=command,
        causation_id=None,
        channel="import" if source_system else "api",
        recorded_at=datetime(2030, 3, 4, tzinfo=UTC) if source_system else None,
        source_system=source_system,
    )


def _opened(source_system: str | None) -> Any:
    setup = SlaSetup()
    ticket = Ticket.open(
        channel=Channel.EMAIL,
        customer_id=None,
        category="repairs",
        priority=Priority.NORMAL,
        subject="洗衣机漏水",
        description="",
        policy=DeadlinePolicy(),
        meta=_meta(source_system),
        at=OPENED,
        sla=setup.policies.select("normal", "repairs", "none"),
        record_id=imported_id("zammad", "ticket", "T-7") if source_system else None,
    )
    return ticket.pending_events[0]


def test_an_imported_record_gets_the_same_id_on_every_run_and_one_per_source() -> None:
    event = _opened("zammad")
    assert event.originator_id == imported_id("zammad", "ticket", "T-7")
    assert imported_id("znuny", "ticket", "T-7") != event.originator_id
    assert imported_id("zammad", "complaint", "T-7") != event.originator_id
    assert _opened(None).originator_id != _opened(None).originator_id


def test_only_events_with_a_source_system_are_imported_history() -> None:
    assert imported(_opened("zammad"))
    assert not imported(_opened(None))
    assert not imported(object())


def test_an_imported_ticket_sets_no_sla_timer_where_one_opened_here_does() -> None:
    timers = SlaTimersProjection(view=None, setup=SlaSetup())  # type: ignore[arg-type]
    assert timers.fold(None, _opened(None), 1).due_at is not None
    assert timers.fold(None, _opened("zammad"), 1).due_at is None
