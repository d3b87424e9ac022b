"""Archives (归档): a self-contained file of whole streams that auditors verify offline.

The file is a tar with three parts, written in constant memory (one stream at a time):
- `events.jsonl`: one line per event: position, stream, version, topic, the exact stored
  payload (base64), the event's time, and its stream and log hashes from the live chain;
- `streams.jsonl`: one line per stream: its id, last version and head stream hash;
- `attachments/<sha256>`: each file a thread entry of those streams names (the attachment
  store's bytes; a file the store lacks is listed in the manifest's `missing_files`);
- `manifest.json`: the format, the selection, counts, the SHA-256 of every part, and the log
  digest at export time.
`verify_archive` re-computes every stream chain from the payloads alone, without a database.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Sized
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import StoredEvent

from kefu.application import ServiceDesk
from kefu.audit.history import aggregate_state
from kefu.domain.personal_data import PERSONAL_FIELDS
from kefu.domain.thread import ENTRY_EVENTS
from kefu.projections.progress import Progress, counting
from kefu.store.attachments import AttachmentStore
from kefu.store.chain import GENESIS, ChainLink, format_digest, stream_hash
from kefu.store.mapper import MsgspecMapper
from kefu.store.personal_fields import PersonalFields

FORMAT = "kefu-archive/1"


class ArchivedEvent(msgspec.Struct, frozen=True):
    """One line of events.jsonl."""

    position: int
    stream: str
    version: int
    topic: str
    payload: str  # base64 of the stored bytes, exactly as hashed
    occurred_at: str | None
    stream_hash: str
    log_hash: str

    def stored(self) -> StoredEvent:
        return StoredEvent(
            UUID(self.stream), self.version, self.topic, base64.b64decode(self.payload)
        )


class ArchivedStream(msgspec.Struct, frozen=True):
    stream: str
    last_version: int
    head_stream_hash: str


class Manifest(msgspec.Struct, frozen=True):
    format: str
    exported_at: str
    selection: str
    events: int
    streams: int
    parts: dict[str, str]  # part name → SHA-256 hex
    log_digest: str
    missing_files: list[str] = []  # attachments named by the events that the store lacked


def _quiet(_: str) -> None:
    return None


class _Part:
    """A temporary file that hashes what is written to it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115  # closed after export
        self.sha256 = hashlib.sha256()

    def write_line(self, value: msgspec.Struct) -> None:
        line = msgspec.json.encode(value) + b"\n"
        self.file.write(line)
        self.sha256.update(line)

    def add_to(self, tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(self.name)
        info.size = self.file.tell()
        info.mtime = int(datetime.now(UTC).timestamp())
        self.file.seek(0)
        tar.addfile(info, self.file)


def export_archive(
    app: ServiceDesk,
    streams: Iterable[UUID],
    out: Path,
    selection: str,
    progress: Progress = _quiet,
    files: AttachmentStore | None = None,
) -> Manifest:
    """Writes whole streams (every version, with their chain rows) to `out`, and the files
    their thread entries name when `files` is given."""
    events, heads = _Part("events.jsonl"), _Part("streams.jsonl")
    event_count = stream_count = 0
    total = len(streams) if isinstance(streams, Sized) else None
    named: dict[str, None] = {}
    with counting(progress, "export", total, "streams") as advance:
        for stream in streams:
            advance(1)
            last: ArchivedEvent | None = None
            for last in _stream_lines(app, stream):
                events.write_line(last)
                event_count += 1
                named.update(dict.fromkeys(_attachments_of(app, last)))
            if last is None:
                continue
            heads.write_line(ArchivedStream(last.stream, last.version, last.stream_hash))
            stream_count += 1
    head_position, head_hash = app.chain.head()  # as recorded; `kefu audit verify` proves it
    parts = {p.name: p.sha256.hexdigest() for p in (events, heads)}
    with tarfile.open(out, "w") as tar:
        for part in (events, heads):
            part.add_to(tar)
            part.file.close()
        missing = _add_files(tar, list(named), files, parts) if files is not None else []
        manifest = Manifest(
            format=FORMAT,
            exported_at=datetime.now(UTC).isoformat(),
            selection=selection,
            events=event_count,
            streams=stream_count,
            parts=parts,
            log_digest=format_digest(head_position, head_hash),
            missing_files=missing,
        )
        data = msgspec.json.format(msgspec.json.encode(manifest))
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    progress(f"exported {stream_count} streams, {event_count} events to {out}")
    return manifest


PAGE = 1000


def _stream_lines(app: ServiceDesk, stream: UUID) -> Iterator[ArchivedEvent]:
    """The stream's chained events, a page at a time (long streams stay out of memory)."""
    version = 0
    while events := app.recorder.select_events(stream, gt=version, limit=PAGE):
        links = {k.originator_version: k for k in app.chain.stream_links(stream, version, PAGE)}
        for event in events:
            link = links.get(event.originator_version)
            if link is not None:  # unchained events are for `kefu audit verify` to report
                yield _line(stream, event, link)
        version = events[-1].originator_version


def _add_files(
    tar: tarfile.TarFile, named: list[str], files: AttachmentStore, parts: dict[str, str]
) -> list[str]:
    """Adds each named file (one in memory at a time); returns those the store lacks."""
    missing = []
    for sha256 in named:
        data = files.get(sha256)
        if data is None:
            missing.append(sha256)
            continue
        info = tarfile.TarInfo(f"attachments/{sha256}")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        parts[info.name] = sha256  # verified like every part: its bytes hash to its name
    return missing


_ENTRY_TOPICS = frozenset(f"{c.__module__}:{c.__qualname__}" for c in ENTRY_EVENTS)


def _attachments_of(app: ServiceDesk, line: ArchivedEvent) -> list[str]:
    """The digests of the files a thread entry names (none for other events)."""
    if line.topic not in _ENTRY_TOPICS:
        return []
    event: Any = app.mapper.to_domain_event(line.stored())
    return [a.sha256 for a in event.entry.attachments]


def _line(stream: UUID, event: StoredEvent, link: ChainLink) -> ArchivedEvent:
    return ArchivedEvent(
        position=link.position,
        stream=stream.hex,
        version=event.originator_version,
        topic=event.topic,
        payload=base64.b64encode(bytes(event.state)).decode(),
        occurred_at=link.occurred_at,
        stream_hash=link.stream_hash.hex(),
        log_hash=link.log_hash.hex(),
    )


@dataclass
class ArchiveCheck:
    """What offline verification found."""

    manifest: Manifest | None = None
    problems: list[str] = field(default_factory=list)
    events: int = 0

    @property
    def ok(self) -> bool:
        return self.manifest is not None and not self.problems


def verify_archive(path: Path, progress: Progress = _quiet) -> ArchiveCheck:
    """Checks part hashes, counts, and every stream's chain from its payloads alone."""
    check = ArchiveCheck()
    with tarfile.open(path, "r") as tar:
        try:
            check.manifest = msgspec.json.decode(_read(tar, "manifest.json"), type=Manifest)
        except (KeyError, msgspec.DecodeError) as e:
            check.problems.append(f"no readable manifest: {e}")
            return check
        missing = {"events.jsonl", "streams.jsonl"} - set(check.manifest.parts)
        check.problems.extend(f"{name}: not listed in the manifest" for name in sorted(missing))
        for name, expected in check.manifest.parts.items():
            if _sha256(tar, name) != expected:
                check.problems.append(f"{name}: SHA-256 differs from the manifest")
        heads = _verify_events(tar, check, progress)
        _verify_heads(tar, heads, check)
    if check.events != check.manifest.events:
        check.problems.append(f"{check.events} events, the manifest says {check.manifest.events}")
    return check


def _verify_events(
    tar: tarfile.TarFile, check: ArchiveCheck, progress: Progress
) -> dict[str, tuple[int, bytes]]:
    heads: dict[str, tuple[int, bytes]] = {}
    for line in read_events(tar):
        check.events += 1
        version, previous = heads.get(line.stream, (0, GENESIS))
        if line.version != version + 1:
            check.problems.append(f"stream {line.stream}: version {line.version} follows {version}")
        # Checked against the recorded previous hash, so one altered event is named once.
        if stream_hash(previous, line.stored()).hex() != line.stream_hash:
            check.problems.append(f"stream {line.stream} version {line.version}: payload altered")
        heads[line.stream] = (line.version, bytes.fromhex(line.stream_hash))
        if check.events % 10_000 == 0:
            progress(f"verified {check.events} events")
    return heads


def _verify_heads(
    tar: tarfile.TarFile, heads: dict[str, tuple[int, bytes]], check: ArchiveCheck
) -> None:
    listed = 0
    for raw in _lines(tar, "streams.jsonl"):
        head = msgspec.json.decode(raw, type=ArchivedStream)
        listed += 1
        version, last = heads.get(head.stream, (0, GENESIS))
        if (version, last.hex()) != (head.last_version, head.head_stream_hash):
            check.problems.append(f"stream {head.stream}: head differs from streams.jsonl")
    if listed != len(heads):
        check.problems.append(f"{len(heads)} streams in events.jsonl, {listed} listed")


def read_events(tar: tarfile.TarFile) -> Iterator[ArchivedEvent]:
    decoder = msgspec.json.Decoder(ArchivedEvent)
    for raw in _lines(tar, "events.jsonl"):
        yield decoder.decode(raw)


def _lines(tar: tarfile.TarFile, name: str) -> Iterator[bytes]:
    member = tar.extractfile(name)
    if member is None:
        raise KeyError(name)
    for raw in member:
        if raw.strip():
            yield raw


def _read(tar: tarfile.TarFile, name: str) -> bytes:
    member = tar.extractfile(name)
    if member is None:
        raise KeyError(name)
    return member.read()


def _sha256(tar: tarfile.TarFile, name: str) -> str:
    digest = hashlib.sha256()
    try:
        member = tar.extractfile(name)
    except KeyError:
        return ""
    assert member is not None
    for block in iter(lambda: member.read(1 << 16), b""):
        digest.update(block)
    return digest.hexdigest()


def state_from_archive(path: Path, stream: UUID, at: datetime | None) -> dict[str, object]:
    """A record as it stood at `at` (or its last version), rebuilt from the file alone.

    Personal fields are stored sealed, and their keys are not in the file: they read as
    erased here (docs/privacy.md); the database's `GET /audit/...` reads show them."""
    mapper = MsgspecMapper(personal=PersonalFields(PERSONAL_FIELDS))
    aggregate: Any = None
    with tarfile.open(path, "r") as tar:
        for line in read_events(tar):
            if line.stream != stream.hex:
                continue
            event: Any = mapper.to_domain_event(line.stored())
            if at is not None and event.timestamp > at:
                break
            aggregate = event.mutate(aggregate)
    if aggregate is None:
        raise LookupError(f"stream {stream} has no event in the archive before that time")
    return {
        "id": str(stream),
        "version": aggregate.version,
        "kind": type(aggregate).__name__,
        "state": aggregate_state(aggregate),
    }
