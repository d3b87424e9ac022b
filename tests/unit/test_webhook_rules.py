"""Signatures, retry arithmetic, the kind catalogue and the subscription aggregate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from eventsourcing.utils import get_topic

from kefu.domain.backoff import Backoff
from kefu.domain.channels import Channel
from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.event_kinds import UnknownKind, is_public, topics_for
from kefu.domain.metadata import EventMetadata
from kefu.domain.signing import derive_secret, sign, verify
from kefu.domain.subscription import Subscription
from kefu.domain.thread import EntryContent, EntryKind, post_entry
from kefu.projections.envelope import encode, envelope
from kefu.projections.webhook_document import fold
from tests.unit.test_sla_clocks import opened

AT = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)
META = EventMetadata("root", "admin", uuid4(), uuid4(), None, "api")


def test_a_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    # Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac s3cret
    expected = "v1=1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940"
    signature = sign("s3cret", 1_700_000_000, b'{"a":1}')
    assert signature == expected
    assert verify("s3cret", 1_700_000_000, b'{"a":1}', signature)


@pytest.mark.parametrize(
    ("secret", "timestamp", "body"),
    [
        ("other", 1_700_000_000, b'{"a":1}'),
        ("s3cret", 1_700_000_001, b'{"a":1}'),
        ("s3cret", 1_700_000_000, b'{"a":2}'),
    ],
)
def test_a_signature_fails_for_another_secret_time_or_body(
    secret: str, timestamp: int, body: bytes
) -> None:
    signature = sign("s3cret", 1_700_000_000, b'{"a":1}')
    assert not verify(secret, timestamp, body, signature)


def test_secrets_differ_by_subscription_version_and_key() -> None:
    one = uuid4()
    secrets = {
        derive_secret(b"k", one, 1),
        derive_secret(b"k", one, 2),
        derive_secret(b"k", uuid4(), 1),
        derive_secret(b"other", one, 1),
    }
    assert len(secrets) == 4 and derive_secret(b"k", one, 1) == derive_secret(b"k", one, 1)


def test_backoff_doubles_within_its_jitter_and_stops_at_the_cap() -> None:
    backoff = Backoff(base=timedelta(seconds=2), cap=timedelta(seconds=60), jitter=0.5)
    assert backoff.delay(1, 0.0) == timedelta(seconds=1)  # half of 2 s fixed, half random
    assert backoff.delay(1, 0.999999) < timedelta(seconds=2)
    assert backoff.delay(3, 0.0) == timedelta(seconds=4)  # 8 s ceiling
    assert backoff.delay(30, 1.0) == timedelta(seconds=60)
    assert backoff.delay(10_000, 0.5) <= timedelta(seconds=60)  # no overflow


def test_backoff_gives_up_after_the_last_attempt() -> None:
    backoff = Backoff(max_attempts=3)
    assert [backoff.gives_up_after(n) for n in (1, 2, 3)] == [False, False, True]


def test_kinds_resolve_to_topics_and_unknown_ones_are_named() -> None:
    topics = topics_for(["Complaint.Registered"], ["visit"])
    assert "kefu.domain.complaint:Complaint.Registered" in topics
    assert all(is_public(t) for t in topics) and any("Visit.Done" in t for t in topics)
    with pytest.raises(UnknownKind, match=r"Ticket\.Exploded"):
        topics_for(["Ticket.Exploded"], [])
    assert not is_public("kefu.domain.subscription:Subscription.Registered")


def test_thread_entries_go_out_as_their_aggregates_events_notes_included() -> None:
    ticket_topics = topics_for([], ["ticket"])
    assert "kefu.domain.thread:TicketEntryPosted" in ticket_topics
    assert topics_for(["Complaint.EntryPosted"], []) == ["kefu.domain.thread:ComplaintEntryPosted"]
    ticket = opened()
    note = EntryContent(
        kind=EntryKind.INTERNAL_NOTE, author="a-1", channel=Channel.PHONE, body="客户很着急"
    )
    post_entry(ticket, note, meta=META, at=AT)
    posted = ticket.collect_events()[-1]
    body = envelope(posted, get_topic(type(posted)), 7)
    assert (body["kind"], body["aggregate_kind"]) == ("Ticket.EntryPosted", "ticket")
    assert body["payload"]["entry"]["kind"] == "internal_note"  # the subscriber decides
    assert "客户很着急".encode() in encode(body)


def subscription() -> Subscription:
    return Subscription.register(
        url="https://crm.example.com/hooks",
        event_kinds=("Complaint.Registered",),
        aggregate_kinds=(),
        description="",
        meta=META,
        at=AT,
    )


@pytest.mark.parametrize(
    ("url", "kinds"),
    [
        ("ftp://x.example/h", ("ticket",)),
        ("https://u:p@x.example/h", ("ticket",)),
        ("https:///nohost", ("ticket",)),
        ("https://x.example/h", ()),
    ],
)
def test_a_subscription_needs_a_plain_http_url_and_a_kind(url: str, kinds: tuple[str, ...]) -> None:
    with pytest.raises(RuleViolated):
        Subscription.register(
            url=url, event_kinds=(), aggregate_kinds=kinds, description="", meta=META, at=AT
        )


def test_a_subscription_pauses_resumes_and_rotates_and_its_view_follows() -> None:
    webhook = subscription()
    webhook.pause(reason="maintenance", meta=META, at=AT)
    with pytest.raises(ActionNotAllowed):
        webhook.pause(reason="again", meta=META, at=AT)
    webhook.resume(meta=META, at=AT)
    webhook.rotate_secret(meta=META, at=AT)
    view = None
    for position, event in enumerate(webhook.collect_events(), start=1):
        view = fold(view, event, position)
    assert view is not None and view.status == "active" and view.secret_version == 2
    assert view.version == 4 and view.paused_reason is None
