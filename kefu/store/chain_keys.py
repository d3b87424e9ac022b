"""The keys of the log chain: a keyring from configuration, and the segments of the log.

A keyring maps key ids to secrets (at least 32 bytes each). It lives outside the database
(KEFU_CHAIN_KEY, KEFU_CHAIN_KEYS_FILE, or a development file beside the embedded database), so
someone who can write to the database cannot link an event they add.

The store records which key links which part of the log in table `chain_keys`, one row (a
segment marker) per key change: links at positions from `from_position` on are keyed with
`key_id`, up to the next marker. A marker is sealed with its own key over its position, its key
id and the log hash it follows, so a marker cannot be added, moved or re-pointed without that
key. Links before the first marker are the plain SHA-256 links of a store written before keys
(kept as they were by `kefu audit migrate-chain`).
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

MIN_SECRET_BYTES = 32
DEVELOPMENT_KEYS_FILE = "chain.keys"
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class ChainKeyError(ValueError):
    """A key or keyring that cannot be used (malformed, too short, unknown id)."""


class ChainKeyMissing(RuntimeError):
    """The store's current segment is keyed with a key this process's keyring does not hold."""

    def __init__(self, key_id: str) -> None:
        super().__init__(
            f"the log chain is keyed with key {key_id!r}, which this process's keyring does not "
            "hold: add it to KEFU_CHAIN_KEYS_FILE (or KEFU_CHAIN_KEY)"
        )
        self.key_id = key_id


@dataclass(frozen=True)
class Keyring:
    """Key id → secret; `active` is the key new segments are started with."""

    secrets: Mapping[str, bytes] = field(default_factory=dict)
    active: str | None = None

    def secret(self, key_id: str) -> bytes | None:
        return self.secrets.get(key_id)

    def with_key(self, key_id: str, secret: bytes) -> Keyring:
        """This keyring plus one key, which becomes the active one."""
        return Keyring({**self.secrets, key_id: secret}, key_id)


def parse_key(text: str, where: str) -> tuple[str, bytes]:
    """`key-id:hexsecret` → (key id, secret)."""
    key_id, _, hexsecret = text.strip().partition(":")
    if not _KEY_ID.fullmatch(key_id):
        raise ChainKeyError(f"{where}: a key looks like <id>:<hex>, the id of letters, digits, ._-")
    try:
        secret = bytes.fromhex(hexsecret)
    except ValueError:
        raise ChainKeyError(f"{where}: key {key_id!r}: the secret is not hexadecimal") from None
    if len(secret) < MIN_SECRET_BYTES:
        raise ChainKeyError(
            f"{where}: key {key_id!r}: the secret needs at least {MIN_SECRET_BYTES} bytes "
            f"({2 * MIN_SECRET_BYTES} hex digits)"
        )
    return key_id, secret


def parse_keyring(text: str, where: str) -> Keyring:
    """Lines `key-id:hexsecret` (blank lines and `#` comments ignored); the last is active."""
    keyring = Keyring()
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            key_id, secret = parse_key(line, f"{where} line {number}")
            if key_id in keyring.secrets:
                raise ChainKeyError(f"{where} line {number}: key {key_id!r} is given twice")
            keyring = keyring.with_key(key_id, secret)
    return keyring


def new_key_line(key_id: str) -> str:
    """A fresh random key as a keyring line."""
    if not _KEY_ID.fullmatch(key_id):
        raise ChainKeyError(f"{key_id!r}: a key id is letters, digits and ._- (at most 64)")
    return f"{key_id}:{secrets.token_hex(MIN_SECRET_BYTES)}"


def development_keyring(folder: Path) -> Keyring:
    """The keyring kept in `folder` for a set-up without configured keys, made on first use
    (mode 0600: whoever can read it can forge links; `kefu serve` says so at start)."""
    path = folder / DEVELOPMENT_KEYS_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        draft = folder / f".{DEVELOPMENT_KEYS_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(new_key_line(f"dev-{secrets.token_hex(4)}") + "\n")
        try:
            os.link(draft, path)  # whole or not at all, never over another process's key
        except FileExistsError:
            pass  # another process made it at the same moment: read theirs
        finally:
            draft.unlink()
    return parse_keyring(path.read_text(encoding="utf-8"), str(path))


class KeySegment(msgspec.Struct, frozen=True):
    """A marker: the links from `from_position` on are keyed with `key_id`."""

    from_position: int
    key_id: str
    seal: bytes


def _field(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def seal(secret: bytes, from_position: int, key_id: str, previous_log_hash: bytes) -> bytes:
    """The marker's own proof: only the holder of its key can make it."""
    mac = hmac.new(secret, b"kefu chain key marker", hashlib.sha256)
    for part in (str(from_position).encode(), key_id.encode(), previous_log_hash):
        mac.update(_field(part))
    return mac.digest()


def marker(
    keyring: Keyring, key_id: str, from_position: int, previous_log_hash: bytes
) -> KeySegment:
    secret = keyring.secret(key_id)
    if secret is None:
        raise ChainKeyMissing(key_id)
    return KeySegment(from_position, key_id, seal(secret, from_position, key_id, previous_log_hash))


def plan_segment(
    keyring: Keyring,
    key_id: str,
    rotating: bool,
    head_position: int,
    head_hash: bytes,
    current_key_id: str | None,
) -> KeySegment:
    """The marker that keys the links after the head with `key_id`: a rotation of a keyed
    chain, or the start of keys in a store written before them."""
    if rotating and current_key_id is None:
        raise ChainKeyError("the log chain is not keyed yet: run `kefu audit migrate-chain`")
    if not rotating and current_key_id is not None:
        raise ChainKeyError(f"the log chain is keyed already (key {current_key_id!r})")
    if key_id == current_key_id:
        raise ChainKeyError(f"key {key_id!r} keys the chain already: add a new key to rotate to")
    return marker(keyring, key_id, head_position + 1, head_hash)


@dataclass(frozen=True)
class BatchKey:
    """The key a batch links with (None: unkeyed), and a marker to record with it."""

    secret: bytes | None
    new_segment: KeySegment | None = None


def batch_key(
    keyring: Keyring, current_key_id: str | None, chain_empty: bool, first_position: int | None
) -> BatchKey:
    """A new store starts keyed with the active key; a store written before keys stays unkeyed
    until `kefu audit migrate-chain`; a keyed store goes on with its current segment's key."""
    if current_key_id is not None:
        secret = keyring.secret(current_key_id)
        if secret is None:
            raise ChainKeyMissing(current_key_id)
        return BatchKey(secret)
    if chain_empty and first_position is not None and keyring.active is not None:
        segment = marker(keyring, keyring.active, first_position, bytes(32))
        return BatchKey(keyring.secrets[keyring.active], segment)
    return BatchKey(None)


@dataclass(frozen=True)
class ChainKeying:
    """The segments recorded in a store, with the keyring to read them."""

    segments: Sequence[KeySegment]
    keyring: Keyring
    _starts: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", [s.from_position for s in self.segments])

    def segment_at(self, position: int) -> KeySegment | None:
        """The segment whose key links `position` (None: the unkeyed prefix)."""
        index = bisect.bisect_right(self._starts, position)
        return self.segments[index - 1] if index else None

    def secret_at(self, position: int) -> bytes | None:
        """The key of `position`'s link (None: unkeyed); ChainKeyMissing if not held."""
        segment = self.segment_at(position)
        if segment is None:
            return None
        secret = self.keyring.secret(segment.key_id)
        if secret is None:
            raise ChainKeyMissing(segment.key_id)
        return secret
