"""The thread on the real stores (both backends): entries, reopening, attachments, archives."""

from __future__ import annotations

import hashlib
import tarfile
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from uuid import uuid4

import pytest

from kefu.audit.archive import export_archive, verify_archive
from kefu.bootstrap import Services
from kefu.commands.complaints import RegisterComplaint
from kefu.commands.customers import RegisterCustomer
from kefu.commands.intake import MailIntake, Received
from kefu.commands.thread import AttachmentInput, PostEntry, ThreadCommands
from kefu.commands.tickets import OpenTicket
from kefu.domain.channels import Channel
from kefu.domain.complaint import Complaint
from kefu.domain.complaint_values import ComplaintType
from kefu.domain.message import Message, message_id
from kefu.domain.metadata import EventMetadata
from kefu.domain.thread import EntryKind, reply_key
from kefu.domain.ticket import Ticket
from kefu.search.index import SearchQuery
from kefu.store.attachments import AttachmentRefused, FolderStore
from tests.integration.conftest import context

_NOW = datetime(2030, 3, 4, tzinfo=UTC)
META = EventMetadata("notifier", "process", uuid4(), uuid4(), None, "process")
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


def _mail(message_id: str, subject: str, body: str, **headers: str) -> bytes:
    email = EmailMessage()
    email["From"] = "李雷 <Li@Example.com>"
    email["To"] = "help@desk.example.com"
    email["Subject"] = subject
    email["Message-ID"] = f"<{message_id}>"
    for name, value in headers.items():
        email[name.replace("_", "-")] = value
    email.set_content(body)
    return email.as_bytes()


def test_mail_opens_a_ticket_once_and_replies_join_its_thread_by_any_of_their_links(
    services: Services, threads: ThreadCommands
) -> None:
    customer = services.customers.register(
        RegisterCustomer(name="李雷", email="li@example.com"), context()
    ).answer.id
    services.projection_runner().catch_up()
    intake = MailIntake(
        services.app, services.threads.runner, services.threads.policies, threads,
        services.read_models.customers,
    )  # fmt: skip
    first = _mail("m1@example.com", "发票金额不对", "上月发票金额多收了")
    opened = intake.receive(first)
    assert opened.outcome == "opened" and opened.ticket_id is not None
    ticket = opened.ticket_id
    resent = first.replace(b"To:", b"Received: from relay\r\nTo:")  # redelivered by a relay
    assert intake.receive(resent) == Received("duplicate", ticket)
    loaded = services.app.load(Ticket, ticket, None)
    assert (loaded.customer_id, loaded.version) == (str(customer), 2)

    # The customer writes again, answering their own first mail: it joins the thread.
    again = _mail(
        "m2@example.com", "Re: 发票金额不对", "补充: 金额是59元", In_Reply_To="<m1@example.com>"
    )
    assert intake.receive(again) == Received("joined", ticket)
    # The agent replies, resolves; the customer answers the reply the desk sent: reopened.
    reply = threads.post(
        Ticket, ticket, PostEntry(kind=EntryKind.PUBLIC_REPLY, body="已退款"), context()
    )
    for action, body in (("dispatch", {"department": "billing"}), ("start", {}),
                         ("resolve", {"resolution": "refunded", "code": "refund"})):  # fmt: skip
        command = services.tickets.command_for(action)(**body)
        services.tickets.act(ticket, action, command, context())
    sent_id = message_id(reply_key(ticket, reply.answer.version))
    assert services.app.repository.get(sent_id).answers == "m2@example.com"  # their last mail
    answer = _mail("m3@example.com", "Re: 已退款", "还没到账", In_Reply_To=f"<{sent_id}@kefu>")
    assert intake.receive(answer) == Received("joined", ticket)
    assert services.app.load(Ticket, ticket, None).status.value == "reopened"
    # A mail that only names the ticket in its subject joins it too.
    tagged = _mail("m4@example.com", f"问题 [#{ticket}]", "请尽快处理")
    assert intake.receive(tagged) == Received("joined", ticket)

    auto = _mail("m5@example.com", "自动回复: 已退款", "我在休假", Auto_Submitted="auto-replied")
    assert intake.receive(auto).outcome == "ignored"
    services.projection_runner().catch_up()
    entries, _ = services.read_models.threads.thread(ticket, 50, None)
    customer_mails = [e.external_id for e in entries if e.kind == "customer_message"]
    assert customer_mails == [
        "m1@example.com",
        "m2@example.com",
        "m3@example.com",
        "m4@example.com",
    ]


