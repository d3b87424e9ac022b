"""The tamper-evident hash chains over the event log.

Each stored event gets two hashes, written in the transaction that stores it:
- its stream hash covers the previous stream hash of the same aggregate and the event's exact
  stored bytes (topic, version, stream id, payload);
- its log hash covers the previous log hash (in position order) and this event's position and
  stream hash; it is an HMAC-SHA-256 under the chain key of its segment (kefu/store/chain_keys.py),
  plain SHA-256 only in the prefix of a store written before keys. Stream hashes stay plain
  SHA-256, so an archive verifies without the key; every one is covered by a keyed log link.
The log head (position, log hash) is the digest an operator writes down or publishes.
Fields are length-prefixed so that no two different events can hash the same input.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import UUID

import msgspec
from eventsourcing.persistence import StoredEvent

from kefu.store.times import db_time

GENESIS = bytes(32)


def _field(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def stream_id_bytes(originator_id: UUID | str) -> bytes:
    return (originator_id.hex if isinstance(originator_id, UUID) else originator_id).encode()


def stream_hash(previous: bytes, event: StoredEvent) -> bytes:
    digest = hashlib.sha256(previous)
    digest.update(_field(event.topic.encode()))
    digest.update(_field(str(event.originator_version).encode()))
    digest.update(_field(stream_id_bytes(event.originator_id)))
    digest.update(_field(_payload(event.state)))
    return digest.digest()


def _payload(state: object) -> bytes:
    # A tampered row may hold text where bytes belong: hash what is there, never crash.
    if isinstance(state, bytes | bytearray | memoryview):
        return bytes(state)
    return str(state).encode()


def log_hash(
    previous: bytes, position: int, this_stream_hash: bytes, secret: bytes | None = None
) -> bytes:
    """The link of one event into the log: keyed with `secret`, or plain when None."""
    digest = hashlib.sha256() if secret is None else _keyed(secret).copy()
    digest.update(previous)
    digest.update(_field(str(position).encode()))
    digest.update(_field(this_stream_hash))
    return digest.digest()


@functools.lru_cache(maxsize=16)
def _keyed(secret: bytes) -> hmac.HMAC:
    """An HMAC with the key's pads already hashed: each link copies it (half the cost of a
    fresh one)."""
    return hmac.new(secret, digestmod=hashlib.sha256)


class _Timestamped(msgspec.Struct):
    timestamp: datetime


_timestamp_decoder = msgspec.json.Decoder(_Timestamped)


def occurred_at(event: StoredEvent) -> datetime | None:
    """When the event happened, read from its payload (None if the payload is not plain JSON)."""
    try:
        return _timestamp_decoder.decode(event.state).timestamp
    except msgspec.DecodeError:
        return None


class ChainLink(msgspec.Struct, frozen=True):
    """The chain row of one stored event."""

    position: int
    originator_id: str
    originator_version: int
    stream_hash: bytes
    log_hash: bytes
    occurred_at: str | None


def format_digest(position: int, head_hash: bytes) -> str:
    return f"{position}:{head_hash.hex()}"


def parse_digest(text: str) -> tuple[int, bytes]:
    """`position:hexhash` → (position, hash); ValueError when malformed."""
    position, _, hexhash = text.strip().partition(":")
    head = bytes.fromhex(hexhash)
    if len(head) != 32 or int(position) < 0:
        raise ValueError("a digest looks like 1234:<64 hex digits>")
    return int(position), head


PreviousStreamHash = Callable[[UUID | str, int], bytes]


def chain_links(
    events: Sequence[StoredEvent],
    positions: Sequence[int],
    previous_stream_hash: PreviousStreamHash,
    previous_log_hash: bytes,
    secret: bytes | None = None,
) -> list[ChainLink]:
    """The chain rows for events just stored at `positions` (in position order), their log
    links keyed with `secret` (None: unkeyed).

    `previous_stream_hash(originator_id, version)` gives the stored hash of that version of
    the stream; within the batch, hashes computed here are used instead.
    """
    computed: dict[tuple[str, int], bytes] = {}
    links = []
    log = previous_log_hash
    for event, position in sorted(zip(events, positions, strict=True), key=lambda p: p[1]):
        sid = stream_id_bytes(event.originator_id).decode()
        version = event.originator_version
        if version == 1:
            previous = GENESIS
        else:
            previous = computed.get((sid, version - 1)) or previous_stream_hash(
                event.originator_id, version - 1
            )
        this = stream_hash(previous, event)
        computed[(sid, version)] = this
        log = log_hash(log, position, this, secret)
        moment = occurred_at(event)
        links.append(ChainLink(position, sid, version, this, log, db_time(moment)))
    return links
