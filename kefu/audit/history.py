"""A stream's history, its state at a past moment, and what changed between two versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.application import AggregateNotFoundError

from kefu.application import ServiceDesk
from kefu.audit.records import event_record
from kefu.domain.errors import NotFound
from kefu.store.times import db_time

_PRIVATE = {"_pending_events"}
_RENAMED = {
    "_id": "id",
    "_version": "version",
    "_created_on": "created_on",
    "_modified_on": "modified_on",
}


def stream_events(
    app: ServiceDesk, stream: UUID, since: datetime | None, until: datetime | None
) -> list[dict[str, Any]]:
    """Every event of one stream with its metadata and log position, optionally in a time range."""
    links = {link.originator_version: link for link in app.chain.stream_links(stream)}
    if not links:
        raise NotFound("stream", stream)
    low, high = db_time(since), db_time(until)
    records = []
    for event in app.events.get(stream):
        link = links.get(event.originator_version)
        moment = link.occurred_at if link else None
        if (low and (moment or "") < low) or (high and (moment or "") >= high):
            continue
        records.append({**event_record(event), "position": link.position if link else None})
    return records


def state_at(
    app: ServiceDesk, stream: UUID, at: datetime | None, version: int | None
) -> dict[str, Any]:
    """The aggregate as it stood at a time or version, and the event that made it so."""
    if version is None:
        assert at is not None
        version = app.chain.version_at(stream, db_time(at) or "")
        if version is None:
            raise NotFound("stream state at that time", stream)
    try:
        aggregate: Any = app.repository.get(stream, version=version)
    except AggregateNotFoundError:
        raise NotFound("stream", stream) from None
    if aggregate.version != version:
        raise NotFound(f"version {version} of stream", stream)
    (last,) = app.events.get(stream, gt=version - 1, lte=version)
    return {
        "id": stream,
        "version": version,
        "kind": type(aggregate).__name__,
        "produced_by": event_record(last),
        "state": aggregate_state(aggregate),
    }


def aggregate_state(aggregate: Any) -> dict[str, Any]:
    """The aggregate's attributes as JSON-ready values."""
    state = {
        _RENAMED.get(k, k.lstrip("_")): v for k, v in vars(aggregate).items() if k not in _PRIVATE
    }
    return dict(msgspec.to_builtins(state))


def diff(app: ServiceDesk, stream: UUID, v1: int, v2: int) -> dict[str, Any]:
    """Which fields changed between two versions, from what to what."""
    before = state_at(app, stream, None, v1)["state"]
    after = state_at(app, stream, None, v2)["state"]
    changed = {
        name: {"from": before.get(name), "to": after.get(name)}
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }
    return {"id": stream, "from_version": v1, "to_version": v2, "changes": changed}
