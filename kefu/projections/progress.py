"""How long work (rebuild, replay, archive export) reports progress: messages for milestones,
and, when the reporter draws bars (the `kefu` command on a terminal), counts to draw them.

A plain `Callable[[str], None]` is a reporter: it hears the milestones only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol, runtime_checkable

Progress = Callable[[str], None]
Advance = Callable[[int], object]


@runtime_checkable
class Bars(Protocol):
    """A reporter that draws a bar: `bar(what, total, unit)` yields the function to advance it."""

    def __call__(self, message: str) -> None: ...

    def bar(self, what: str, total: int | None, unit: str) -> AbstractContextManager[Advance]: ...


def counting(
    progress: Progress, what: str, total: int | None, unit: str
) -> AbstractContextManager[Advance]:
    """`progress`'s bar for `what`, or a counter that shows nothing."""
    if isinstance(progress, Bars):
        return progress.bar(what, total, unit)
    return _uncounted()


@contextmanager
def _uncounted() -> Iterator[Advance]:
    yield lambda _: None
