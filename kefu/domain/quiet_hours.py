"""Do-not-disturb arithmetic (免打扰) for messages: when a message due now may go out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from kefu.domain.visit_rules import QuietHours


def release_time(due: datetime, zone: tzinfo, quiet: Sequence[QuietHours]) -> datetime:
    """The first moment at or after `due` outside every quiet window (local time of `zone`).

    A message due inside a window waits for its end; windows that touch or overlap are
    crossed one after another. Windows covering the whole day cannot be left: then the
    message goes at `due` rather than never (the customer asked for messages at all).
    """
    local = due.astimezone(zone)
    for _ in range(len(quiet) + 1):
        window = next((w for w in quiet if w.covers(local.time())), None)
        if window is None:
            return local.astimezone(due.tzinfo)
        local = window.end_after(local)
    return due
