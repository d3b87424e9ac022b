"""Sealing an event's personal fields on the way into the log, and opening them on the way out.

The fields an event class declares personal (its `PersonalSpec`, from the domain's table) are
taken out of its stored state and stored together as one AES-GCM ciphertext under the first
key of the JSON object, `"$personal": {"key": <data key id>, "data": <base64>}`. The rest of
the state stays readable JSON (times, ids, statuses: what reports and the audit need). The hash
chain covers the stored bytes, ciphertext included, so destroying a key never breaks it.

A state that does not start with `{"$personal":` is read as before: events written before
sealing existed (or with sealing off) keep their plaintext, and cannot be shredded.

When the key is destroyed the fields read as erased, by their declared type: a text (even an
optional one) reads `"[erased]"`, any other optional value `None`, a sequence `[]`, a mapping
`{}`. Never an exception: every reader (projections, history, archives) keeps working.
"""

from __future__ import annotations

import base64
import types
from collections.abc import Mapping
from functools import cache
from typing import Any, Protocol, Union, get_args, get_origin, get_type_hints
from uuid import UUID

import msgspec

from kefu.store.personal_crypto import DataKeys, open_sealed, seal

ERASED = "[erased]"
SEALED_KEY = "$personal"
SEALED_PREFIX = b'{"$personal":'

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(dict[str, Any])


class PersonalSpec(Protocol):
    """What an event class holds about a person: `fields` (names, or `field.attribute` one
    level into a dataclass value) and `subject`, the field naming the customer file the
    record belongs to (None: the record is the subject itself, or names nobody)."""

    @property
    def fields(self) -> tuple[str, ...]: ...

    @property
    def subject(self) -> str | None: ...


class PersonalFields:
    """The sealing step of the mapper: a table of specs by event class and the data keys.

    `keys` is set once the recorder exists (the key store lives in its database). With
    `sealing` off new events are stored in plaintext (the benchmark's "off" side); sealed
    events are still opened.
    """

    def __init__(self, specs: Mapping[type, PersonalSpec], *, sealing: bool = True) -> None:
        self.specs = specs
        self.sealing = sealing
        self.keys: DataKeys | None = None

    def seal_state(
        self, event_cls: type, record_id: UUID, version: int, topic: str, state: dict[str, Any]
    ) -> dict[str, Any]:
        """The state to store: with the personal fields sealed, if the class has any."""
        spec = self.specs.get(event_cls)
        if spec is None or self.keys is None:
            return state
        subject = state.get(spec.subject) if spec.subject else None
        if subject is not None:
            self.keys.link(str(subject), record_id)
        if not (self.sealing and spec.fields):
            return state
        plain: dict[str, Any] = msgspec.to_builtins(state)
        taken = {path: _take(plain, path) for path in spec.fields}
        key_id, key = self.keys.key_for_writing(record_id, new_record=version == 1)
        data = seal(key, _encoder.encode(taken), _associated(record_id, version, topic))
        return {SEALED_KEY: {"key": str(key_id), "data": data}, **plain}

    def open_state(
        self, event_cls: type, record_id: UUID, version: int, topic: str, data: bytes
    ) -> dict[str, Any]:
        """A sealed state as JSON values, the personal fields opened (or erased)."""
        state = _decoder.decode(data)
        sealed = state.pop(SEALED_KEY)
        key = self.keys.key_for_reading(UUID(sealed["key"])) if self.keys else None
        if key is None:
            values = erased_values(event_cls, self.specs[event_cls].fields)
        else:
            ciphertext = base64.b64decode(sealed["data"])
            opened = open_sealed(key, ciphertext, _associated(record_id, version, topic))
            values = _decoder.decode(opened)
        for path, value in values.items():
            _put(state, path, value)
        return state


def is_sealed(data: bytes) -> bool:
    return data.startswith(SEALED_PREFIX)


_KEY_AT = len(SEALED_PREFIX + b'{"key":"')
_KEY_END = _KEY_AT + 36  # a UUID's text


def sealed_key_id(data: bytes) -> UUID | None:
    """The data key a sealed state names (as `seal_state` writes it), None for plaintext."""
    if not data.startswith(b'{"key":"', len(SEALED_PREFIX)) or not is_sealed(data):
        return None
    return UUID(data[_KEY_AT:_KEY_END].decode())


def _associated(record_id: UUID, version: int, topic: str) -> bytes:
    return b"%b|%d|%b" % (record_id.bytes, version, topic.encode())


def _take(state: dict[str, Any], path: str) -> Any:
    head, _, attribute = path.partition(".")
    return state[head].pop(attribute) if attribute else state.pop(head)


def _put(state: dict[str, Any], path: str, value: Any) -> None:
    head, _, attribute = path.partition(".")
    if attribute:
        state[head][attribute] = value
    else:
        state[head] = value


@cache
def _erased_by_path(event_cls: type, fields: tuple[str, ...]) -> tuple[tuple[str, Any], ...]:
    erased = []
    for path in fields:
        head, _, attribute = path.partition(".")
        annotation = get_type_hints(event_cls)[head]
        if attribute:
            annotation = get_type_hints(annotation)[attribute]
        erased.append((path, erased_value(annotation)))
    return tuple(erased)


def erased_values(event_cls: type, fields: tuple[str, ...]) -> dict[str, Any]:
    """Each personal field's erased value (fresh containers each time)."""
    return {path: _fresh(value) for path, value in _erased_by_path(event_cls, fields)}


def _fresh(value: Any) -> Any:
    return type(value)() if isinstance(value, list | dict) else value


def erased_value(annotation: Any) -> Any:
    """A field's erased value, by its declared type (see the module's docstring)."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        return ERASED if str in members else None
    if annotation is str:
        return ERASED
    if origin in (tuple, list, set, frozenset):
        return []
    if origin is dict:
        return {}
    raise TypeError(f"no erased value for a field of type {annotation!r}")
