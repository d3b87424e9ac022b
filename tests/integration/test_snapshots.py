"""Long ticket streams are snapshotted; state at any version is the same with or without."""

from __future__ import annotations

from typing import Any, ClassVar

from kefu.audit.history import state_at
from kefu.bootstrap import Services
from kefu.commands.application import SNAPSHOT_EVERY, ServiceDesk
from tests.integration.test_tamper_evidence import tickets_with_history


class WithoutSnapshots(ServiceDesk):
    name = ServiceDesk.name
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {}


def test_a_long_ticket_is_snapshotted_and_reads_the_same_at_every_version(
    services: Services, database_url: str
) -> None:
    urges = SNAPSHOT_EVERY * 2 + 20
    (ticket_id,) = tickets_with_history(services, count=1, urges=urges)
    plain = WithoutSnapshots(database_url)
    try:
        snapshots = list(services.app.snapshots.get(ticket_id))  # type: ignore[union-attr]
        assert [s.originator_version for s in snapshots] == [SNAPSHOT_EVERY, 2 * SNAPSHOT_EVERY]
        for version in (1, SNAPSHOT_EVERY - 1, SNAPSHOT_EVERY, SNAPSHOT_EVERY + 7, urges + 1):
            assert state_at(services.app, ticket_id, None, version) == state_at(
                plain, ticket_id, None, version
            )
        latest = services.app.repository.get(ticket_id)
        assert latest == plain.repository.get(ticket_id)
        assert latest.urge_count == urges
    finally:
        plain.close()
