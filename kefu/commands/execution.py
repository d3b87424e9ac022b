"""Runs a command once: metadata and time in, events and idempotency record out, atomically."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from kefu.application import AnsweredBefore, ConcurrentChange, ServiceDesk
from kefu.commands.context import Context
from kefu.commands.errors import IdempotencyKeyReused
from kefu.domain.metadata import EventMetadata
from kefu.store.idempotency import IdempotencyRecord, StoredAnswer

Clock = Callable[[], datetime]
Change = Callable[[EventMetadata, datetime], Aggregate]
Changes = Callable[[EventMetadata, datetime], Sequence[Aggregate]]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Answer(msgspec.Struct, frozen=True):
    """What every accepted command answers: the record, its new version and log position."""

    id: UUID
    version: int
    status: str
    position: int


class _AnswerBody(msgspec.Struct, frozen=True):
    id: UUID
    version: int
    status: str


@dataclass(frozen=True)
class Outcome:
    """An answer and its HTTP status; `replayed` when it is a retry's stored first answer."""

    status_code: int
    answer: Answer
    replayed: bool = False


class CommandRunner:
    """Applies idempotency and metadata once, for every command of every aggregate."""

    def __init__(self, app: ServiceDesk, clock: Clock = utc_now) -> None:
        self.app = app
        self.clock = clock

    def run(self, ctx: Context, status_code: int, change: Change) -> Outcome:
        return self.run_together(ctx, status_code, lambda meta, at: (change(meta, at),))

    def run_together(self, ctx: Context, status_code: int, change: Changes) -> Outcome:
        """Runs a command that changes several aggregates (a call and its agents): all are
        saved in one transaction, and the answer is about the first.

        The idempotency key is checked with the write, in the same round trip, not before:
        a retry that would write again is refused with its first answer. Only when the
        change itself fails (a retry of a command that moved the record on) is the key
        looked up on its own."""
        try:
            aggregates = change(ctx.metadata(), self.clock())
        except Exception as error:
            return self._replay_or_raise(ctx, error)
        aggregate = aggregates[0]
        body = _AnswerBody(aggregate.id, aggregate.version, str(getattr(aggregate, "status", "")))
        try:
            position = self.app.record_together(aggregates, _idempotency(ctx, status_code, body))
        except AnsweredBefore as before:
            return _replay(before.answer, ctx)
        except ConcurrentChange as error:
            return self._replay_or_raise(ctx, error)
        return Outcome(status_code, Answer(body.id, body.version, body.status, position))

    def first_answer(self, ctx: Context) -> Outcome | None:
        """The stored answer to `ctx`'s idempotency key, if it was answered before (a
        different request under that key is `IdempotencyKeyReused`): a caller that can tell
        a retry before building its change skips the work (an import run again)."""
        stored = self._stored_answer(ctx)
        return None if stored is None else _replay(stored, ctx)

    def _replay_or_raise(self, ctx: Context, error: Exception) -> Outcome:
        """The first answer if this is a keyed retry; else `error`."""
        stored = self._stored_answer(ctx)
        if stored is None:
            raise error
        return _replay(stored, ctx)

    def _stored_answer(self, ctx: Context) -> StoredAnswer | None:
        if ctx.idempotency_key is None:
            return None
        return self.app.answer_for(ctx.actor_id, ctx.idempotency_key)


def _idempotency(ctx: Context, status_code: int, body: _AnswerBody) -> IdempotencyRecord | None:
    if ctx.idempotency_key is None:
        return None
    return IdempotencyRecord(
        scope=ctx.actor_id,
        key=ctx.idempotency_key,
        fingerprint=ctx.request_fingerprint,
        status_code=status_code,
        body=msgspec.json.encode(body),
        originator_id=body.id,
        originator_version=body.version,
    )


def _replay(stored: StoredAnswer, ctx: Context) -> Outcome:
    if stored.fingerprint != ctx.request_fingerprint:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {ctx.idempotency_key!r} was already used for a different request"
        )
    body = msgspec.json.decode(stored.body, type=_AnswerBody)
    answer = Answer(body.id, body.version, body.status, stored.position)
    return Outcome(stored.status_code, answer, replayed=True)
