"""The msgspec mapper stores events and gives them back with the types their classes declare."""

from __future__ import annotations

import enum
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import msgspec
import pytest
from eventsourcing.application import Application
from eventsourcing.compressor import ZlibCompressor
from eventsourcing.domain import Aggregate, DomainEventProtocol, Snapshot, event
from eventsourcing.persistence import JSONTranscoder, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import get_topic
from hypothesis import given
from hypothesis import strategies as st

from kefu.domain.channels import Channel as TicketChannel
from kefu.domain.deadlines import DeadlinePolicy, Priority
from kefu.domain.metadata import EventMetadata
from kefu.domain.ticket import Ticket
from kefu.store.mapper import MsgspecMapper

BEIJING = timezone(timedelta(hours=8))
NEWFOUNDLAND = timezone(timedelta(hours=-3, minutes=-30))


class Urgency(enum.Enum):
    """How soon a case must be handled (an int-valued enum)."""

    ROUTINE = 1
    URGENT = 2


class Channel(enum.StrEnum):
    """Where a case came in (a str-valued enum)."""

    PHONE = "phone"
    WECHAT = "wechat"


@dataclass(frozen=True)
class Provenance:
    """A nested value type, as domain metadata is."""

    actor_id: UUID
    reason: str | None = None


class Case(Aggregate):
    """A test aggregate whose events carry every kind of value kefu stores."""

    @event("Opened")
    def __init__(
        self, customer_id: UUID, channel: Channel, promised_at: datetime, provenance: Provenance
    ) -> None:
        self.customer_id = customer_id
        self.channel = channel
        self.promised_at = promised_at
        self.provenance = provenance
        self.escalations: list[Any] = []

    @event("Escalated")
    def escalate(
        self,
        urgency: Urgency,
        fee: Decimal,
        due_at: datetime,
        tags: list[str],
        counts: dict[str, int],
        steps: tuple[int, ...],
        note: str | None,
    ) -> None:
        self.escalations.append((urgency, fee, due_at, tags, counts, steps, note))


class Complaint(Aggregate):
    """A test aggregate whose Rated event is at class_version 2."""

    class Rated(Aggregate.Event):
        """Version 2 added the channel; version-1 ratings all came by phone."""

        class_version = 2
        score: int
        channel: Channel

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["channel"] = Channel.PHONE

    class Noted(Aggregate.Event):
        """An event class with a defaulted field, as hand-written event classes may have."""

        text: str
        pinned: bool = False

    @event(Rated)
    def rate(self, score: int, channel: Channel) -> None:
        self.score = score
        self.channel = channel


def open_case() -> Case:
    return Case(
        customer_id=uuid4(),
        channel=Channel.WECHAT,
        promised_at=datetime(2024, 3, 1, 9, 30, tzinfo=BEIJING),
        provenance=Provenance(actor_id=uuid4(), reason="客户来电"),
    )


def escalate(case: Case, note: str | None = "升级处理", fee: str = "12.50") -> None:
    case.escalate(
        urgency=Urgency.URGENT,
        fee=Decimal(fee),
        due_at=datetime(2024, 3, 2, 17, 0, 0, 123456, tzinfo=NEWFOUNDLAND),
        tags=["投诉", "vip"],
        counts={"calls": 3, "emails": 0},
        steps=(1, 2, 3),
        note=note,
    )


def round_trip(
    mapper: MsgspecMapper, events: Iterable[DomainEventProtocol[UUID]]
) -> list[DomainEventProtocol[UUID]]:
    return [mapper.to_domain_event(mapper.to_stored_event(ev)) for ev in events]


def replay(events: Sequence[Any]) -> Any:
    aggregate = events[0].mutate(None)
    for ev in events[1:]:
        aggregate = ev.mutate(aggregate)
    return aggregate


def test_an_aggregate_replayed_from_stored_events_equals_the_original() -> None:
    case = open_case()
    escalate(case)
    escalate(case, note=None, fee="-0.001")

    replayed = replay(round_trip(MsgspecMapper(), case.collect_events()))

    assert replayed == case


def test_every_value_comes_back_as_its_declared_type() -> None:
    case = open_case()
    escalate(case)
    opened, escalated = round_trip(MsgspecMapper(), case.collect_events())

    assert isinstance(opened, Case.Opened)
    assert type(opened.originator_id) is UUID
    assert type(opened.customer_id) is UUID
    assert type(opened.channel) is Channel
    assert type(opened.provenance) is Provenance
    assert type(opened.provenance.actor_id) is UUID
    assert isinstance(escalated, Case.Escalated)
    assert type(escalated.urgency) is Urgency
    assert type(escalated.fee) is Decimal
    assert type(escalated.tags) is list
    assert type(escalated.counts) is dict
    assert type(escalated.steps) is tuple
    assert type(escalated.timestamp) is datetime


