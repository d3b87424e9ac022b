"""The attachment store: files of the threads, outside the event log, by their SHA-256 digest.

Content-addressed: a file's name is the digest of its bytes, so the same file sent twice is
stored once, a stored file can never be changed under its name, and the digest recorded in
an event (which the hash chain covers) proves which bytes it meant. `FolderStore` keeps them
under a folder (`ab/cd/abcd…`); an object store (S3, OSS, MinIO) is another class with the
same three methods (`put`, `get`, `describe`), keyed by the same digest.

What is refused, before anything is written: an empty file, a file over the size limit, and a
zip archive (docx and xlsx are zips too) whose members claim to unpack far beyond the limit or
at a ratio no real document has (a zip bomb). The content type is detected from the bytes
(the `filetype` library reads the magic numbers), never taken from the sender's word.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import filetype

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_UNPACK_RATIO = 100  # a real document compresses 2 to 20 times; a bomb thousands of times
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class AttachmentRefused(ValueError):
    """The file cannot be stored (empty, too large, a zip bomb); nothing was written."""


@dataclass(frozen=True)
class StoredFile:
    """A stored file: its digest, size and the content type read from its bytes."""

    sha256: str
    size: int
    content_type: str


class AttachmentStore(Protocol):
    def put(self, data: bytes) -> StoredFile: ...

    def get(self, sha256: str) -> bytes | None: ...

    def describe(self, sha256: str) -> StoredFile | None: ...


def is_digest(text: str) -> bool:
    return bool(_DIGEST.match(text))


def detect_type(data: bytes) -> str:
    """The media type the bytes say they are; text when they decode as UTF-8, else octets."""
    kind = filetype.guess(data[:8192])
    if kind is not None:
        return str(kind.mime)
    try:
        data[:8192].decode("utf-8")
    except UnicodeDecodeError as cut:
        if cut.start < 8192 - 4:  # not merely a character cut at the sniffing boundary
            return "application/octet-stream"
    return "text/plain"


def check_file(data: bytes, max_bytes: int) -> StoredFile:
    """The file's digest and type, or `AttachmentRefused` saying why it is not taken."""
    if not data:
        raise AttachmentRefused("the file is empty")
    if len(data) > max_bytes:
        raise AttachmentRefused(f"the file is {len(data)} bytes; at most {max_bytes} are taken")
    content_type = detect_type(data)
    if data[:4] == b"PK\x03\x04":
        _check_zip(data, max_bytes)
    return StoredFile(hashlib.sha256(data).hexdigest(), len(data), content_type)


def _check_zip(data: bytes, max_bytes: int) -> None:
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError):
        return  # not a readable archive: stored as the bytes it is, never unpacked here
    unpacked = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    if unpacked > 10 * max_bytes or unpacked / packed > MAX_UNPACK_RATIO:
        raise AttachmentRefused(
            f"the archive unpacks to {unpacked} bytes from {packed}: refused as a zip bomb"
        )


class FolderStore:
    """Files in a folder, named by digest; a write goes to a temporary file that is renamed
    into place, so a reader never sees half a file."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def put(self, data: bytes) -> StoredFile:
        stored = check_file(data, self.max_bytes)
        path = self._path(stored.sha256)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as partial:
                partial.write(data)
                partial.flush()
                os.fsync(partial.fileno())
            os.replace(partial.name, path)
        return stored

    def get(self, sha256: str) -> bytes | None:
        if not is_digest(sha256):
            return None
        try:
            return self._path(sha256).read_bytes()
        except FileNotFoundError:
            return None

    def describe(self, sha256: str) -> StoredFile | None:
        """The stored file's size and type (read from its first bytes), None if absent."""
        if not is_digest(sha256):
            return None
        try:
            with self._path(sha256).open("rb") as file:
                head = file.read(8192)
                size = os.fstat(file.fileno()).st_size
        except FileNotFoundError:
            return None
        return StoredFile(sha256, size, detect_type(head))

    def _path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256
