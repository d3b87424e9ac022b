"""The keyed chain on a real store, both backends: forged links, rotation, missing keys and
the migration of a store written before keys."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from kefu.application import ServiceDesk
from kefu.audit.log_reading import verify_log
from kefu.audit.verify import Tamper
from kefu.bootstrap import Services
from kefu.cli.main import main
from kefu.domain.channels import Channel
from kefu.domain.deadlines import DeadlinePolicy, Priority
from kefu.domain.metadata import EventMetadata
from kefu.domain.ticket import Ticket
from kefu.store.chain import log_hash, stream_hash
from kefu.store.chain_keys import Keyring, parse_key
from tests.integration.test_tamper_evidence import (
    raw,
    stream_param,
    tickets_with_history,
)

OLD = parse_key("old:" + "11" * 32, "test")
NEW = parse_key("new:" + "22" * 32, "test")


@contextmanager
def desk(database_url: str, keyring: Keyring) -> Iterator[ServiceDesk]:
    app = ServiceDesk(database_url, keyring)
    try:
        yield app
    finally:
        app.close()


def test_an_event_appended_with_correct_unkeyed_links_is_caught(services: Services) -> None:
    ids = tickets_with_history(services, count=2, urges=1)
    sid = stream_param(services.app, ids[0])
    (row,) = raw(
        services.app,
        "SELECT topic, state FROM events WHERE originator_id = ? AND originator_version = 2",
        (sid,),
    )
    topic, state = (row["topic"], row["state"]) if isinstance(row, dict) else (row[0], row[1])
    raw(
        services.app,
        "INSERT INTO events (originator_id, originator_version, topic, state) VALUES (?, 3, ?, ?)",
        (sid, topic, bytes(state)),
    )
    # The forger computes the chain row exactly as the unkeyed algorithm would.
    position = max(e.id for e in services.app.recorder.select_notifications(1, 100))
    head_position, head = services.app.chain.head()
    (previous,) = raw(
        services.app,
        "SELECT stream_hash FROM event_chain WHERE originator_id = ? AND originator_version = 2",
        (sid,),
    )
    previous_hash = bytes(previous["stream_hash"] if isinstance(previous, dict) else previous[0])
    forged = services.app.recorder.select_notifications(position, 1)[0]
    this = stream_hash(previous_hash, forged)
    raw(
        services.app,
        "INSERT INTO event_chain VALUES (?, ?, ?, ?, ?, ?)",
        (position, sid, 3, this, log_hash(head, position, this), None),
    )

    result = verify_log(services.app)

    assert head_position < position
    assert (Tamper.CHAIN_BROKEN, ids[0].hex, 3) in {
        (f.kind, f.stream, f.version) for f in result.findings
    }
    assert not result.ok


def test_rotation_then_verify_passes_and_old_segments_need_the_old_key(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    old_only = Keyring().with_key(*OLD)
    both = old_only.with_key(*NEW)
    with desk(database_url, old_only) as app:
        first = tickets_with_history_on(app)
    with desk(database_url, both) as app:
        segment = app.chain.start_segment("new", rotating=True)
        second = tickets_with_history_on(app)
        result = verify_log(app)
        positions = [link.position for link in app.chain.select_links(0, 100)]
        assert [s.key_id for s in app.chain.segments()] == ["old", "new"]
    assert result.ok, result.findings
    assert max(first) < segment.from_position <= min(second)
    assert result.checked == len(positions)

    with desk(database_url, Keyring().with_key(*NEW)) as app:
        missing = verify_log(app)
    assert missing.findings == [] and not missing.ok
    assert missing.missing_keys == {"old": [p for p in positions if p < segment.from_position]}

    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)
    monkeypatch.setenv("KEFU_CHAIN_KEY", "new:" + NEW[1].hex())
    assert main(["audit", "verify"]) == 3
    assert "key-missing: key 'old'" in capsys.readouterr().err


def test_a_moved_key_marker_is_named(database_url: str) -> None:
    keyring = Keyring().with_key(*OLD).with_key(*NEW)
    with desk(database_url, Keyring().with_key(*OLD)) as app:
        tickets_with_history_on(app)
    with desk(database_url, keyring) as app:
        segment = app.chain.start_segment("new", rotating=True)
        tickets_with_history_on(app)
        raw(
            app,
            "UPDATE chain_keys SET from_position = ? WHERE key_id = 'new'",
            (segment.from_position + 1,),
        )
        result = verify_log(app)
    assert (Tamper.MARKER_ALTERED, "new", segment.from_position + 1) in {
        (f.kind, f.stream, f.position) for f in result.findings
    }


def test_a_store_written_before_keys_is_migrated_and_its_prefix_verifies_unkeyed(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with desk(database_url, Keyring()) as app:  # a kefu from before chain keys
        before = tickets_with_history_on(app)
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)
    monkeypatch.setenv("KEFU_CHAIN_KEY", "old:" + OLD[1].hex())
    with desk(database_url, Keyring().with_key(*OLD)) as app:
        unmigrated = verify_log(app)
        tickets_with_history_on(app)  # still unkeyed: nothing changes until the command
        assert app.chain.segments() == []
    assert unmigrated.unkeyed and not unmigrated.ok and unmigrated.findings == []
    assert main(["audit", "verify"]) == 1
    assert "no link of this log is keyed" in capsys.readouterr().out

    assert main(["audit", "migrate-chain"]) == 0
    assert main(["audit", "migrate-chain"]) == 1  # once only
    with desk(database_url, Keyring().with_key(*OLD)) as app:
        after = tickets_with_history_on(app)
        result = verify_log(app)
    assert result.ok, result.findings
    assert result.keyed_from is not None and max(before) < result.keyed_from <= min(after)
    assert main(["audit", "verify"]) == 0
    assert f"links before position {result.keyed_from} are unkeyed" in capsys.readouterr().out


def tickets_with_history_on(app: ServiceDesk, urges: int = 2) -> list[int]:
    """A ticket opened and urged through `app` (and its keyring); its events' positions."""
    meta = EventMetadata("desk", "service", uuid4(), uuid4(), None, "test")
    at = datetime(2030, 1, 1, tzinfo=UTC)
    ticket = Ticket.open(
        channel=Channel.PHONE, customer_id=None, category="repair", priority=Priority.NORMAL,
        subject="no power", description="", policy=DeadlinePolicy(), meta=meta, at=at,
    )  # fmt: skip
    for n in range(urges):
        ticket.urge(urged_by="customer", reason=f"urge {n}", meta=meta, at=at)
    recordings = app.save(ticket)
    return [r.notification.id for r in recordings]
