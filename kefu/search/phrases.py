"""Finding listed phrases in a text, as the search normalises both (case, width, 繁/简)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kefu.search.text import normalize


@dataclass(frozen=True)
class Listed:
    """A phrase on a list, under its id."""

    phrase_id: str
    text: str


@dataclass(frozen=True)
class Found:
    """A listed phrase found in a text, and where (offsets into the normalised text, which are
    the original's whenever normalising kept the length)."""

    phrase_id: str
    phrase: str
    start: int
    end: int


def find_phrases(text: str, listed: Iterable[Listed]) -> list[Found]:
    """Every listed phrase the text contains (its first occurrence), in text order."""
    haystack = normalize(text)
    found = []
    for item in listed:
        needle = normalize(item.text).strip()
        at = haystack.find(needle) if needle else -1
        if at >= 0:
            found.append(Found(item.phrase_id, item.text, at, at + len(needle)))
    return sorted(found, key=lambda f: (f.start, f.phrase_id))
