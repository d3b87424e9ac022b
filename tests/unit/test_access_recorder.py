"""The access log's buffer and the personal fields an answer holds (in-memory store)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest

from kefu.audit import access_recorder
from kefu.audit.access_recorder import AccessRecorder
from kefu.audit.access_tables import AccessEntry, AccessLogStore
from kefu.http.access_recording import personal_fields
from kefu.store.chain_keys import Keyring

KEYRING = Keyring().with_key("k", b"k" * 32)


class MemoryStore:
    """Stands in for the tables: keeps each appended batch, or fails while `down`."""

    def __init__(self) -> None:
        self.batches: list[list[AccessEntry]] = []
        self.down = False
        self.appended = threading.Event()

    def append(self, entries: Sequence[AccessEntry], keyring: Keyring) -> int:
        if self.down:
            raise ConnectionError("database down")
        self.batches.append(list(entries))
        self.appended.set()
        return len(self.batches)

    def close(self) -> None:
        pass


def entry(n: int) -> AccessEntry:
    return AccessEntry(
        at="2030-01-01T00:00:00.000000Z",
        actor_id=f"a{n}",
        actor_role="service",
        kind="customer",
        records=AccessEntry.joined([str(n)]),
        route="/customers",
        fields="name",
    )


def recorder(store: MemoryStore) -> AccessRecorder:
    opened: AccessLogStore = store  # type: ignore[assignment]
    return AccessRecorder(lambda: opened, KEYRING)


def test_a_full_buffer_is_written_at_once_as_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(access_recorder, "FLUSH_SECONDS", 3600.0)  # only the count can wake it
    store = MemoryStore()
    buffered = recorder(store)

    buffered.record([entry(n) for n in range(access_recorder.FLUSH_ENTRIES)])

    assert store.appended.wait(timeout=30)
    assert [len(batch) for batch in store.batches] == [access_recorder.FLUSH_ENTRIES]
    buffered.close()


def test_close_writes_what_is_left_and_a_failed_batch_is_kept_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(access_recorder, "FLUSH_SECONDS", 3600.0)  # flushed by the test alone
    store = MemoryStore()
    buffered = recorder(store)
    store.down = True
    buffered.record([entry(1), entry(2)])
    with pytest.raises(ConnectionError):
        buffered.flush()
    buffered.record([entry(3)])
    store.down = False

    buffered.close()

    assert [e.records for batch in store.batches for e in batch] == [",1,", ",2,", ",3,"]


def test_the_thread_flushes_every_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(access_recorder, "FLUSH_SECONDS", 0.01)
    store = MemoryStore()
    buffered = recorder(store)

    buffered.record([entry(1)])

    deadline = time.monotonic() + 30
    while not store.batches and time.monotonic() < deadline:
        store.appended.wait(timeout=0.1)
    assert [e.records for e in store.batches[0]] == [",1,"]
    buffered.close()


def test_personal_fields_are_found_at_any_depth_when_they_hold_a_value() -> None:
    answer = {
        "id": "c1",
        "name": "韩梅梅",
        "email": "",
        "phones": [],
        "tier": "member",
        "items": [{"subject": "charged twice", "address": None}, {"events": [{"birthday": "x"}]}],
    }

    assert personal_fields(answer) == {"name", "subject", "birthday"}
