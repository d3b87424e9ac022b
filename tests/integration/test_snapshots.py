"""Long ticket streams are snapshotted; state at any version is the same with or without."""

from __future__ import annotations

from typing import Any, ClassVar

from kefu.application import SNAPSHOT_EVERY, ServiceDesk
from kefu.audit.history import state_at
from kefu.audit.snapshots import verify_snapshots
from kefu.audit.verify import Finding, Tamper
from kefu.bootstrap import Services
from tests.integration.test_tamper_evidence import tickets_with_history


class WithoutSnapshots(ServiceDesk):
    name = ServiceDesk.name
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {}


def test_a_long_ticket_is_snapshotted_and_reads_the_same_at_every_version(
    services: Services, database_url: str
) -> None:
    urges = SNAPSHOT_EVERY * 2 + 20
    (ticket_id,) = tickets_with_history(services, count=1, urges=urges)
    plain = WithoutSnapshots(database_url, services.app.chain.keyring)
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


def test_an_edited_snapshot_is_named_by_verify(services: Services) -> None:
    (ticket_id,) = tickets_with_history(services, count=1, urges=SNAPSHOT_EVERY + 5)
    assert verify_snapshots(services.app) == []
    table = services.app.snapshots.recorder.events_table_name  # type: ignore[union-attr]
    datastore: Any = services.app.snapshots.recorder.datastore  # type: ignore[union-attr]
    with datastore.transaction(commit=True) as cursor:
        cursor.execute(f"SELECT state FROM {table}")
        (row,) = cursor.fetchall()
        state = bytes(row["state"] if isinstance(row, dict) else row[0])
        forged = state.replace(b"no power", b"FORGED!!")
        update = (
            f"UPDATE {table} SET state = %s"
            if isinstance(row, dict)
            else (f"UPDATE {table} SET state = ?")
        )
        cursor.execute(update, (forged,))

    assert verify_snapshots(services.app) == [
        Finding(Tamper.SNAPSHOT_ALTERED, ticket_id.hex, SNAPSHOT_EVERY, 0)
    ]