def test_times_keep_their_instant_and_their_utc_offset() -> None:
    case = open_case()
    escalate(case)
    opened, escalated = round_trip(MsgspecMapper(), case.collect_events())

    assert isinstance(opened, Case.Opened)
    assert isinstance(escalated, Case.Escalated)
    assert opened.promised_at.utcoffset() == timedelta(hours=8)
    assert escalated.due_at == datetime(2024, 3, 2, 17, 0, 0, 123456, tzinfo=NEWFOUNDLAND)
    assert escalated.due_at.utcoffset() == timedelta(hours=-3, minutes=-30)


def test_a_zoneinfo_time_comes_back_as_the_same_instant_at_a_fixed_offset() -> None:
    shanghai = datetime(2024, 3, 1, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    case = Case(uuid4(), Channel.PHONE, shanghai, Provenance(uuid4()))
    (opened,) = round_trip(MsgspecMapper(), case.collect_events())

    assert isinstance(opened, Case.Opened)
    assert opened.promised_at == shanghai
    assert opened.promised_at.utcoffset() == timedelta(hours=8)


def test_decimals_are_stored_as_exact_strings() -> None:
    case = open_case()
    escalate(case, fee="0.10")
    stored = MsgspecMapper().to_stored_event(case.collect_events()[1])

    assert b'"fee":"0.10"' in stored.state
    assert b"originator_id" not in stored.state


# Lone surrogates cannot be UTF-8 encoded by any mapper, so only encodable text is drawn.
text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"), st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
    )
)
# msgspec writes RFC 3339 offsets, which have no seconds: offsets are whole minutes.
fixed_offsets = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
aware_datetimes = st.datetimes(timezones=fixed_offsets)
finite_decimals = st.decimals(allow_nan=False, allow_infinity=False)


@given(
    urgency=st.sampled_from(Urgency),
    fee=finite_decimals,
    due_at=aware_datetimes,
    tags=st.lists(text, max_size=5),
    counts=st.dictionaries(text, st.integers(), max_size=5),
    steps=st.tuples(st.integers()) | st.tuples(st.integers(), st.integers()) | st.just(()),
    note=st.none() | text,
)
def test_any_escalation_payload_survives_the_round_trip(
    urgency: Urgency,
    fee: Decimal,
    due_at: datetime,
    tags: list[str],
    counts: dict[str, int],
    steps: tuple[int, ...],
    note: str | None,
) -> None:
    case = open_case()
    case.escalate(urgency, fee, due_at, tags, counts, steps, note)
    original = case.collect_events()[1]

    (decoded,) = round_trip(MsgspecMapper(), [original])

    assert decoded == original
    assert isinstance(decoded, Case.Escalated)
    assert str(decoded.fee) == str(fee)
    assert decoded.due_at.utcoffset() == due_at.utcoffset()
    assert type(decoded.steps) is tuple


def stored_opened_event(state: bytes) -> StoredEvent:
    return StoredEvent(
        originator_id=uuid4(), originator_version=1, topic=get_topic(Case.Opened), state=state
    )


@pytest.mark.parametrize(
    "state",
    [b"\x00\xffnot json", b'{"channel": "phone"', b"[]"],
    ids=["garbage", "truncated", "not-an-object"],
)
def test_corrupt_stored_state_raises_a_mapper_deserialisation_error(state: bytes) -> None:
    with pytest.raises(MapperDeserialisationError, match="Failed to deserialise state"):
        MsgspecMapper().to_domain_event(stored_opened_event(state))


def test_state_that_breaks_the_declared_types_raises_a_mapper_deserialisation_error() -> None:
    case = open_case()
    stored = MsgspecMapper().to_stored_event(case.collect_events()[0])
    state = stored.state.replace(b'"channel":"wechat"', b'"channel":"fax"')

    with pytest.raises(MapperDeserialisationError, match=r"topic '.*Case\.Opened'.*channel"):
        MsgspecMapper().to_domain_event(stored_opened_event(state))


def test_a_stored_id_read_back_as_text_becomes_a_uuid_again() -> None:
    stored = MsgspecMapper().to_stored_event(open_case().collect_events()[0])
    as_text = StoredEvent(
        originator_id=str(stored.originator_id),
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=stored.state,
    )

    opened = MsgspecMapper().to_domain_event(as_text)

    assert opened.originator_id == stored.originator_id
    assert type(opened.originator_id) is UUID


def test_a_version_1_event_is_upcast_to_the_current_class() -> None:
    v1_state = b'{"timestamp": "2023-06-01T08:00:00+00:00", "score": 4}'
    stored = StoredEvent(
        originator_id=uuid4(),
        originator_version=2,
        topic=get_topic(Complaint.Rated),
        state=v1_state,
    )

    rated = MsgspecMapper().to_domain_event(stored)

    assert isinstance(rated, Complaint.Rated)
    assert rated.score == 4
    assert type(rated.channel) is Channel
    assert rated.channel is Channel.PHONE
    assert rated.timestamp == datetime(2023, 6, 1, 8, tzinfo=UTC)


