"""Archives (归档): exported from the real stores, verified and read back offline."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import msgspec
import pytest

from kefu.audit.archive import (
    ArchivedEvent,
    Manifest,
    export_archive,
    state_from_archive,
    verify_archive,
)
from kefu.audit.selection import active_streams, archived_streams, customer_streams
from kefu.bootstrap import Services
from kefu.cli.main import main
from kefu.commands.customers import RegisterCustomer
from kefu.commands.tickets import OpenTicket
from kefu.domain.channels import Channel
from kefu.domain.ticket_lifecycle import TicketAction
from tests.integration.conftest import context
from tests.integration.test_tamper_evidence import tickets_with_history


def archive_ticket(services: Services, customer: UUID | None = None) -> UUID:
    opened = OpenTicket(
        channel=Channel.SMS, category="billing", subject="refund", customer_id=customer
    )
    ticket_id = services.tickets.open(opened, context()).answer.id
    steps = {
        TicketAction.DISPATCH: {"department": "finance"},
        TicketAction.RESOLVE: {"resolution": "refunded", "code": "REFUND"},
        TicketAction.CLOSE: {},
        TicketAction.ARCHIVE: {},
    }
    for action, body in steps.items():
        command = services.tickets.command_for(action)(**body)
        services.tickets.act(ticket_id, action, command, context())
    return ticket_id


def test_an_export_verifies_offline_and_rebuilds_each_record(
    services: Services, tmp_path: Path
) -> None:
    ids = tickets_with_history(services, count=3, urges=2)
    out = tmp_path / "streams.tar"

    manifest = export_archive(services.app, ids[:2], out, "two streams")
    check = verify_archive(out)

    assert (manifest.streams, manifest.events) == (2, 6)
    assert check.ok, check.problems
    state = state_from_archive(out, ids[0], None)
    assert state["version"] == 3 and state["state"]["urge_count"] == 2


def test_the_archive_shows_a_record_as_it_stood_at_a_past_moment(
    services: Services, tmp_path: Path
) -> None:
    (ticket_id,) = tickets_with_history(services, count=1, urges=2)
    opened_at = services.app.repository.get(ticket_id, version=1).modified_on
    out = tmp_path / "one.tar"
    export_archive(services.app, [ticket_id], out, "one")

    state = state_from_archive(out, ticket_id, opened_at + timedelta(microseconds=1))

    assert state["version"] == 1 and state["state"]["urge_count"] == 0
    with pytest.raises(LookupError):
        state_from_archive(out, ticket_id, opened_at - timedelta(days=1))


def test_selections_by_customer_time_range_and_archived_status(
    services: Services, tmp_path: Path
) -> None:
    files = [RegisterCustomer(name=name) for name in ("李雷", "韩梅梅")]
    lilei, meimei = (services.customers.register(f, context()).answer.id for f in files)
    mine = archive_ticket(services, customer=lilei)
    other = archive_ticket(services, customer=meimei)
    (open_one,) = tickets_with_history(services, count=1, urges=0)
    services.projection_runner().catch_up()
    first = services.app.repository.get(mine, version=1).modified_on

    selected = list(customer_streams(services.read_models, str(lilei)))
    assert selected[:2] == [lilei, mine] and other not in selected  # then the planned visits
    assert set(archived_streams(services.read_models)) == {mine, other}
    everything = set(active_streams(services.app, first, first + timedelta(days=1)))
    assert {mine, other, open_one} <= everything and lilei not in everything  # + planned visits


def rewrite_part(path: Path, name: str, change: bytes, into: bytes, fix_manifest: bool) -> None:
    """Alters one part of an archive, optionally updating the manifest's hash to match."""
    with tarfile.open(path) as tar:
        parts = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    parts[name] = parts[name].replace(change, into, 1)
    if fix_manifest:
        manifest = msgspec.json.decode(parts["manifest.json"], type=Manifest)
        hashes = {**manifest.parts, name: hashlib.sha256(parts[name]).hexdigest()}
        parts["manifest.json"] = msgspec.json.encode(
            msgspec.structs.replace(manifest, parts=hashes)
        )
    with tarfile.open(path, "w") as tar:
        for member, data in parts.items():
            info = tarfile.TarInfo(member)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_an_altered_payload_is_caught_even_when_the_manifest_is_rehashed(
    services: Services, tmp_path: Path
) -> None:
    ids = tickets_with_history(services, count=1, urges=1)
    out = tmp_path / "altered.tar"
    export_archive(services.app, ids, out, "one")
    with tarfile.open(out) as tar:
        first = msgspec.json.decode(
            tar.extractfile("events.jsonl").readline(),
            type=ArchivedEvent,  # type: ignore[union-attr]
        )
    payload = base64.b64decode(first.payload)
    forged = base64.b64encode(payload.replace(b'"repair"', b'"refund"')).decode()

    rewrite_part(out, "events.jsonl", first.payload.encode(), forged.encode(), fix_manifest=True)
    check = verify_archive(out)

    assert not check.ok
    assert check.problems == [f"stream {ids[0].hex} version 1: payload altered"]


def test_a_part_that_no_longer_matches_the_manifest_is_caught(
    services: Services, tmp_path: Path
) -> None:
    ids = tickets_with_history(services, count=2, urges=1)
    out = tmp_path / "cut.tar"
    export_archive(services.app, ids, out, "two")

    rewrite_part(out, "streams.jsonl", b"\n", b"\n\n", fix_manifest=False)

    assert verify_archive(out).problems == ["streams.jsonl: SHA-256 differs from the manifest"]


def test_the_archive_commands_refuse_empty_selections_and_times_without_offsets(
    services: Services, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEFU_DATABASE_URL", database_url)
    out = tmp_path / "none.tar"

    assert main(["archive", "export", "--out", str(out), "--stream", str(UUID(int=1))]) == 1
    assert not out.exists()
    assert main(["archive", "export", "--out", str(out), "--stream", "not-an-id"]) == 2
    assert main(["archive", "export", "--out", str(out), "--from", "2030-01-01"]) == 2
    (ticket,) = tickets_with_history(services, count=1, urges=0)
    assert main(["archive", "export", "--out", str(out), "--stream", str(ticket)]) == 0
    assert main(["archive", "show", str(out), "--stream", str(ticket), "--at", "2030-01-01"]) == 1
