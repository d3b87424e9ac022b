"""Events as auditors read them."""

from __future__ import annotations

from typing import Any

import msgspec

_ENVELOPE = {"originator_id", "originator_version", "timestamp", "meta", "originator_topic"}


def event_record(event: Any) -> dict[str, Any]:
    """One event: its type, version, time, metadata (who, in which role, why) and data."""
    return {
        "version": event.originator_version,
        "type": type(event).__qualname__.split(".")[-1],
        "at": event.timestamp,
        "metadata": msgspec.to_builtins(getattr(event, "meta", None)),
        "data": msgspec.to_builtins({k: v for k, v in vars(event).items() if k not in _ENVELOPE}),
    }