def test_a_field_with_a_default_may_be_missing_from_the_stored_state() -> None:
    stored = StoredEvent(
        originator_id=uuid4(),
        originator_version=2,
        topic=get_topic(Complaint.Noted),
        state='{"timestamp": "2023-06-01T08:00:00+00:00", "text": "已回电"}'.encode(),
    )

    noted = MsgspecMapper().to_domain_event(stored)

    assert isinstance(noted, Complaint.Noted)
    assert (noted.text, noted.pinned) == ("已回电", False)


def test_a_current_version_event_records_its_class_version_and_round_trips() -> None:
    complaint = Complaint()
    complaint.rate(5, Channel.WECHAT)
    rated = complaint.collect_events()[1]
    mapper = MsgspecMapper()

    stored = mapper.to_stored_event(rated)

    assert msgspec.json.decode(stored.state)["class_version"] == 2
    assert mapper.to_domain_event(stored) == rated


def test_the_mapper_compresses_with_eventsourcings_zlib_compressor() -> None:
    case = open_case()
    escalate(case)
    events = case.collect_events()
    mapper = MsgspecMapper(compressor=ZlibCompressor())

    stored = [mapper.to_stored_event(ev) for ev in events]
    replayed = replay([mapper.to_domain_event(s) for s in stored])

    assert zlib.decompress(stored[1].state) == MsgspecMapper().to_stored_event(events[1]).state
    assert replayed == case


def test_a_snapshot_round_trips_with_its_state_typed_by_the_aggregates_annotations() -> None:
    case = open_case()
    snapshot = Snapshot.take(case)

    decoded = MsgspecMapper().to_domain_event(MsgspecMapper().to_stored_event(snapshot))

    assert isinstance(decoded, Snapshot)
    assert (decoded.originator_id, decoded.originator_version) == (case.id, case.version)
    assert decoded.topic == snapshot.topic
    assert decoded.state["_created_on"] == case.created_on
    assert set(decoded.state) == set(snapshot.state)


def test_a_ticket_rebuilt_from_its_snapshot_equals_the_ticket() -> None:
    ticket = busy_ticket()
    snapshot = Snapshot.take(ticket)

    decoded = MsgspecMapper().to_domain_event(MsgspecMapper().to_stored_event(snapshot))
    rebuilt = decoded.mutate(None)  # type: ignore[attr-defined]

    assert rebuilt == ticket
    assert vars(rebuilt) == vars(ticket)


def test_a_transcoder_given_by_eventsourcings_factory_is_accepted_and_unused() -> None:
    case = open_case()
    mapper = MsgspecMapper(transcoder=JSONTranscoder())

    (opened,) = round_trip(mapper, case.collect_events())

    assert isinstance(opened, Case.Opened)
    assert type(opened.provenance) is Provenance


def test_an_application_configured_with_the_mapper_topic_saves_and_reloads() -> None:
    app: Application[UUID] = Application(
        env={"MAPPER_TOPIC": get_topic(MsgspecMapper), "COMPRESSOR_TOPIC": "zlib"}
    )
    case = open_case()
    escalate(case)
    app.save(case)

    assert isinstance(app.mapper, MsgspecMapper)
    assert app.repository.get(case.id) == case


def busy_ticket() -> Ticket:
    """A ticket with every attribute set to a non-default value."""
    meta = EventMetadata("desk", "service", uuid4(), uuid4(), uuid4(), "api")
    at = datetime(2030, 1, 31, 23, 30, tzinfo=timezone(timedelta(hours=8)))
    ticket = Ticket.open(
        channel=TicketChannel.WECHAT,
        customer_id="c-1",
        category="billing",
        priority=Priority.URGENT,
        subject="s",
        description="d",
        policy=DeadlinePolicy(),
        meta=meta,
        at=at,
    )
    ticket.dispatch(department="finance", agent_id="a-1", meta=meta, at=at)
    ticket.urge(urged_by="customer", reason="r", meta=meta, at=at)
    later = at + timedelta(hours=1)
    ticket.open_node(
        department="warehouse", owner_id="a-2", deliverable="exchange", warn_at=later,
        due_at=later, meta=meta, at=at,
    )  # fmt: skip
    ticket.escalate_node(department="warehouse", reason="late", meta=meta, at=later)
    ticket.complete_node(department="warehouse", note="sent", meta=meta, at=later)
    ticket.resolve(resolution="done", code="OK", meta=meta, at=at)
    ticket.rate(score=4, comment="", meta=meta, at=at)
    ticket.collect_events()
    return ticket
