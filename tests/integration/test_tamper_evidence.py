"""Tampering with a real database is caught and named, on both backends."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from kefu.application import ServiceDesk
from kefu.audit.log_reading import all_events, all_links, verify_log
from kefu.audit.verify import Finding, Tamper, Verification
from kefu.bootstrap import Services
from kefu.commands.tickets import OpenTicket, UrgeTicket
from kefu.domain.channels import Channel
from kefu.domain.ticket_lifecycle import TicketAction
from kefu.store.chain import GENESIS, chain_links
from kefu.store.database import Backend, backend_of
from tests.integration.conftest import context


def raw(app: ServiceDesk, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """Runs SQL straight against the store, as someone with database access could."""
    postgres = backend_of(app.database_url) is Backend.POSTGRES
    statement = statement.replace("events", app.recorder.events_table_name)  # type: ignore[attr-defined]
    if postgres:
        statement = statement.replace("?", "%s")
    datastore: Any = app.recorder.datastore  # type: ignore[attr-defined]
    with datastore.transaction(commit=True) as cursor:
        cursor.execute(statement, params)
        try:
            return list(cursor.fetchall())
        except Exception:
            return []


def stream_param(app: ServiceDesk, stream: UUID) -> object:
    return stream if backend_of(app.database_url) is Backend.POSTGRES else stream.hex


def check(services: Services, digest: tuple[int, bytes] | None = None) -> Verification:
    return verify_log(services.app, digest)


def tickets_with_history(services: Services, count: int = 3, urges: int = 2) -> list[UUID]:
    opened = OpenTicket(channel=Channel.PHONE, category="repair", subject="no power")
    ids = [services.tickets.open(opened, context()).answer.id for _ in range(count)]
    for ticket_id in ids:
        for n in range(urges):
            urge = UrgeTicket(urged_by="customer", reason=f"urge number {n}")
            services.tickets.act(ticket_id, TicketAction.URGE, urge, context())
    return ids


def position_of(services: Services, stream: UUID, version: int) -> int:
    sid = stream.hex
    return next(
        link.position
        for link in all_links(services.app)
        if (link.originator_id, link.originator_version) == (sid, version)
    )


def test_an_untouched_log_verifies_and_extends_its_own_digest(services: Services) -> None:
    tickets_with_history(services)
    before = check(services)

    tickets_with_history(services, count=1)
    after = check(services, digest=(before.head_position, before.head_hash))

    assert before.ok and before.checked == 9
    assert after.ok and after.extends_digest is True and after.checked == 12


def test_one_changed_byte_in_a_payload_is_named(services: Services) -> None:
    ids = tickets_with_history(services)
    sid = stream_param(services.app, ids[1])
    rows = raw(
        services.app,
        "SELECT state FROM events WHERE originator_id = ? AND originator_version = 2",
        (sid,),
    )
    payload = bytes(rows[0][0] if not isinstance(rows[0], dict) else rows[0]["state"])
    forged = payload.replace(b"urge number 0", b"urge number 9")
    raw(
        services.app,
        "UPDATE events SET state = ? WHERE originator_id = ? AND originator_version = 2",
        (forged, sid),
    )

    result = check(services)

    assert result.findings == [
        Finding(Tamper.MODIFIED, ids[1].hex, 2, position_of(services, ids[1], 2))
    ]
    assert not result.ok


def test_a_deleted_event_is_named(services: Services) -> None:
    ids = tickets_with_history(services)
    sid = stream_param(services.app, ids[0])
    raw(
        services.app,
        "DELETE FROM events WHERE originator_id = ? AND originator_version = 2",
        (sid,),
    )

    result = check(services)

    assert result.findings == [
        Finding(Tamper.DELETED, ids[0].hex, 2, position_of(services, ids[0], 2))
    ]


def test_two_swapped_versions_are_named(services: Services) -> None:
    ids = tickets_with_history(services)
    sid = stream_param(services.app, ids[2])
    for old, new in ((2, -2), (3, 2), (-2, 3)):
        raw(
            services.app,
            "UPDATE events SET originator_version = ? WHERE originator_id = ? "
            "AND originator_version = ?",
            (new, sid, old),
        )

    result = check(services)

    assert {(f.kind, f.stream, f.position) for f in result.findings} == {
        (Tamper.REORDERED, ids[2].hex, position_of(services, ids[2], 2)),
        (Tamper.REORDERED, ids[2].hex, position_of(services, ids[2], 3)),
    }


def test_a_forged_appended_event_is_named(services: Services) -> None:
    ids = tickets_with_history(services)
    sid = stream_param(services.app, ids[0])
    (row,) = raw(
        services.app,
        "SELECT topic, state FROM events WHERE originator_id = ? AND originator_version = 3",
        (sid,),
    )
    topic, state = (row["topic"], row["state"]) if isinstance(row, dict) else (row[0], row[1])
    raw(
        services.app,
        "INSERT INTO events (originator_id, originator_version, topic, state) VALUES (?, 4, ?, ?)",
        (sid, topic, bytes(state)),
    )

    result = check(services)

    assert [(f.kind, f.stream, f.version) for f in result.findings] == [
        (Tamper.INSERTED, ids[0].hex, 4)
    ]


def test_a_rewritten_chain_no_longer_extends_the_published_digest(services: Services) -> None:
    tickets_with_history(services)
    published = check(services)
    raw(services.app, "UPDATE event_chain SET log_hash = stream_hash WHERE position = 4")

    result = check(services, digest=(published.head_position, published.head_hash))

    assert [(f.kind, f.position) for f in result.findings] == [(Tamper.CHAIN_BROKEN, 4)]
    assert not result.ok


def test_a_log_rewritten_with_a_matching_chain_no_longer_extends_the_digest(
    services: Services,
) -> None:
    ids = tickets_with_history(services)
    published = check(services)
    sid = stream_param(services.app, ids[0])
    delete = "DELETE FROM events WHERE originator_id = ? AND originator_version = 3"
    raw(services.app, delete, (sid,))
    # What someone who holds the chain key and knows the algorithm could do:
    keying = services.app.chain.keying()
    rechain_everything(services, keying.keyring.secret(keying.segments[0].key_id))

    result = check(services, digest=(published.head_position, published.head_hash))

    assert result.findings == []  # the chain matches the altered log: only the digest tells
    assert result.extends_digest is False
    assert not result.ok


def test_a_log_rewritten_without_the_chain_key_is_caught_without_a_digest(
    services: Services,
) -> None:
    ids = tickets_with_history(services)
    sid = stream_param(services.app, ids[0])
    raw(
        services.app,
        "DELETE FROM events WHERE originator_id = ? AND originator_version = 3",
        (sid,),
    )
    rechain_everything(services, None)  # plain SHA-256: all an attacker without the key can do

    result = check(services)

    assert {f.kind for f in result.findings} == {Tamper.CHAIN_BROKEN}
    assert len(result.findings) == result.checked  # every keyed link fails
    assert not result.ok


def rechain_everything(services: Services, secret: bytes | None) -> None:
    events = list(all_events(services.app))
    links = chain_links(events, [e.id for e in events], lambda *_: GENESIS, GENESIS, secret)
    postgres = backend_of(services.app.database_url) is Backend.POSTGRES
    raw(services.app, "DELETE FROM event_chain")
    for link in links:
        stream = UUID(link.originator_id) if postgres else link.originator_id
        raw(
            services.app,
            "INSERT INTO event_chain VALUES (?, ?, ?, ?, ?, ?)",
            (
                link.position,
                stream,
                link.originator_version,
                link.stream_hash,
                link.log_hash,
                link.occurred_at,
            ),
        )


@pytest.mark.parametrize("bad", ["", "12", "x:00", "3:" + "ab" * 10])
def test_a_malformed_digest_is_refused(bad: str) -> None:
    from kefu.store.chain import parse_digest

    with pytest.raises(ValueError):
        parse_digest(bad)


def test_a_moved_time_index_entry_is_named(services: Services) -> None:
    ids = tickets_with_history(services)
    position = position_of(services, ids[1], 2)
    raw(
        services.app,
        "UPDATE event_chain SET occurred_at = '1999-01-01T00:00:00.000000Z' WHERE position = ?",
        (position,),
    )

    result = check(services)

    assert [(f.kind, f.stream, f.position) for f in result.findings] == [
        (Tamper.CHAIN_BROKEN, ids[1].hex, position)
    ]
