"""Re-computes the hash chains and names every event that was modified, deleted, inserted or
re-ordered; says whether the log still extends a digest taken earlier.

Each log link is checked with the key of its segment (kefu/store/chain_keys.py), each key
marker with its seal; links before the first marker are plain SHA-256 (a store written before
keys). A segment whose key the keyring lacks cannot be checked: it is reported as missing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from eventsourcing.persistence import Notification, StoredEvent

from kefu.store.chain import (
    GENESIS,
    ChainLink,
    log_hash,
    occurred_at,
    stream_hash,
    stream_id_bytes,
)
from kefu.store.chain_keys import ChainKeying, ChainKeyMissing, seal
from kefu.store.times import db_time


class Tamper(StrEnum):
    """What verification found wrong with one position of the log."""

    MODIFIED = "modified"  # the stored bytes no longer hash to the recorded stream hash
    DELETED = "deleted"  # the chain records an event the log no longer has
    INSERTED = "inserted"  # the log has an event the chain never recorded
    REORDERED = "re-ordered"  # the event sits at another version or stream than recorded
    CHAIN_BROKEN = "chain-broken"  # the chain rows themselves were altered
    SNAPSHOT_ALTERED = "snapshot-altered"  # a snapshot no longer equals its events (no position)
    MARKER_ALTERED = "key-marker-altered"  # a key marker's seal fails (stream: its key id)
    ACCESS_ALTERED = "access-log-altered"  # an access-log batch no longer verifies (its number)
    ACCESS_DELETED = "access-log-deleted"  # an access-log batch is missing (its number)


@dataclass(frozen=True)
class Finding:
    kind: Tamper
    stream: str
    version: int
    position: int

    def __str__(self) -> str:
        return f"{self.kind}: stream {self.stream} version {self.version} position {self.position}"


@dataclass
class Verification:
    """The outcome of one verification run."""

    checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    head_position: int = 0
    head_hash: bytes = GENESIS
    extends_digest: bool | None = None
    # Where keyed links start (None: nowhere, the whole log is unkeyed).
    keyed_from: int | None = None
    # Key ids the keyring lacks → the positions of their segments' links, unchecked.
    missing_keys: dict[str, list[int]] = field(default_factory=dict)

    @property
    def unkeyed(self) -> bool:
        """A log with events but no keyed link: written before keys and not migrated, or
        rewritten without them."""
        return self.checked > 0 and self.keyed_from is None

    @property
    def ok(self) -> bool:
        return (
            not self.findings
            and self.extends_digest is not False
            and not self.missing_keys
            and not self.unkeyed
        )


Progress = Callable[[int], None]


def verify(
    events: Iterable[Notification],
    links: Iterable[ChainLink],
    keying: ChainKeying,
    digest: tuple[int, bytes] | None = None,
    progress: Progress | None = None,
) -> Verification:
    """Walks the log and the chain side by side, in position order.

    Each event is checked against its own chain row (using the recorded previous hashes, so
    one tampered event is named once, not with every event after it). The digest is checked
    against chains recomputed from the events' bytes alone, so rewriting the chain rows to
    match a tampered log does not make it extend a digest published before.
    """
    result = Verification()
    if keying.segments:
        result.keyed_from = keying.segments[0].from_position
    if digest is not None and digest[0] == 0:
        result.extends_digest = digest[1] == GENESIS  # every log extends the empty one
    last_stream_hash: dict[str, bytes] = {}
    recomputed = _Recomputation(keying)
    markers = _Markers(keying, result)
    previous_log = GENESIS
    for event, link in _merge(iter(events), iter(links)):
        result.checked += 1
        if progress is not None and result.checked % 10_000 == 0:
            progress(result.checked)
        if event is not None:
            recomputed.add(event)
            if digest is not None and event.id == digest[0] and recomputed.log is not None:
                result.extends_digest = recomputed.log == digest[1]
        if link is None:
            assert event is not None
            result.findings.append(_finding(Tamper.INSERTED, event, event.id))
            continue
        if event is None:
            result.findings.append(
                Finding(Tamper.DELETED, link.originator_id, link.originator_version, link.position)
            )
        else:
            _check_event(event, link, last_stream_hash, result)
        markers.reach(link.position, previous_log)
        try:
            secret = keying.secret_at(link.position)
        except ChainKeyMissing as missing:
            result.missing_keys.setdefault(missing.key_id, []).append(link.position)
            previous_log = link.log_hash  # unchecked: go on from the recorded link
        else:
            previous_log = log_hash(previous_log, link.position, link.stream_hash, secret)
            if previous_log != link.log_hash:
                result.findings.append(
                    Finding(
                        Tamper.CHAIN_BROKEN,
                        link.originator_id,
                        link.originator_version,
                        link.position,
                    )
                )
        last_stream_hash[link.originator_id] = link.stream_hash
    markers.reach(None, previous_log)
    result.head_position, result.head_hash = recomputed.position, recomputed.log or GENESIS
    if digest is not None and result.extends_digest is None and not result.missing_keys:
        result.extends_digest = False
    return result


class _Markers:
    """Checks each key marker's seal against the log hash it follows, once, in order."""

    def __init__(self, keying: ChainKeying, result: Verification) -> None:
        self.pending = list(reversed(keying.segments))
        self.keyring = keying.keyring
        self.result = result

    def reach(self, position: int | None, previous_log: bytes) -> None:
        """Checks the markers that start at or before `position` (None: every one left)."""
        while self.pending and (position is None or self.pending[-1].from_position <= position):
            segment = self.pending.pop()
            secret = self.keyring.secret(segment.key_id)
            if secret is None:
                self.result.missing_keys.setdefault(segment.key_id, [])
            elif seal(secret, segment.from_position, segment.key_id, previous_log) != segment.seal:
                self.result.findings.append(
                    Finding(Tamper.MARKER_ALTERED, segment.key_id, 0, segment.from_position)
                )


