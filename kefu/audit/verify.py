"""Re-computes the hash chains and names every event that was modified, deleted, inserted or
re-ordered; says whether the log still extends a digest taken earlier."""

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
from kefu.store.times import db_time


class Tamper(StrEnum):
    """What verification found wrong with one position of the log."""

    MODIFIED = "modified"  # the stored bytes no longer hash to the recorded stream hash
    DELETED = "deleted"  # the chain records an event the log no longer has
    INSERTED = "inserted"  # the log has an event the chain never recorded
    REORDERED = "re-ordered"  # the event sits at another version or stream than recorded
    CHAIN_BROKEN = "chain-broken"  # the chain rows themselves were altered
    SNAPSHOT_ALTERED = "snapshot-altered"  # a snapshot no longer equals its events (no position)


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

    @property
    def ok(self) -> bool:
        return not self.findings and self.extends_digest is not False


Progress = Callable[[int], None]


def verify(
    events: Iterable[Notification],
    links: Iterable[ChainLink],
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
    if digest is not None and digest[0] == 0:
        result.extends_digest = digest[1] == GENESIS  # every log extends the empty one
    last_stream_hash: dict[str, bytes] = {}
    recomputed = _Recomputation()
    previous_log = GENESIS
    for event, link in _merge(iter(events), iter(links)):
        result.checked += 1
        if progress is not None and result.checked % 10_000 == 0:
            progress(result.checked)
        if event is not None:
            recomputed.add(event)
            if digest is not None and event.id == digest[0]:
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
        previous_log = log_hash(previous_log, link.position, link.stream_hash)
        if previous_log != link.log_hash:
            result.findings.append(
                Finding(
                    Tamper.CHAIN_BROKEN, link.originator_id, link.originator_version, link.position
                )
            )
        last_stream_hash[link.originator_id] = link.stream_hash
    result.head_position, result.head_hash = recomputed.position, recomputed.log
    if digest is not None and result.extends_digest is None:
        result.extends_digest = False
    return result


class _Recomputation:
    """The chains recomputed from the events' bytes alone: what a digest is checked against."""

    def __init__(self) -> None:
        self.streams: dict[str, bytes] = {}
        self.log = GENESIS
        self.position = 0

    def add(self, event: Notification) -> None:
        stream = stream_id_bytes(event.originator_id).decode()
        this = stream_hash(self.streams.get(stream, GENESIS), event)
        self.streams[stream] = this
        self.log = log_hash(self.log, event.id, this)
        self.position = event.id


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
