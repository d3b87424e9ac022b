"""Group commit: writes that arrive together in a process are committed together.

Callers hand a `Write` to `GroupCommit.submit` and block until it is durable or refused.
The first caller to find no commit under way becomes the leader: it takes every write waiting
(its own included), commits them as one batch, wakes each caller with its own outcome and hands
leadership to the next waiting caller, if any. While a batch commits, new writes queue up, so
batches grow with load by themselves and a lone write commits at once, with no timer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from eventsourcing.persistence import StoredEvent, Tracking

from kefu import metrics
from kefu.store.idempotency import IdempotencyRecord

MAX_BATCH = 256


@dataclass(eq=False)
class Write:
    """One caller's events (with its idempotency record and tracking), and its outcome."""

    events: Sequence[StoredEvent]
    idempotency: IdempotencyRecord | None = None
    tracking: Tracking | None = None
    positions: list[int] | None = None
    error: BaseException | None = None
    done: bool = False
    # Held while the caller sleeps; released to wake it (with its outcome, or to lead).
    # A bare lock: an Event costs fifty times as much to make, once per command.
    _wake: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def succeed(self, positions: list[int]) -> None:
        self.positions, self.done = positions, True
        self.wake()

    def fail(self, error: BaseException) -> None:
        self.error, self.done = error, True
        self.wake()

    def wake(self) -> None:
        if self._wake.locked():
            self._wake.release()

    def sleep(self) -> None:
        self._wake.acquire()

    def outcome(self) -> list[int]:
        if self.error is not None:
            raise self.error
        assert self.positions is not None
        return self.positions


CommitBatch = Callable[[list[Write]], None]


class GroupCommit:
    """A leader/follower queue in front of one backend's batch commit.

    `commit_batch(writes)` must give every write its outcome (`succeed` or `fail`); a write it
    leaves without one fails with the exception it raised.
    """

    def __init__(self, commit_batch: CommitBatch, max_batch: int = MAX_BATCH) -> None:
        self._commit_batch = commit_batch
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._pending: list[Write] = []
        self._leading = False
        self.batches = self.writes = 0  # committed so far: the mean batch size, for benchmarks

    def submit(self, write: Write) -> list[int]:
        """Blocks until `write` is committed (its positions) or refused (raises its error)."""
        with self._lock:
            follow = self._leading
            if follow:
                write._wake.acquire()  # taken before it is queued: no wake-up can be missed
            self._pending.append(write)
            self._leading = True
        if follow:
            write.sleep()
        while not write.done:
            self._lead(write)
        return write.outcome()

    def _lead(self, own: Write) -> None:
        with self._lock:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            self.batches, self.writes = self.batches + 1, self.writes + len(batch)
        metrics.record_group_commit(len(batch))
        try:
            self._commit_batch(batch)
        except Exception as error:
            _fail_undone(batch, error)
        except BaseException as error:  # interrupted: nobody may wait for ever
            _fail_undone(batch, error)
            raise
        finally:
            _fail_undone(batch, RuntimeError("the batch commit gave this write no outcome"))
            self._hand_over(own)

    def _hand_over(self, own: Write) -> None:
        with self._lock:
            if not own.done:
                return  # its write did not fit in that batch: it leads the next one too
            if self._pending:
                self._pending[0].wake()  # not done: it wakes up as the next leader
            else:
                self._leading = False


def _fail_undone(batch: list[Write], error: BaseException) -> None:
    for write in batch:
        if not write.done:
            write.fail(error)
