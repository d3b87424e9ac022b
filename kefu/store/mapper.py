"""Stored-event serialisation with msgspec, decoding each event by its class's declared types."""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, ClassVar, cast, get_origin, get_type_hints
from uuid import UUID

import msgspec
from eventsourcing.domain import CanSnapshotAggregate, DomainEventProtocol
from eventsourcing.persistence import (
    Cipher,
    Compressor,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
    find_id_convertor,
)
from eventsourcing.utils import get_topic, resolve_topic

from kefu.store.personal_fields import PersonalFields, is_sealed, sealed_key_id

_ORIGINATOR_FIELDS = frozenset({"originator_id", "originator_version"})

# decimal_format="string" is msgspec's default: Decimals are stored as exact strings.
_encoder = msgspec.json.Encoder()
_untyped_decoder = msgspec.json.Decoder(dict[str, Any])

_StructField = tuple[str, Any] | tuple[str, Any, Any]


class MsgspecMapper(Mapper[UUID]):
    """Maps domain events to stored events as msgspec JSON, and back by declared types.

    The stored state is ``vars(event)`` without ``originator_id`` and
    ``originator_version``, encoded natively by msgspec (UUID, aware datetime, Decimal as
    a string, enum by value, dataclasses as objects). Decoding uses a Struct built from
    the event class's type hints, so every value comes back as its declared type.

    Upcasting follows eventsourcing: a class with ``class_version`` N > 1 stores
    ``class_version`` and is read through ``upcast_vK_vK+1(state)`` static methods. The
    upcasters see the state in its stored JSON form (strings for UUID, datetime and
    Decimal, enum values, dicts for dataclasses) without the originator fields; they may
    assign JSON or typed values, and the result is then converted to the declared types.

    eventsourcing's ``Snapshot`` declares ``state: dict[str, Any]``, so snapshot state
    comes back as plain JSON values; typed snapshot state is left to the audit work.

    Personal fields are sealed per record by `personal` (`kefu/store/personal_fields.py`)
    before the state is encoded, and opened (or read as erased) before it is decoded.

    The transcoder argument exists only to match ``Mapper.__init__`` (and eventsourcing's
    factory, which always passes one); it is never used.
    """

    def __init__(
        self,
        transcoder: Transcoder | None = None,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
        personal: PersonalFields | None = None,
    ) -> None:
        super().__init__(transcoder or _UnusedTranscoder(), compressor, cipher)
        self.personal = personal

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """Encodes the event's own state with msgspec, then compresses and encrypts it."""
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        topic = get_topic(type(domain_event))
        if self.personal is not None:
            state = self.personal.seal_state(
                type(domain_event), originator_id, originator_version, topic, state
            )
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=topic,
            state=self._seal(_encoder.encode(state)),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """Rebuilds the event, with the types its class declares, as the base Mapper does."""
        return self._to_domain_event(stored_event, self._unseal(stored_event.state))

    def to_domain_events(
        self, stored_events: Sequence[StoredEvent]
    ) -> list[DomainEventProtocol[UUID]]:
        """Rebuilds many events; the data keys their sealed fields need are read together
        first (one look-up for the batch instead of one per record)."""
        data = [self._unseal(stored.state) for stored in stored_events]
        if self.personal is not None and self.personal.keys is not None:
            self.personal.keys.prefetch(k for d in data if (k := sealed_key_id(d)) is not None)
        return [self._to_domain_event(s, d) for s, d in zip(stored_events, data, strict=True)]

    def _to_domain_event(self, stored_event: StoredEvent, data: bytes) -> DomainEventProtocol[UUID]:
        cls = resolve_topic(stored_event.topic)
        try:
            if self.personal is not None and is_sealed(data):
                opened = self.personal.open_state(
                    cls,
                    UUID(str(stored_event.originator_id)),
                    stored_event.originator_version,
                    stored_event.topic,
                    data,
                )
                state = _convert_state(cls, opened)
            else:
                state = _decode_state(cls, data)
        except Exception as error:
            msg = _deserialisation_failure(stored_event, error)
            raise MapperDeserialisationError(msg) from error
        to_id = find_id_convertor(cls, cast("Hashable", type(stored_event.originator_id)))
        state["originator_id"] = to_id(stored_event.originator_id)
        state["originator_version"] = stored_event.originator_version
        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", state)
        return cast("DomainEventProtocol[UUID]", domain_event)

    def _seal(self, data: bytes) -> bytes:
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return data

    def _unseal(self, data: bytes) -> bytes:
        if self.cipher:
            data = self.cipher.decrypt(data)
        if self.compressor:
            data = self.compressor.decompress(data)
        return data


class _UnusedTranscoder(Transcoder):
    """Fills Mapper's transcoder slot: MsgspecMapper encodes with msgspec instead."""

    def encode(self, obj: Any) -> bytes:
        raise NotImplementedError("MsgspecMapper does not use a transcoder")

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError("MsgspecMapper does not use a transcoder")


