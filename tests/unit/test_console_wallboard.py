"""The wallboard's shared computation and its streams, in memory (a fake reader of the views)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from kefu.console import streams
from kefu.console.streams import StreamSlots, WallboardStream
from kefu.console.wallboard import Wallboard
from kefu.projections.signals import PositionPoller

WAIT = 20.0  # a bound for a loaded machine; every wait returns as soon as its condition holds


class FakeReader:
    """Views whose positions a test moves; counts the snapshots read."""

    def __init__(self) -> None:
        self.position = 1
        self.snapshots = 0

    def positions(self) -> dict[str, int]:
        return {"call_views": self.position}

    def snapshot(self, now: datetime) -> dict[str, Any]:
        self.snapshots += 1
        return {"as_of": now, "position": self.position}


def board(reader: FakeReader) -> Wallboard:
    clock = lambda: datetime(2030, 3, 4, tzinfo=UTC)  # noqa: E731
    return Wallboard(reader, clock, PositionPoller())  # type: ignore[arg-type]


def test_many_viewers_share_one_snapshot_and_a_change_is_read_once() -> None:
    reader = FakeReader()
    wallboard = board(reader)
    first, body = wallboard.latest(WAIT)
    viewers = [threading.Thread(target=wallboard.latest, args=(WAIT,)) for _ in range(20)]
    for viewer in viewers:
        viewer.start()
    for viewer in viewers:
        viewer.join()
    assert (reader.snapshots, body) == (1, b'{"as_of":"2030-03-04T00:00:00Z","position":1}')

    reader.position = 2
    frames = [wallboard.next_after(first, WAIT) for _ in range(5)]

    assert {f for f in frames if f is not None} == {
        (2, b'{"as_of":"2030-03-04T00:00:00Z","position":2}')
    }
    assert reader.snapshots == 2


def test_a_viewer_that_sees_no_change_is_told_so_after_its_timeout() -> None:
    wallboard = board(FakeReader())
    generation, _ = wallboard.latest(WAIT)
    assert wallboard.next_after(generation, 0.05) is None


def test_a_stream_gives_its_slot_back_once_even_if_never_read() -> None:
    slots = StreamSlots(1)
    wallboard = board(FakeReader())
    assert slots.take()
    stream = WallboardStream(wallboard, slots, wallboard.latest(WAIT))
    stream.close()
    stream.close()
    assert slots.take()
    assert not slots.take()


def test_a_stream_starts_with_the_snapshot_and_ends_when_the_worker_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stopping = threading.Event()
    monkeypatch.setattr(streams, "WORKER_STOPPING", stopping)
    slots = StreamSlots(1)
    wallboard = board(FakeReader())
    slots.take()
    stream = WallboardStream(wallboard, slots, wallboard.latest(WAIT), lifetime=3600)
    events = iter(stream)
    assert next(events).startswith(b"retry: 2000\nid: 1\nevent: wallboard\ndata: {")
    stopping.set()
    assert list(events) == []  # within a second of the stop
    stream.close()
    assert slots.take()
