"""The thread on the real stores (both backends): entries, reopening, attachments, archives."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import pytest

from kefu.audit.archive import export_archive, verify_archive
from kefu.bootstrap import Services
from kefu.commands.thread import AttachmentInput, PostEntry, ThreadCommands
from kefu.commands.tickets import OpenTicket
from kefu.domain.channels import Channel
from kefu.domain.thread import EntryKind
from kefu.domain.ticket import Ticket
from kefu.search.index import SearchQuery
from kefu.store.attachments import AttachmentRefused, FolderStore
from tests.integration.conftest import context

PDF = b"%PDF-1.4\n" + "发票 invoice".encode() * 20


@pytest.fixture
def threads(services: Services, tmp_path: Path) -> ThreadCommands:
    files = FolderStore(tmp_path / "files", max_bytes=4096)
    return ThreadCommands(services.app, services.threads.runner, services.threads.policies, files)


def test_entries_with_a_file_are_projected_and_archived_with_the_file(
    services: Services, threads: ThreadCommands, tmp_path: Path
) -> None:
    opened = OpenTicket(channel=Channel.EMAIL, category="billing", subject="发票金额多收")
    ticket = services.tickets.open(opened, context()).answer.id
    stored = threads.files.put(PDF)
    assert stored.content_type == "application/pdf"
    assert threads.files.put(PDF) == stored  # the same bytes are one file
    message = PostEntry(
        kind=EntryKind.CUSTOMER_MESSAGE,
        body="上月发票金额多收了",
        address="li@example.com",
        attachments=(AttachmentInput(stored.sha256, "invoice.pdf"),),
    )
    threads.post(Ticket, ticket, message, context())
    reply = PostEntry(kind=EntryKind.PUBLIC_REPLY, body="已退还差额")
    answer = threads.post(Ticket, ticket, reply, context()).answer
    assert answer.version == 3
    services.projection_runner().catch_up()

    entries, cursor = services.read_models.threads.thread(ticket, 10, None)
    assert cursor is None
    assert [(e.kind, e.address) for e in entries] == [
        ("customer_message", "li@example.com"),
        ("public_reply", "li@example.com"),
    ]
    assert entries[0].attachments[0].sha256 == hashlib.sha256(PDF).hexdigest()
    search = services.read_models.threads.search_tickets
    assert [h.doc_id for h in search(SearchQuery("发票金额", exact=True))] == [str(ticket)]
    assert search(SearchQuery("退还差额", exact=True))  # the reply's words are found too

    out = tmp_path / "ticket.tar"
    manifest = export_archive(services.app, [ticket], out, "one ticket", files=threads.files)
    assert f"attachments/{stored.sha256}" in manifest.parts and not manifest.missing_files
    assert verify_archive(out).ok
    with tarfile.open(out) as tar:
        member = tar.extractfile(f"attachments/{stored.sha256}")
        assert member is not None and member.read() == PDF


def test_a_file_over_the_limit_is_refused_and_not_stored(threads: ThreadCommands) -> None:
    with pytest.raises(AttachmentRefused, match="at most 4096"):
        threads.files.put(b"x" * 4097)
    assert threads.files.describe(hashlib.sha256(b"x" * 4097).hexdigest()) is None
