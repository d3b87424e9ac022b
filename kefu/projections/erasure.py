"""Read models forget erased personal data: the rows of erased records are rewritten.

The views hold plaintext copies of personal fields (that is what clients read). When the log
records an erasure (`Customer.Erased`: a customer's request; `Erasure.Recorded`: a retention
period that ran out), every projection whose view holds personal data rewrites the rows of
the erased records in the same transaction as its position (`BatchProjection.process`), so a crash
never leaves a copy behind and a replay never erases twice. Counts, times and statuses are
untouched: statistics stay as they were. A rebuild reads the events with their keys
destroyed, so it makes the same erased rows.

Each such view says how its documents read once erased (kefu/projections/erased_documents.py):
exactly what its fold makes of the events whose keys are destroyed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from kefu.domain.customer import Customer
from kefu.domain.erasure import Erasure

ERASURE_EVENTS: tuple[type[Any], ...] = (Customer.Erased, Erasure.Recorded)


def erased_records(event: Any) -> tuple[UUID, ...]:
    """The records an erasure event names (none for any other event)."""
    if isinstance(event, ERASURE_EVENTS):
        return tuple(event.records)
    return ()


def chunks(ids: Sequence[str], size: int = 500) -> list[dict[str, str]]:
    """Named parameters for `IN (...)` lists of at most `size` ids."""
    return [
        {f"r{n}": i for n, i in enumerate(ids[start : start + size])}
        for start in range(0, len(ids), size)
    ]
