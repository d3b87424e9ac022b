"""The access log's buffer: reads are recorded in memory, written a batch at a time.

A read only appends to this process's buffer (a lock and a list append: nothing on the
database on the request's path). A thread of the process writes the buffer as one sealed
batch every `FLUSH_SECONDS`, or at once when `FLUSH_ENTRIES` are waiting; `close()` (and the
interpreter's exit) writes what is left. A process that dies without exiting (SIGKILL, power
loss) loses the reads of its last second at most. A batch that cannot be written (the database
is down) stays in the buffer and is tried again at the next tick; beyond `MAX_BUFFERED` entries
the oldest are dropped and counted in the log's warning, so reads never wait on the log.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Callable, Sequence

from kefu.audit.access_tables import AccessEntry, AccessLogStore
from kefu.store.chain_keys import Keyring

FLUSH_SECONDS = 1.0
FLUSH_ENTRIES = 500
MAX_BUFFERED = 100_000

log = logging.getLogger("kefu.access")


class AccessRecorder:
    """One per process: `record()` buffers, a background thread flushes."""

    def __init__(self, open_store: Callable[[], AccessLogStore], keyring: Keyring) -> None:
        self._open_store = open_store
        self._store: AccessLogStore | None = None
        self.keyring = keyring
        self._lock = threading.Lock()
        self._buffer: list[AccessEntry] = []
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._owner_pid: int | None = None  # the process whose thread flushes (gunicorn forks)
        self._thread: threading.Thread | None = None
        self._dropped = 0

    @property
    def store(self) -> AccessLogStore:
        """The tables, opened at first use (a process that records nothing opens nothing)."""
        if self._store is None:
            self._store = self._open_store()
        return self._store

    def create_tables(self) -> None:
        """Opens the tables now (`kefu db migrate`, `kefu serve` before its workers start)."""
        _ = self.store

    def record(self, entries: Sequence[AccessEntry]) -> None:
        if not entries:
            return
        with self._lock:
            if self._owner_pid != os.getpid():
                self._start_flushing()
            self._buffer.extend(entries)
            excess = len(self._buffer) - MAX_BUFFERED
            if excess > 0:
                del self._buffer[:excess]
                self._dropped += excess
            if len(self._buffer) >= FLUSH_ENTRIES:
                self._wake.set()

    def flush(self) -> None:
        """Writes what is buffered now, as one batch (no-op when empty)."""
        with self._lock:
            entries, self._buffer = self._buffer, []
            dropped, self._dropped = self._dropped, 0
        if dropped:
            log.warning("access log: %d reads dropped while the database was unavailable", dropped)
        if not entries:
            return
        try:
            self.store.append(entries, self.keyring)
        except Exception:
            with self._lock:  # keep them for the next tick, in order
                self._buffer[:0] = entries
            raise

    def close(self) -> None:
        self._stopped.set()
        self._wake.set()
        if self._thread is not None and self._owner_pid == os.getpid():
            self._thread.join()
        self.flush()
        if self._store is not None:
            self._store.close()
            self._store = None

    def _start_flushing(self) -> None:
        self._owner_pid = os.getpid()
        self._stopped.clear()
        self._thread = threading.Thread(target=self._run, name="kefu-access-log", daemon=True)
        self._thread.start()
        atexit.register(self._flush_quietly)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(FLUSH_SECONDS)
            self._wake.clear()
            self._flush_quietly()

    def _flush_quietly(self) -> None:
        try:
            self.flush()
        except Exception:
            log.exception("access log: a batch could not be written; retrying")