def _decode_state(event_cls: type, data: bytes) -> dict[str, Any]:
    if _is_snapshot(event_cls):
        return _decode_snapshot(data)
    class_version: int = getattr(event_cls, "class_version", 1)
    if class_version == 1:
        return msgspec.structs.asdict(_typed_decoder(event_cls).decode(data))
    return _upcast_and_convert(event_cls, class_version, _untyped_decoder.decode(data))


def _convert_state(event_cls: type, state: dict[str, Any]) -> dict[str, Any]:
    """A state given as JSON values (an opened sealed state), typed as its class declares."""
    class_version: int = getattr(event_cls, "class_version", 1)
    if class_version == 1:
        return msgspec.structs.asdict(
            msgspec.convert(state, _state_struct(event_cls), str_keys=True)
        )
    return _upcast_and_convert(event_cls, class_version, state)


def _upcast_and_convert(
    event_cls: type, class_version: int, state: dict[str, Any]
) -> dict[str, Any]:
    from_version = state.pop("class_version", 1)
    while from_version < class_version:
        getattr(event_cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
        from_version += 1
    # The round trip through builtins lets upcasters assign typed values as well as JSON.
    builtins = msgspec.to_builtins(state)
    return msgspec.structs.asdict(
        msgspec.convert(builtins, _state_struct(event_cls), str_keys=True)
    )


def _is_snapshot(event_cls: type) -> bool:
    return issubclass(event_cls, CanSnapshotAggregate)


class _SnapshotEnvelope(msgspec.Struct):
    timestamp: datetime
    topic: str
    state: dict[str, Any]


def _decode_snapshot(data: bytes) -> dict[str, Any]:
    """A snapshot's state, typed by the aggregate class's annotations where it declares them.

    Attributes the aggregate does not annotate keep their JSON values, so an aggregate that
    is snapshotted must annotate every attribute (a test checks this for each one).
    """
    envelope = msgspec.json.decode(data, type=_SnapshotEnvelope)
    typed = msgspec.convert(envelope.state, _aggregate_struct(resolve_topic(envelope.topic)))
    values = {k: v for k, v in msgspec.structs.asdict(typed).items() if v is not msgspec.UNSET}
    return {
        "timestamp": envelope.timestamp,
        "topic": envelope.topic,
        "state": {**envelope.state, **values},
    }


@cache
def _aggregate_struct(aggregate_cls: type) -> type[msgspec.Struct]:
    hints = {"_created_on": datetime, "_modified_on": datetime}
    hints.update(
        (name, annotation)
        for name, annotation in get_type_hints(aggregate_cls).items()
        if _is_instance_field(annotation)
    )
    fields = [
        (name, annotation | msgspec.UnsetType, msgspec.UNSET) for name, annotation in hints.items()
    ]
    return msgspec.defstruct(f"{aggregate_cls.__name__}Snapshot", fields, kw_only=True)


def _deserialisation_failure(stored_event: StoredEvent, error: Exception) -> str:
    return (
        f"Failed to deserialise state of stored event with "
        f"topic '{stored_event.topic}', "
        f"originator_id '{stored_event.originator_id}' and "
        f"originator_version {stored_event.originator_version}: {error}"
    )


@cache
def _typed_decoder(event_cls: type) -> msgspec.json.Decoder[msgspec.Struct]:
    return msgspec.json.Decoder(_state_struct(event_cls))


@cache
def _state_struct(event_cls: type) -> type[msgspec.Struct]:
    """The Struct of an event class's own state: its declared fields minus the originator's."""
    defaults = _field_defaults(event_cls)
    fields = [
        _struct_field(name, annotation, defaults)
        for name, annotation in get_type_hints(event_cls).items()
        if name not in _ORIGINATOR_FIELDS and _is_instance_field(annotation)
    ]
    return msgspec.defstruct(
        f"{event_cls.__name__}State", fields, module=event_cls.__module__, kw_only=True
    )


def _is_instance_field(annotation: Any) -> bool:
    is_class_var = annotation is ClassVar or get_origin(annotation) is ClassVar
    return not is_class_var and not isinstance(annotation, dataclasses.InitVar)


def _field_defaults(event_cls: type) -> dict[str, Any]:
    if not dataclasses.is_dataclass(event_cls):
        return {}
    defaults: dict[str, Any] = {}
    for field in dataclasses.fields(event_cls):
        if field.default is not dataclasses.MISSING:
            defaults[field.name] = field.default
        elif field.default_factory is not dataclasses.MISSING:
            defaults[field.name] = msgspec.field(default_factory=field.default_factory)
    return defaults


def _struct_field(name: str, annotation: Any, defaults: dict[str, Any]) -> _StructField:
    if name in defaults:
        return (name, annotation, defaults[name])
    return (name, annotation)
