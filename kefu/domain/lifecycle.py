"""Reading a lifecycle table (state → {action → next state, or None: stays}), for every aggregate.

Each aggregate keeps ONE declarative table in its own `*_lifecycle` module; these functions are
how the aggregate enforces it, how read models replay it, and how the docs print it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

S = TypeVar("S", bound=StrEnum)
A = TypeVar("A", bound=StrEnum)


def allowed_in(table: Mapping[S, Mapping[A, S | None]], status: S) -> tuple[str, ...]:
    """The actions the table allows in `status`, in the table's order."""
    return tuple(action.value for action in table[status])


def follow(table: Mapping[S, Mapping[A, S | None]], status: S, action: A) -> S:
    """The state `action` leads to from `status`; KeyError if the table does not allow it."""
    return table[status][action] or status


def status_after(
    table: Mapping[S, Mapping[A, S | None]],
    event_actions: Mapping[type[object], A],
    status: S,
    event: object,
) -> S:
    """The status after a stored event: its action replayed through the table (read models use
    the aggregate's own table, so there is one source of truth); unchanged if it is no action."""
    action = event_actions.get(type(event))
    return status if action is None else follow(table, status, action)


def table_markdown(table: Mapping[S, Mapping[A, S | None]]) -> str:
    """The table as Markdown: one row per allowed (state, action), terminal states marked."""
    lines = ["| state | action | next state |", "|---|---|---|"]
    for status, row in table.items():
        lines.extend(
            f"| {status} | {action} | {target or status} |" for action, target in row.items()
        )
        if not row:
            lines.append(f"| {status} | (none: terminal) | |")
    return "\n".join(lines)
