"""The leader/follower queue: a lone write commits at once, writes that arrive during a
commit share the next one, each caller gets its own outcome, and a failure stays in its batch."""

from __future__ import annotations

import threading
import time

import pytest
from eventsourcing.persistence import StoredEvent

from kefu.store.group_commit import GroupCommit, Write

WAIT = 30.0


def write(n: int) -> Write:
    return Write([StoredEvent(f"stream-{n}", 1, "topic", b"{}")])


class GatedStore:
    """A batch commit that records each batch and can hold the first one until released."""

    def __init__(self, hold_first: bool = False) -> None:
        self.batches: list[list[Write]] = []
        self.entered, self.release = threading.Event(), threading.Event()
        if not hold_first:
            self.release.set()
        self.position = 0

    def commit(self, batch: list[Write]) -> None:
        self.batches.append(list(batch))
        self.entered.set()
        assert self.release.wait(WAIT)
        for item in batch:
            if item.events[0].originator_id == "stream-fails":
                item.fail(ValueError("refused alone"))
            else:
                self.position += 1
                item.succeed([self.position])


def submit_in_thread(
    group: GroupCommit, item: Write, results: dict[int, object]
) -> threading.Thread:
    def run() -> None:
        try:
            results[id(item)] = group.submit(item)
        except Exception as error:
            results[id(item)] = error

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_until(condition: object) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.001)


def test_a_lone_write_commits_at_once_in_a_batch_of_its_own() -> None:
    store = GatedStore()
    group = GroupCommit(store.commit)

    assert group.submit(write(1)) == [1]
    assert group.submit(write(2)) == [2]
    assert [len(b) for b in store.batches] == [1, 1]


def test_writes_arriving_during_a_commit_share_the_next_one() -> None:
    store = GatedStore(hold_first=True)
    group = GroupCommit(store.commit)
    results: dict[int, object] = {}
    first = write(0)
    threads = [submit_in_thread(group, first, results)]
    assert store.entered.wait(WAIT)
    waiting = [write(n) for n in range(1, 6)]
    threads += [submit_in_thread(group, item, results) for item in waiting]
    wait_until(lambda: len(group._pending) == len(waiting))

    store.release.set()
    for thread in threads:
        thread.join(WAIT)

    assert [len(b) for b in store.batches] == [1, 5]
    assert sorted(results[id(item)] for item in waiting) == [[n] for n in range(2, 7)]  # type: ignore[type-var]


def test_a_refused_write_fails_alone_and_the_rest_of_its_batch_commits() -> None:
    store = GatedStore(hold_first=True)
    group = GroupCommit(store.commit)
    results: dict[int, object] = {}
    threads = [submit_in_thread(group, write(0), results)]
    assert store.entered.wait(WAIT)
    good, bad = write(1), Write([StoredEvent("stream-fails", 1, "topic", b"{}")])
    threads += [submit_in_thread(group, item, results) for item in (good, bad)]
    wait_until(lambda: len(group._pending) == 2)

    store.release.set()
    for thread in threads:
        thread.join(WAIT)

    assert results[id(good)] == [2]
    assert isinstance(results[id(bad)], ValueError)


def test_a_commit_that_raises_fails_its_batch_and_the_next_write_still_commits() -> None:
    calls: list[int] = []

    def flaky(batch: list[Write]) -> None:
        calls.append(len(batch))
        if len(calls) == 1:
            raise ConnectionError("database gone")
        batch[0].succeed([7])

    group = GroupCommit(flaky)

    with pytest.raises(ConnectionError):
        group.submit(write(1))
    assert group.submit(write(2)) == [7]


def test_a_batch_holds_at_most_max_batch_writes() -> None:
    store = GatedStore(hold_first=True)
    group = GroupCommit(store.commit, max_batch=2)
    results: dict[int, object] = {}
    threads = [submit_in_thread(group, write(0), results)]
    assert store.entered.wait(WAIT)
    threads += [submit_in_thread(group, write(n), results) for n in range(1, 6)]
    wait_until(lambda: len(group._pending) == 5)

    store.release.set()
    for thread in threads:
        thread.join(WAIT)

    assert [len(b) for b in store.batches] == [1, 2, 2, 1]
    assert len(results) == 6 and all(isinstance(r, list) for r in results.values())