def test_an_answer_to_a_notice_joins_its_ticket_and_one_to_another_message_opens_one(
    services: Services, threads: ThreadCommands
) -> None:
    intake = MailIntake(
        services.app, services.threads.runner, services.threads.policies, threads,
        services.read_models.customers,
    )  # fmt: skip
    ticket = intake.receive(_mail("n1@example.com", "退款", "请退款")).ticket_id
    assert ticket is not None
    notices = [
        Message(key=key, rule="r", template="t", channel="email", language="zh",
                recipient_kind="customer", recipient_id="", address="li@example.com",
                subject="s", body="b", due_at=_NOW, case=case, meta=META, timestamp=_NOW)
        for key, case in (("k1", f"resolved:{ticket}:4"), ("k2", "birthday:2030"))
    ]  # fmt: skip
    for notice in notices:
        services.app.save(notice)
    joined = _mail("n2@example.com", "Re: 已解决", "谢谢", In_Reply_To=f"<{notices[0].id}@kefu>")
    assert intake.receive(joined) == Received("joined", ticket)
    other = _mail("n3@example.com", "Re: 生日快乐", "谢谢", In_Reply_To=f"<{notices[1].id}@kefu>")
    assert intake.receive(other).outcome == "opened"


def test_an_answer_to_a_complaints_reply_joins_the_complaints_thread(
    services: Services, threads: ThreadCommands
) -> None:
    customer = services.customers.register(
        RegisterCustomer(name="李雷", email="li@example.com"), context()
    ).answer.id
    registered = RegisterComplaint(
        channel=Channel.EMAIL, customer_id=customer, type=ComplaintType.SERVICE_FAILURE,
        description="客服态度差", contact="li@example.com",
    )  # fmt: skip
    complaint = services.complaints.register(registered, context()).answer.id
    intake = MailIntake(
        services.app, services.threads.runner, services.threads.policies, threads,
        services.read_models.customers,
    )  # fmt: skip
    reply = threads.post(
        Complaint, complaint, PostEntry(kind=EntryKind.PUBLIC_REPLY, body="已核实，致歉"), context()
    )
    sent = services.app.repository.get(message_id(reply_key(complaint, reply.answer.version)))
    assert (sent.address, f"[#{complaint}]" in sent.subject) == ("li@example.com", True)
    assert sent.answers == ""  # the customer has not written by email on this case

    answer = _mail("c1@example.com", "Re: 投诉", "不接受", In_Reply_To=f"<{sent.id}@kefu>")
    assert intake.receive(answer) == Received("joined", complaint_id=complaint)
    tagged = _mail("c2@example.com", f"Re: {sent.subject}", "请回电")
    assert intake.receive(tagged) == Received("joined", complaint_id=complaint)
    own = _mail("c3@example.com", "Re: Re: 投诉", "补充", References="<c1@example.com>")
    assert intake.receive(own) == Received("joined", complaint_id=complaint)
    assert intake.receive(own) == Received("duplicate", complaint_id=complaint)
    services.projection_runner().catch_up()
    entries, _ = services.read_models.threads.thread(complaint, 50, None)
    assert [e.external_id for e in entries if e.kind == "customer_message"] == [
        "c1@example.com",
        "c2@example.com",
        "c3@example.com",
    ]
