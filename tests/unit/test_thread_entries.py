"""Thread entries on the ticket's own stream: the rules, the stored form, the SLA clocks."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from eventsourcing.persistence import StoredEvent

from kefu.domain.channels import Channel
from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.message import Message
from kefu.domain.sla import FIRST_RESPONSE, NEXT_UPDATE, RESOLUTION
from kefu.domain.sla_clocks import fold_clocks
from kefu.domain.thread import (
    AttachmentRef,
    EntryContent,
    EntryKind,
    TicketEntryPosted,
    post_entry,
)
from kefu.store.mapper import MsgspecMapper
from tests.unit.test_sla_clocks import CHINA, META, clocks_of, minutes, opened

NOTE = EntryContent(kind=EntryKind.INTERNAL_NOTE, author="a-1", channel=Channel.PHONE, body="x")


def test_an_entry_is_stored_with_its_files_digests_and_read_back_as_written() -> None:
    ticket = opened()
    pdf = AttachmentRef("ab" * 32, "发票.pdf", "application/pdf", 1234)
    entry = EntryContent(
        kind=EntryKind.CUSTOMER_MESSAGE, author="intake:email", channel=Channel.EMAIL,
        body="发票金额多收", html="<p>发票金额多收</p>", attachments=(pdf,),
        address="li@example.com", external_id="m1@example.com",
    )  # fmt: skip
    post_entry(ticket, entry, meta=META, at=minutes(1))
    posted = ticket.collect_events()[-1]
    mapper = MsgspecMapper()
    again = mapper.to_domain_event(mapper.to_stored_event(posted))
    assert isinstance(again, TicketEntryPosted) and again.entry == entry
    assert b"ab" * 32 in mapper.to_stored_event(posted).state  # the chain covers the digest


def test_a_blank_entry_an_unaddressed_reply_and_an_archived_case_are_refused() -> None:
    ticket = opened()
    with pytest.raises(RuleViolated):
        post_entry(ticket, EntryContent(**{**vars(NOTE), "body": " "}), meta=META, at=minutes(1))
    reply = EntryContent(**{**vars(NOTE), "kind": EntryKind.PUBLIC_REPLY})
    with pytest.raises(RuleViolated, match="address"):
        post_entry(ticket, reply, meta=META, at=minutes(1))
    ticket.status = ticket.status.ARCHIVED
    with pytest.raises(ActionNotAllowed):
        post_entry(ticket, NOTE, meta=META, at=minutes(1))


def test_a_public_reply_stops_the_first_response_clock_and_a_note_does_not() -> None:
    noted = opened()
    post_entry(noted, NOTE, meta=META, at=minutes(2))
    assert FIRST_RESPONSE in {m.clock for m in clocks_of(noted).marks(CHINA)}
    ticket = opened()
    reply = EntryContent(
        kind=EntryKind.PUBLIC_REPLY, author="a-1", channel=Channel.SMS, body="已处理",
        address="+8613800000000",
    )  # fmt: skip
    post_entry(ticket, reply, meta=META, at=minutes(3))
    state = clocks_of(ticket)
    assert {m.clock for m in state.marks(CHINA)} == {RESOLUTION}
    assert state.clock(FIRST_RESPONSE).elapsed(minutes(30), CHINA) == timedelta(minutes=3)


def test_a_message_queued_before_it_could_name_a_mail_reads_as_answering_none() -> None:
    queued = Message(
        key="k", rule="thread_reply", template="", channel="email", language="",
        recipient_kind="customer", recipient_id="", address="li@example.com", subject="Re: x",
        body="已处理", due_at=minutes(1), case="thread:x", meta=META, timestamp=minutes(1),
    ).collect_events()[0]  # fmt: skip
    mapper = MsgspecMapper()
    stored = mapper.to_stored_event(queued)
    version_1 = json.loads(stored.state)
    del version_1["class_version"], version_1["answers"]
    old = StoredEvent(stored.originator_id, 1, stored.topic, json.dumps(version_1).encode())
    assert mapper.to_domain_event(old).answers == ""  # type: ignore[attr-defined]


def test_a_customer_message_after_an_answer_starts_the_next_update_clock_until_the_reply() -> None:
    wrote = EntryContent(kind=EntryKind.CUSTOMER_MESSAGE, author="c-1", channel=Channel.SMS,
                         body="还没到账", address="+8613800000000")  # fmt: skip
    reply = EntryContent(kind=EntryKind.PUBLIC_REPLY, author="a-1", channel=Channel.SMS,
                         body="正在查", address="+8613800000000")  # fmt: skip
    unanswered = opened()
    post_entry(unanswered, wrote, meta=META, at=minutes(1))  # the first-response clock runs
    assert clocks_of(unanswered).clock(NEXT_UPDATE).cycle == 0
    ticket = opened()
    state = None
    for minute, entry in ((3, reply), (10, wrote), (12, wrote)):  # a second contact: one cycle
        post_entry(ticket, entry, meta=META, at=minutes(minute))
    for event in ticket.collect_events():
        state = fold_clocks(state, event)
    assert state is not None
    assert NEXT_UPDATE in {m.clock for m in state.marks(CHINA)}
    assert state.clock(NEXT_UPDATE).cycle == 1
    post_entry(ticket, reply, meta=META, at=minutes(25))
    (answered,) = ticket.collect_events()
    state = fold_clocks(state, answered)
    assert NEXT_UPDATE not in {m.clock for m in state.marks(CHINA)}
    assert state.clock(NEXT_UPDATE).elapsed(minutes(60), CHINA) == timedelta(minutes=15)
