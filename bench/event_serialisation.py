"""Event serialisation: MsgspecMapper against eventsourcing's Mapper with a JSONTranscoder.

Run with ``python -m bench.event_serialisation [--events N] [--repeats R]``. Each repetition
maps every event to a stored event and back with both mappers, in alternating order, and
prints its figures; the summary gives the median µs per event, the ratio (JSONTranscoder
time ÷ msgspec time) and the stored bytes per event. There are no thresholds.
"""

from __future__ import annotations

import argparse
import enum
import gc
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, DomainEventProtocol, event
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    Transcoding,
    UUIDAsHex,
)

from kefu.store.mapper import MsgspecMapper

DEPARTMENTS = ("售后服务部", "技术支持部", "投诉处理中心", "billing", "logistics")
SUBJECTS = ("宽带无法连接 已重启路由器仍无效", "账单金额与套餐不符", "Parcel not delivered")
TAGS = ("vip", "repeat-caller", "投诉升级", "sla-risk", "refund", "夜间")
SHANGHAI = timezone(timedelta(hours=8))


class Priority(enum.Enum):
    """Ticket priority, as the domain's enums are: stored by value."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


@dataclass(frozen=True)
class EventMetadata:
    """Who did it and why, shaped like kefu's event metadata."""

    actor_id: str
    actor_role: str
    command_id: UUID
    correlation_id: UUID
    causation_id: UUID | None
    channel: str


class BenchTicket(Aggregate):
    """A ticket-like aggregate whose Dispatched event is the one measured."""

    @event("Opened")
    def __init__(self) -> None:
        self.dispatches = 0

    @event("Dispatched")
    def dispatch(
        self,
        department: str,
        assignee_id: str,
        priority: Priority,
        subject: str,
        response_due_at: datetime,
        resolution_due_at: datetime,
        compensation: Decimal,
        tags: list[str],
        note: str | None,
        meta: EventMetadata,
    ) -> None:
        self.dispatches += 1


class EventMetadataAsDict(Transcoding):
    """JSONTranscoder transcoding for the metadata dataclass (its UUIDs nest as uuid_hex)."""

    type = EventMetadata
    name = "event_metadata"

    def encode(self, obj: EventMetadata) -> dict[str, Any]:
        return dict(vars(obj))

    def decode(self, data: dict[str, Any]) -> EventMetadata:
        return EventMetadata(**data)


class PriorityAsValue(Transcoding):
    """JSONTranscoder transcoding for the Priority enum."""

    type = Priority
    name = "priority"

    def encode(self, obj: Priority) -> str:
        return obj.value

    def decode(self, data: str) -> Priority:
        return Priority(data)


def json_transcoder_mapper() -> Mapper[UUID]:
    transcoder = JSONTranscoder()
    for transcoding in (
        UUIDAsHex(),
        DecimalAsStr(),
        DatetimeAsISO(),
        EventMetadataAsDict(),
        PriorityAsValue(),
    ):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


def dispatch_randomly(ticket: BenchTicket, rng: random.Random) -> None:
    due = datetime(2024, 5, 1, 9, tzinfo=SHANGHAI) + timedelta(minutes=rng.randrange(10_000))
    ticket.dispatch(
        department=rng.choice(DEPARTMENTS),
        assignee_id=f"agent-{rng.randrange(500):04d}",
        priority=rng.choice(list(Priority)),
        subject=rng.choice(SUBJECTS),
        response_due_at=due,
        resolution_due_at=due + timedelta(hours=rng.choice((4, 24, 72))),
        compensation=Decimal(rng.randrange(0, 50_000)) / 100,
        tags=rng.sample(TAGS, rng.randrange(4)),
        note=rng.choice((None, "客户要求回电", "escalated by supervisor")),
        meta=random_metadata(rng),
    )


def random_metadata(rng: random.Random) -> EventMetadata:
    return EventMetadata(
        actor_id=f"agent-{rng.randrange(500):04d}",
        actor_role=rng.choice(("agent", "supervisor", "dispatcher")),
        command_id=uuid4(),
        correlation_id=uuid4(),
        causation_id=None,
        channel=rng.choice(("phone", "wechat", "web", "email")),
    )


def build_events(count: int) -> list[DomainEventProtocol[UUID]]:
    rng = random.Random(20240501)
    ticket = BenchTicket()
    for _ in range(count):
        dispatch_randomly(ticket, rng)
    return list(ticket.collect_events()[1:])


def check_round_trips(mapper: Mapper[UUID], events: Sequence[DomainEventProtocol[UUID]]) -> None:
    for original in events[:200]:
        decoded = mapper.to_domain_event(mapper.to_stored_event(original))
        if decoded != original or vars(decoded) != vars(original):
            raise SystemExit(f"{type(mapper).__name__} does not round-trip {original!r}")


def microseconds_per_event(
    mapper: Mapper[UUID], events: Sequence[DomainEventProtocol[UUID]]
) -> float:
    to_stored, to_domain = mapper.to_stored_event, mapper.to_domain_event
    gc.collect()
    start = time.perf_counter()
    for domain_event in events:
        to_domain(to_stored(domain_event))
    return (time.perf_counter() - start) / len(events) * 1e6


def stored_bytes_per_event(
    mapper: Mapper[UUID], events: Sequence[DomainEventProtocol[UUID]]
) -> float:
    return statistics.fmean(len(mapper.to_stored_event(ev).state) for ev in events)


def measure(
    mappers: dict[str, Mapper[UUID]], events: Sequence[DomainEventProtocol[UUID]], repeats: int
) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {name: [] for name in mappers}
    for repetition in range(repeats):
        order = list(mappers) if repetition % 2 == 0 else list(reversed(mappers))
        for name in order:
            timings[name].append(microseconds_per_event(mappers[name], events))
        figures = "  ".join(f"{name} {timings[name][-1]:7.2f} µs/event" for name in mappers)
        print(f"repetition {repetition + 1}/{repeats} ({' then '.join(order)}): {figures}")
    return timings


def report(
    timings: dict[str, list[float]],
    mappers: dict[str, Mapper[UUID]],
    events: Sequence[DomainEventProtocol[UUID]],
) -> None:
    medians = {name: statistics.median(values) for name, values in timings.items()}
    print("\nmedian µs per event (to_stored_event + to_domain_event):")
    for name, median in medians.items():
        size = stored_bytes_per_event(mappers[name], events)
        print(f"  {name:<16} {median:8.2f} µs/event  {size:7.1f} stored bytes/event")
    ratio = medians["json-transcoder"] / medians["msgspec"]
    print(f"ratio (JSONTranscoder time ÷ msgspec time): {ratio:.2f}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=20_000, help="events per repetition")
    parser.add_argument("--repeats", type=int, default=7, help="interleaved repetitions")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    print(f"building {args.events} Dispatched events ...")
    events = build_events(args.events)
    mappers: dict[str, Mapper[UUID]] = {
        "msgspec": MsgspecMapper(),
        "json-transcoder": json_transcoder_mapper(),
    }
    for mapper in mappers.values():
        check_round_trips(mapper, events)
    print(f"both mappers round-trip; started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
    report(measure(mappers, events, args.repeats), mappers, events)


if __name__ == "__main__":
    main()
