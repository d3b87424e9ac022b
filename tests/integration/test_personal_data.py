"""A customer's personal data is sealed in the log and gone from every read path once erased,
while the chain still verifies and the read models equal a replay; on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
import pytest

from kefu.audit.archive import export_archive, state_from_archive
from kefu.audit.history import state_at, stream_events
from kefu.audit.replay import replay
from kefu.audit.subject_access import personal_data
from kefu.audit.verify import Tamper
from kefu.bootstrap import Services, build_services
from kefu.commands.customers import RecordSurvey, RegisterCustomer, SetChannelIds
from kefu.commands.privacy import EraseCustomer
from kefu.commands.thread import PostEntry
from kefu.commands.tickets import (
    CloseTicket,
    DispatchTicket,
    OpenTicket,
    ResolveTicket,
    ReviewTicket,
    StartTicket,
)
from kefu.commands.webhooks import RegisterWebhook
from kefu.domain.channels import Channel
from kefu.domain.customer import Customer, CustomerAction
from kefu.domain.erasure import erasure_id
from kefu.domain.errors import ActionNotAllowed
from kefu.domain.thread import EntryKind
from kefu.domain.ticket import Ticket
from kefu.domain.ticket_lifecycle import TicketAction
from kefu.projections.listing import ListQuery
from kefu.settings import Settings
from kefu.store.database import Backend, backend_of
from kefu.store.personal_fields import ERASED
from tests.integration import test_notifications
from tests.integration.conftest import MovableClock, context
from tests.integration.test_notifications import Desk, customer, resolved_ticket
from tests.integration.test_tamper_evidence import check, raw, stream_param

# Distinctive strings, so that finding one anywhere in the database is a real finding.
NAME = "Zhen Mimi 甄秘密"
PHONE = "13912345678"
EMAIL = "zhen.mimi@example.cn"
ADDRESS = "Mimi Road 88 秘密路"
SUBJECT = "Refund for Mimi 退款秘密"
DESCRIPTION = "my card ending 4242 was charged twice"
MESSAGE = "please call me back at home tonight"
SURVEY = "the engineer Mimi liked was polite"
WECHAT_ID = "oMimi-open-id-4242"
desk = test_notifications.desk  # their SMTP server, SMS gateway and clock, for one test here

PLAINTEXTS = (
    NAME, PHONE, EMAIL, ADDRESS, SUBJECT, DESCRIPTION, MESSAGE, SURVEY, WECHAT_ID, "甄秘密"
)  # fmt: skip


def quiet(_: str) -> None:
    """No progress output."""


def a_customer_with_a_case(s: Services) -> tuple[UUID, UUID]:
    register = RegisterCustomer(
        name=NAME, phones=(PHONE,), email=EMAIL, address=ADDRESS, birthday=date(1988, 8, 8)
    )
    customer = s.customers.register(register, context()).answer.id
    survey = RecordSurvey(answered_on=date(2026, 3, 1), rating=4, comments=SURVEY)
    s.customers.act(customer, CustomerAction.SURVEYS, survey, context())
    chat_ids = SetChannelIds(wechat=(WECHAT_ID,))
    s.customers.act(customer, CustomerAction.CHANNEL_IDS, chat_ids, context())
    opened = OpenTicket(
        channel=Channel.EMAIL,
        category="billing",
        subject=SUBJECT,
        description=DESCRIPTION,
        customer_id=customer,
    )
    ticket = s.tickets.open(opened, context()).answer.id
    entry = PostEntry(kind=EntryKind.CUSTOMER_MESSAGE, body=MESSAGE, address=EMAIL)
    s.threads.post(Ticket, ticket, entry, context())
    s.app.take_snapshot(ticket)
    return customer, ticket


def everything_stored(s: Services) -> str:
    """Every row of every table of the database, as text (what a stolen copy would show)."""
    postgres = backend_of(s.app.database_url) is Backend.POSTGRES
    listing = (
        "SELECT table_name AS name FROM information_schema.tables "
        "WHERE table_schema = current_schema()"
        if postgres
        else "SELECT name FROM sqlite_master WHERE type = 'table'"
    )
    datastore: Any = s.app.recorder.datastore  # type: ignore[attr-defined]
    text = []
    with datastore.transaction(commit=False) as cursor:
        cursor.execute(listing)
        for name in [row["name"] for row in cursor.fetchall()]:
            cursor.execute(f'SELECT * FROM "{name}"')
            for found in cursor.fetchall():
                for value in dict(found).values():
                    data = bytes(value) if isinstance(value, bytes | memoryview) else None
                    text.append(data.decode("utf-8", "replace") if data else str(value))
    return "\n".join(text)


def leaked(text: str) -> list[str]:
    return [p for p in PLAINTEXTS if p in text]


def test_an_erased_customer_leaves_no_plaintext_on_any_read_path(
    services: Services, tmp_path: Path
) -> None:
    s = services
    customer, ticket = a_customer_with_a_case(s)
    runner = s.projection_runner()
    runner.catch_up()
    assert s.read_models.customers.get(customer).name == NAME  # type: ignore[union-attr]
    stored = "\n".join(
        e.state.decode("utf-8", "replace") for e in s.app.recorder.select_events(ticket)
    )
    assert leaked(stored) == []  # the log itself never held the plaintext
    assert set(leaked(everything_stored(s))) == set(PLAINTEXTS)  # the views and snapshot do

    erase = EraseCustomer(reason="PIPL erasure request", request_ref="REQ-2026-001")
    s.privacy.erase(customer, erase, context(actor="admin"))
    later = PostEntry(kind=EntryKind.INTERNAL_NOTE, body="called after the erasure")
    s.threads.post(Ticket, ticket, later, context())  # after the erasure, in the same batch
    runner.catch_up()

    views = s.read_models
    file = views.customers.get(customer)
    assert file is not None and (file.status, file.name, file.phones) == ("erased", ERASED, ())
    case = views.tickets.get(ticket)
    assert case is not None and (case.subject, case.description) == (ERASED, ERASED)
    assert case.customer_id == str(customer) and case.channel == "email"  # the facts remain
    entries, _ = views.threads.thread(ticket, 10, None)
    assert [e.body for e in entries] == [ERASED, "called after the erasure"]  # a new key
    timeline, _ = views.timeline.for_customers([str(customer)], ListQuery(order_by="at"))
    assert timeline and leaked(msgspec.json.encode(timeline).decode()) == []
    for record in (customer, ticket):
        history = stream_events(s.app, record, None, None)
        assert leaked(msgspec.json.encode(history).decode()) == []
    then = state_at(s.app, ticket, None, 2)
    assert then["state"]["subject"] == ERASED
    export = personal_data(s.app, customer, datetime.now(UTC))
    assert {r["id"] for r in export["records"]} == {customer, ticket}
    assert leaked(msgspec.json.encode(export).decode()) == []

    archive = tmp_path / "customer.tar"
    export_archive(s.app, [customer, ticket], archive, "customer")
    assert leaked(archive.read_bytes().decode("utf-8", "replace")) == []
    assert state_from_archive(archive, ticket, None)["state"]["subject"] == ERASED

    assert leaked(everything_stored(s)) == []
    assert check(s).ok  # the chain covers the ciphertext: shredding keeps it whole
    # Every view rebuilt from the log into a scratch store equals the live, rewritten one.
    result = replay(s.app, s.read_models, quiet)
    assert result.ok, [str(d) for d in result.differences]
    again = RecordSurvey(answered_on=date(2026, 3, 2), rating=5)
    with pytest.raises(ActionNotAllowed):
        s.customers.act(customer, CustomerAction.SURVEYS, again, context())


def test_a_changed_ciphertext_is_caught_by_verify_and_refused_on_reading(
    services: Services,
) -> None:
    s = services
    customer, _ = a_customer_with_a_case(s)
    sid = stream_param(s.app, customer)
    (row,) = raw(
        s.app,
        "SELECT state FROM events WHERE originator_id = ? AND originator_version = 1",
        (sid,),
    )
    state = bytearray(bytes(row["state"]))
    at = state.index(b'"data":"') + 20  # a byte inside the ciphertext's base64
    state[at] = ord("A") if state[at] != ord("A") else ord("B")
    raw(
        s.app,
        "UPDATE events SET state = ? WHERE originator_id = ? AND originator_version = 1",
        (bytes(state), sid),
    )

    findings = check(s).findings
    assert [(f.kind, f.version) for f in findings] == [(Tamper.MODIFIED, 1)]
    with pytest.raises(Exception, match="deserialise"):
        s.app.load(Customer, customer)


def test_retention_erases_a_closed_ticket_once_its_period_is_over_and_records_it(
    database_url: str, tmp_path: Path
) -> None:
    rules = tmp_path / "retention.json"
    rules.write_text('[{"rule": "closed-tickets", "kind": "ticket", "keep": "30d"}]')
    clock = MovableClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    s = build_services(Settings(database_url=database_url, retention_file=str(rules)), clock)
    try:
        opened = OpenTicket(channel=Channel.PHONE, category="billing", subject=SUBJECT)
        closed, still_open = (s.tickets.open(opened, context()).answer.id for _ in range(2))
        steps = (
            (TicketAction.REVIEW, ReviewTicket()),
            (TicketAction.DISPATCH, DispatchTicket(department="billing")),
            (TicketAction.START, StartTicket()),
            (TicketAction.RESOLVE, ResolveTicket(resolution="refunded", code="refund")),
            (TicketAction.CLOSE, CloseTicket()),
        )
        for action, command in steps:
            s.tickets.act(closed, action, command, context())
        runner = s.projection_runner()
        runner.catch_up()
        assert s.retention.catch_up() == 0  # closed today: kept

        clock.now += timedelta(days=31)
        assert s.retention.catch_up() == 1
        assert s.retention.catch_up() == 0  # at most one sweep an hour
        clock.now += timedelta(hours=2)
        assert s.retention.catch_up() == 0  # erased once
        runner.catch_up()

        assert s.read_models.tickets.get(closed).subject == ERASED  # type: ignore[union-attr]
        assert s.read_models.tickets.get(still_open).subject == SUBJECT  # type: ignore[union-attr]
        (erasure,) = stream_events(s.app, erasure_id("closed-tickets", closed), None, None)
        assert list(erasure["data"]["records"]) == [str(closed)]
        assert check(s).ok
    finally:
        s.close()


def test_a_message_queued_for_a_customer_who_is_then_erased_is_cancelled_not_sent(
    desk: Desk,
) -> None:
    hook = RegisterWebhook(url="https://hooks.example.cn/kefu", aggregate_kinds=("ticket",))
    desk.services.webhooks.register(hook, context(actor="root"))
    cid = customer(desk, phones=("13900000002",), birthday=date(1990, 5, 6))
    resolved_ticket(desk, cid)
    outbox = desk.services.outbox_service()
    assert outbox.notifier is not None
    outbox.follower.catch_up()
    outbox.notifier.catch_up()  # the resolution's text message is queued, not sent yet
    outbox.worker.close()

    erase = EraseCustomer(reason="PIPL erasure request", request_ref="REQ-9")
    desk.services.privacy.erase(cid, erase, context(actor="admin"))
    desk.deliver()

    assert desk.gateway.received == []
    [record] = desk.messages(rule="ticket_resolved")
    assert record["status"] == "cancelled"
    # The outbox's copies are rewritten too: the address, the birthday, the webhook payloads.
    outbox.follower.catch_up()
    kept = everything_stored(desk.services)
    assert [p for p in ("13900000002", "洗衣机不转", "05-06") if p in kept] == []
    assert (
        record["address"] == ERASED or desk.messages(rule="ticket_resolved")[0]["address"] == ERASED
    )
