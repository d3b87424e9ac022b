"""Authenticated encryption of personal fields: data keys per record, wrapped by a master key.

AES-256-GCM from the maintained `cryptography` library (OpenSSL underneath): one random 96-bit
nonce per seal, the associated data binds a ciphertext to its record, version and event type
(a ciphertext copied into another event does not open). Data keys are random 256-bit keys,
stored wrapped (AES-GCM again) by the master key, which never enters the database; the wrap's
associated data is the data key's id, so a wrapped key cannot be swapped for another row's.

Unwrapped keys are cached per process for `cache_seconds`: a process that read a key just
before it was destroyed elsewhere may decrypt with it for that long (the process that destroys
a key forgets it at once; see docs/privacy.md).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from uuid import UUID, uuid4

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kefu.store.key_store import KeyRows, KeyStore, StoredKey

NONCE_BYTES = 12
KEY_BYTES = 32


class MasterKeyError(ValueError):
    """A master key that is not 32 bytes, or a wrapped key it did not wrap."""


@dataclass(frozen=True)
class MasterKey:
    """The key that wraps every data key; its id (a digest prefix) says which master wrapped
    a stored key, so a rotation can tell old wraps from new."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) != KEY_BYTES:
            raise MasterKeyError(f"a master key is {KEY_BYTES} bytes, not {len(self.secret)}")

    @cached_property
    def key_id(self) -> str:
        return hashlib.sha256(b"kefu-master-key" + self.secret).hexdigest()[:16]

    @cached_property
    def _cipher(self) -> AESGCM:  # made once: every new record wraps a key with it
        return AESGCM(self.secret)

    def wrap(self, data_key: bytes, key_id: UUID) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._cipher.encrypt(nonce, data_key, key_id.bytes)

    def unwrap(self, wrapped: bytes, key_id: UUID) -> bytes:
        try:
            return self._cipher.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], key_id.bytes)
        except InvalidTag:
            raise MasterKeyError(f"data key {key_id} was not wrapped by this master key") from None


def seal(key: AESGCM, plaintext: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + key.encrypt(nonce, plaintext, associated)


def open_sealed(key: AESGCM, sealed: bytes, associated: bytes) -> bytes:
    """The plaintext; raises `InvalidTag` when the ciphertext or its context was altered."""
    return key.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated)


