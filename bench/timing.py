"""What the benchmarks share: medians of timed runs, messages and progress on stderr, and
generated Chinese text with planted phrases."""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence

from tqdm import tqdm

HAN = [chr(0x4E00 + n) for n in range(3_000)]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def progress(total: int, unit: str) -> tqdm:  # type: ignore[type-arg]
    """A progress bar on stderr when it is a terminal."""
    return tqdm(total=total, unit=unit, disable=not sys.stderr.isatty(), file=sys.stderr)


def median_ms(run: Callable[[], object], repeats: int) -> float:
    """The median time of `repeats` runs, in milliseconds."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def han_text(rng: random.Random, length: int, phrases: Sequence[str], share: float) -> str:
    """`length` random Han characters; with probability `share` one of `phrases` planted."""
    chars = "".join(rng.choices(HAN, k=length))
    if rng.random() < share:
        at = rng.randrange(length)
        chars = chars[:at] + rng.choice(phrases) + chars[at:]
    return chars
