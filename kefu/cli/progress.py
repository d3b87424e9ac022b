"""Progress of long commands (rebuild, replay, archive export) on stderr.

On a terminal: a tqdm bar per piece of work (count, rate, time left) with the milestones written
above it. Anywhere else (a log file, a pipe, a CI job): one plain line per milestone, no bar and
no carriage returns, so the output stays parseable.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm import tqdm

from kefu.projections.progress import Advance


class TerminalProgress:
    """A progress reporter (kefu/projections/progress.py's `Bars`) for the `kefu` command."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.bars = self.stream.isatty()

    def __call__(self, message: str) -> None:
        line = f"  … {message}"
        if self.bars:
            tqdm.write(line, file=self.stream)  # above the bar being drawn
        else:
            print(line, file=self.stream, flush=True)

    @contextmanager
    def bar(self, what: str, total: int | None, unit: str) -> Iterator[Advance]:
        if not self.bars:
            yield lambda _: None
            return
        with tqdm(total=total, desc=what, unit=unit, file=self.stream, dynamic_ncols=True) as bar:
            yield bar.update