class _Recomputation:
    """The chains recomputed from the events' bytes alone: what a digest is checked against.
    `log` is None once a link could not be recomputed (its key is missing)."""

    def __init__(self, keying: ChainKeying) -> None:
        self.keying = keying
        self.streams: dict[str, bytes] = {}
        self.log: bytes | None = GENESIS
        self.position = 0

    def add(self, event: Notification) -> None:
        stream = stream_id_bytes(event.originator_id).decode()
        this = stream_hash(self.streams.get(stream, GENESIS), event)
        self.streams[stream] = this
        self.position = event.id
        if self.log is None:
            return
        try:
            self.log = log_hash(self.log, event.id, this, self.keying.secret_at(event.id))
        except ChainKeyMissing:
            self.log = None


def _check_event(
    event: Notification, link: ChainLink, last: dict[str, bytes], result: Verification
) -> None:
    stream = stream_id_bytes(event.originator_id).decode()
    if (stream, event.originator_version) != (link.originator_id, link.originator_version):
        result.findings.append(_finding(Tamper.REORDERED, event, link.position))
        return
    previous = GENESIS if link.originator_version == 1 else last.get(stream)
    if previous is None:  # the chain row of the previous version is gone
        result.findings.append(
            Finding(Tamper.DELETED, stream, link.originator_version - 1, link.position)
        )
        return
    if stream_hash(previous, event) != link.stream_hash:
        result.findings.append(_finding(Tamper.MODIFIED, event, link.position))
    elif link.occurred_at != db_time(occurred_at(event)):
        # The time index is not hashed; it must agree with the (hashed) payload's own time.
        result.findings.append(_finding(Tamper.CHAIN_BROKEN, event, link.position))


def _finding(kind: Tamper, event: StoredEvent, position: int) -> Finding:
    return Finding(
        kind, stream_id_bytes(event.originator_id).decode(), event.originator_version, position
    )


def _merge(
    events: Iterator[Notification], links: Iterator[ChainLink]
) -> Iterator[tuple[Notification | None, ChainLink | None]]:
    event, link = next(events, None), next(links, None)
    while event is not None or link is not None:
        if link is None or (event is not None and event.id < link.position):
            yield event, None
            event = next(events, None)
        elif event is None or link.position < event.id:
            yield None, link
            link = next(links, None)
        else:
            yield event, link
            event, link = next(events, None), next(links, None)
