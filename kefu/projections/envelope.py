"""The JSON shape in which an event leaves the desk (webhooks and the event stream)."""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import msgspec

from kefu.domain.event_kinds import aggregate_kind_of, kind_of_topic

EVENT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:kefu:event")
_ENVELOPE_FIELDS = {"originator_id", "originator_version", "timestamp", "meta", "originator_topic"}
_encoder = msgspec.json.Encoder()


def event_id(aggregate_id: UUID, version: int) -> UUID:
    """An event's stable id: the same on every delivery and replay (the idempotency key)."""
    return uuid5(EVENT_NAMESPACE, f"{aggregate_id}:{version}")


def envelope(event: Any, topic: str, position: int) -> dict[str, Any]:
    """Event id, kind, aggregate id and version, log position, time, metadata and payload."""
    kind = kind_of_topic(topic)
    state = {k: v for k, v in vars(event).items() if k not in _ENVELOPE_FIELDS}
    return {
        "id": event_id(event.originator_id, event.originator_version),
        "kind": kind,
        "aggregate_kind": aggregate_kind_of(kind),
        "aggregate_id": event.originator_id,
        "aggregate_version": event.originator_version,
        "position": position,
        "at": event.timestamp,
        "metadata": msgspec.to_builtins(getattr(event, "meta", None)),
        "payload": msgspec.to_builtins(state),
    }


def encode(body: Any) -> bytes:
    return _encoder.encode(body)