class DataKeys:
    """Each record's data key: created on its first sealed event, found by id to open one.

    `keys_for_writing` answers the record's live key (creating one when it has none: a new
    record, or one whose keys were destroyed, whose later events get a key of their own);
    `key_for_reading` answers the key a sealed event names, or None when it was destroyed.

    With `carried` (the recorder writes the key rows with the events: `KeyRows`) new keys and
    links wait in `pending()` until a batch of events stored them (`written`); otherwise each is
    written to the store at once, in a transaction of its own.
    """

    def __init__(
        self,
        store: KeyStore,
        master: MasterKey,
        *,
        cache_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        carried: bool = False,
    ) -> None:
        self.store = store
        self.master = master
        self.carried = carried
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._writing: dict[UUID, tuple[UUID, AESGCM, float]] = {}
        self._reading: dict[UUID, tuple[AESGCM | None, float]] = {}
        self._links: set[tuple[str, UUID]] = set()
        self._pending_lock = threading.Lock()
        self._pending_keys: dict[UUID, tuple[StoredKey, datetime]] = {}
        self._pending_links: set[tuple[str, UUID]] = set()

    def key_for_writing(self, record_id: UUID, *, new_record: bool) -> tuple[UUID, AESGCM]:
        now = self._clock()
        cached = self._writing.get(record_id)
        if cached is not None and now - cached[2] < self._cache_seconds:
            return cached[0], cached[1]
        stored = None if new_record else self.store.current_key(record_id)
        if stored is None or stored.wrapped is None:
            key_id, secret = uuid4(), AESGCM.generate_key(bit_length=KEY_BYTES * 8)
            wrapped = self.master.wrap(secret, key_id)
            self._add_key(StoredKey(key_id, record_id, wrapped, self.master.key_id))
            key = AESGCM(secret)
        else:
            key_id, key = stored.key_id, self._unwrap(stored)
        self._writing[record_id] = (key_id, key, now)
        self._reading[key_id] = (key, now)
        return key_id, key

    def key_for_reading(self, key_id: UUID) -> AESGCM | None:
        cached = self._reading.get(key_id)
        if cached is not None and self._fresh(cached):
            return cached[0]
        self.prefetch([key_id])
        return self._reading[key_id][0]

    def prefetch(self, key_ids: Iterable[UUID]) -> None:
        """Reads the keys not cached (or no longer fresh) in one look-up: a follower opening
        a batch of events sealed with many records' keys asks the store once, not per key."""
        missing = [k for k in set(key_ids) if not self._fresh(self._reading.get(k))]
        if not missing:
            return
        now = self._clock()
        stored = {key.key_id: key for key in self.store.find_keys(missing)}
        for key_id in missing:
            found = stored.get(key_id)
            key = None if found is None or found.wrapped is None else self._unwrap(found)
            self._reading[key_id] = (key, now)

    def _fresh(self, cached: tuple[AESGCM | None, float] | None) -> bool:
        # A destroyed key stays destroyed: no need to ask again.
        return cached is not None and (
            cached[0] is None or self._clock() - cached[1] < self._cache_seconds
        )

    def _add_key(self, key: StoredKey) -> None:
        at = datetime.now(UTC)
        if not self.carried:
            self.store.add_key(key, at)
            return
        with self._pending_lock:
            self._pending_keys[key.key_id] = (key, at)

    def link(self, subject: str, record_id: UUID) -> None:
        link = (subject, record_id)
        if link in self._links:
            return
        if not self.carried:
            self.store.link(subject, record_id)
            self._links.add(link)
            return
        with self._pending_lock:
            self._pending_links.add(link)

    def pending(self) -> KeyRows:
        """The keys and links not stored yet (carried: the recorder writes them)."""
        with self._pending_lock:
            return KeyRows(tuple(self._pending_keys.values()), tuple(self._pending_links))

    def written(self, rows: KeyRows) -> None:
        """`rows` are stored (committed with a batch of events)."""
        with self._pending_lock:
            for key, _ in rows.keys:
                self._pending_keys.pop(key.key_id, None)
            self._pending_links.difference_update(rows.links)
            self._links.update(rows.links)

    def destroy(self, record_ids: list[UUID], at: datetime) -> int:
        """Destroys the records' keys and forgets them in this process at once (a key not
        stored yet is dropped: an event sealed with it reads as erased)."""
        destroyed = self.store.destroy(record_ids, at)
        gone = set(record_ids)
        with self._pending_lock:
            for key_id, (key, _) in list(self._pending_keys.items()):
                if key.record_id in gone:
                    del self._pending_keys[key_id]
        for record_id in gone:
            self._writing.pop(record_id, None)
        self._reading.clear()
        return destroyed

    def forget_cached(self) -> None:
        """Forgets every key this process holds: the next use reads the key store (after an
        erasure recorded by another process, whose destroyed keys may still be cached here)."""
        self._writing.clear()
        self._reading.clear()

    def _unwrap(self, stored: StoredKey) -> AESGCM:
        assert stored.wrapped is not None
        return AESGCM(self.master.unwrap(stored.wrapped, stored.key_id))


def rewrap_all(store: KeyStore, old: MasterKey, new: MasterKey) -> int:
    """Master-key rotation: every live data key re-wrapped by `new`; answers how many.

    Keys already wrapped by `new` are left as they are, so an interrupted rotation is simply
    run again (with both keys still at hand)."""
    rewrapped = [
        StoredKey(
            k.key_id, k.record_id, new.wrap(old.unwrap(k.wrapped, k.key_id), k.key_id), new.key_id
        )
        for k in store.live_keys()
        if k.wrapped is not None and k.master_id != new.key_id
    ]
    store.rewrap(rewrapped)
    return len(rewrapped)


def _rewrapped(wrapped: bytes, key_id: UUID, old: MasterKey, new: MasterKey) -> bytes:
    return new.wrap(old.unwrap(wrapped, key_id), key_id)
