"""Which writes of a batch may commit: the per-command checks, made once under the write lock.

The recorder reads, in one go and while it holds the events table's write lock, what the
batch's writes could collide with: events already stored at their versions, idempotency keys
already answered, tracking positions already recorded. Each write is then checked against
that state plus the writes accepted before it in the same batch, exactly as the database's
unique constraints would check it if the writes were committed one after another. A refused
write fails alone with the error it would have met on its own; the others commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from kefu.store.chain import GENESIS, stream_id_bytes
from kefu.store.group_commit import Write
from kefu.store.idempotency import StoredAnswer

EventKey = tuple[str, int]
AnswerKey = tuple[str, str]


class AnswerExists(IntegrityError):
    """The write's idempotency key was used already: nothing was written, and the first
    answer to that key comes with the refusal (no second round trip to look it up)."""

    def __init__(self, answer: StoredAnswer) -> None:
        super().__init__("this idempotency key has an answer already")
        self.answer = answer


def event_key(originator_id: UUID | str, version: int) -> EventKey:
    return stream_id_bytes(originator_id).decode(), version


def answer_key(write: Write) -> AnswerKey | None:
    record = write.idempotency
    return None if record is None else (record.scope, record.key)


@dataclass
class StoreState:
    """What the batch's writes touch, as stored when the write lock was taken."""

    existing: set[EventKey] = field(default_factory=set)
    stream_hashes: dict[EventKey, bytes] = field(default_factory=dict)
    answers: dict[AnswerKey, StoredAnswer] = field(default_factory=dict)
    tracked: dict[str, int] = field(default_factory=dict)
    log_head: bytes = GENESIS
    chain_empty: bool = True
    key_id: str | None = None  # the key of the store's current chain segment (None: unkeyed)

    def previous_stream_hash(self, originator_id: UUID | str, version: int) -> bytes:
        return self.stream_hashes.get(event_key(originator_id, version), GENESIS)


@dataclass
class BatchPlan:
    """The writes to insert (in order), and the outcome of every other write."""

    accepted: list[Write] = field(default_factory=list)
    refused: list[tuple[Write, IntegrityError]] = field(default_factory=list)
    repeats: list[tuple[Write, Write]] = field(default_factory=list)

    def deliver(self, positions: list[int]) -> None:
        """After COMMIT: each accepted write gets its positions, every other its refusal."""
        start = 0
        for write in self.accepted:
            write.succeed(positions[start : start + len(write.events)])
            start += len(write.events)
        for write, error in self.refused:
            write.fail(error)
        for write, original in self.repeats:
            write.fail(AnswerExists(_answer_of(original)))


def plan_batch(writes: list[Write], state: StoreState) -> BatchPlan:
    """Accepts writes in arrival order, each against the state and the writes before it."""
    plan = BatchPlan()
    claimed = set(state.existing)
    keyed: dict[AnswerKey, Write] = {}
    tracked = dict(state.tracked)
    for write in writes:
        key = answer_key(write)
        if key is not None and key in state.answers:
            plan.refused.append((write, AnswerExists(state.answers[key])))
        elif key is not None and key in keyed:
            plan.repeats.append((write, keyed[key]))
        elif (error := _collision(write, claimed, tracked)) is not None:
            plan.refused.append((write, error))
        else:
            plan.accepted.append(write)
            claimed.update(event_key(e.originator_id, e.originator_version) for e in write.events)
            if key is not None:
                keyed[key] = write
            if write.tracking is not None:
                tracked[write.tracking.application_name] = write.tracking.notification_id
    return plan


def _collision(
    write: Write, claimed: set[EventKey], tracked: dict[str, int]
) -> IntegrityError | None:
    keys = [event_key(e.originator_id, e.originator_version) for e in write.events]
    if len(set(keys)) < len(keys) or not claimed.isdisjoint(keys):
        return IntegrityError("an event at this version is stored already (a concurrent change)")
    tracking = write.tracking
    if tracking is not None:
        last = tracked.get(tracking.application_name)
        if last is not None and last >= tracking.notification_id:
            return IntegrityError(
                f"{tracking.application_name} has processed position {last} already"
            )
    return None


def _answer_of(original: Write) -> StoredAnswer:
    record = original.idempotency
    assert record is not None and original.positions is not None
    wanted = event_key(record.originator_id, record.originator_version)
    positions = [
        position
        for event, position in zip(original.events, original.positions, strict=True)
        if event_key(event.originator_id, event.originator_version) == wanted
    ]
    position = positions[0] if positions else max(original.positions, default=0)
    return StoredAnswer(record.fingerprint, record.status_code, record.body, position)
