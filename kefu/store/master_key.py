"""Where the master key comes from: configuration, a file, or (development) one made for you.

The master key wraps every personal data key and is never stored in the database: a copy of
the database alone cannot read personal fields. It is 32 random bytes, written as base64
(`kefu keys new` prints one). Production sets KEFU_MASTER_KEY or KEFU_MASTER_KEY_FILE
(kefu/settings.py; docs/operations.md: back it up apart from the database, rotate with
`kefu keys rotate`). Without either, a development key is used (`kefu serve` warns at
start-up; here it is logged), so that no set-up is needed: made on first use beside a SQLite
database file (`kefu-master.key`, mode 0600); for PostgreSQL derived from the database's host,
port and name (so every process of a development setup finds the same one, whatever its
working folder; so can anyone who knows the address: never in production); for an in-memory
database a key that lives as long as the process.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kefu.store.personal_crypto import KEY_BYTES, MasterKey, MasterKeyError

DEVELOPMENT_KEY_FILE = "kefu-master.key"

log = logging.getLogger(__name__)


def new_master_key_text() -> str:
    return base64.b64encode(AESGCM.generate_key(bit_length=KEY_BYTES * 8)).decode()


def parse_master_key(text: str) -> MasterKey:
    try:
        return MasterKey(base64.b64decode(text.strip(), validate=True))
    except binascii.Error:
        raise MasterKeyError("a master key is 32 bytes written as base64") from None


def read_master_key_file(path: Path) -> MasterKey:
    return parse_master_key(path.read_text(encoding="ascii"))


def default_master_key(database_url: str) -> MasterKey:
    """The development key for `database_url` (see the module docstring)."""
    location = database_url.removeprefix("sqlite:///")
    if location == database_url:
        return _derived_key(database_url)
    if ":memory:" in location or "mode=memory" in location:
        return _process_key()
    return _development_key(Path(location).parent / DEVELOPMENT_KEY_FILE)


@cache
def _derived_key(database_url: str) -> MasterKey:
    parts = urlsplit(database_url)
    address = f"{parts.hostname}:{parts.port or 5432}/{parts.path.lstrip('/')}"
    log.info(
        "personal data is sealed with a development master key derived from the database's "
        "address %s: set KEFU_MASTER_KEY or KEFU_MASTER_KEY_FILE (docs/operations.md)",
        address,
    )
    return MasterKey(hashlib.sha256(b"kefu development master key|" + address.encode()).digest())


@cache
def _process_key() -> MasterKey:
    return MasterKey(AESGCM.generate_key(bit_length=KEY_BYTES * 8))


@cache
def _development_key(path: Path) -> MasterKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{os.getpid()}.new")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(new_master_key_text() + "\n")
        try:
            os.link(draft, path)  # atomic: of two processes making one, the first one wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    log.info(
        "personal data is sealed with the development master key %s: set KEFU_MASTER_KEY or "
        "KEFU_MASTER_KEY_FILE in production, and keep the key apart from the database "
        "(docs/operations.md)",
        path,
    )
    return read_master_key_file(path)
