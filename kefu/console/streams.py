"""The wallboard's server-sent events: a bounded number of streams per worker process.

A stream holds one of gunicorn's worker threads (gthread) for as long as it is open, so a worker
serves at most `max_streams` of them (default 3 of its 8 threads) and answers 503 with
Retry-After beyond that, leaving the other threads to the API. A stream ends by itself after
`lifetime` seconds (the browser reconnects at once), when the client has gone (its next write,
at most `heartbeat` seconds later, fails), and within a second of the worker being told to
stop, so a graceful restart is not held up by open screens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator

from kefu.console.wallboard import Frame, Wallboard

MAX_STREAMS = 3  # per worker process, of gunicorn's 8 threads by default
LIFETIME_SECONDS = 300.0
HEARTBEAT_SECONDS = 15.0
RECONNECT_MILLISECONDS = 2000

# Set by kefu's gunicorn worker when it is told to stop (kefu/http/worker.py).
WORKER_STOPPING = threading.Event()


class StreamSlots:
    """How many streams this process may still open."""

    def __init__(self, max_streams: int = MAX_STREAMS) -> None:
        self.max_streams = max_streams
        self._free = threading.BoundedSemaphore(max_streams)

    def take(self) -> bool:
        return self._free.acquire(blocking=False)

    def give_back(self) -> None:
        self._free.release()


class WallboardStream:
    """The response body of one stream: `wallboard` events, each the whole snapshot, from
    `first` (read before the slot was taken).

    The server calls `close()` whether or not it iterated, which gives the slot back once.
    """

    def __init__(
        self,
        wallboard: Wallboard,
        slots: StreamSlots,
        first: Frame,
        lifetime: float = LIFETIME_SECONDS,
        heartbeat: float = HEARTBEAT_SECONDS,
    ) -> None:
        self.wallboard = wallboard
        self.slots = slots
        self.lifetime = lifetime
        self.heartbeat = heartbeat
        self._open = True
        self._frames = self._events(first)

    def __iter__(self) -> Iterator[bytes]:
        return self._frames

    def close(self) -> None:
        self._frames.close()
        if self._open:
            self._open = False
            self.slots.give_back()

    def _events(self, first: Frame) -> Generator[bytes, None, None]:
        deadline = time.monotonic() + self.lifetime
        generation, body = first
        yield f"retry: {RECONNECT_MILLISECONDS}\n".encode() + _event(generation, body)
        quiet_since = time.monotonic()
        while not WORKER_STOPPING.is_set() and time.monotonic() < deadline:
            frame = self.wallboard.next_after(generation, 1.0)
            if frame is not None:
                generation, body = frame
                yield _event(generation, body)
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= self.heartbeat:
                yield b": still here\n\n"  # a comment: finds a client that has gone
                quiet_since = time.monotonic()


def _event(generation: int, body: bytes) -> bytes:
    return f"id: {generation}\nevent: wallboard\ndata: ".encode() + body + b"\n\n"
