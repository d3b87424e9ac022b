"""Normalised text and the grams it is indexed by.

Normalisation makes variants compare equal: Unicode compatibility forms (full-width letters
and digits), case, and traditional Chinese (繁體) folded to simplified (简体) with zhconv.
Chinese has no spaces, so runs of Han characters are indexed by character bigrams (and a
single character by itself); other words by the whole word and its trigrams. Shared grams
then measure similarity, which tolerates a typo or a missing character.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"([{_HAN}]+)|((?:(?![{_HAN}])[^\W_])+)")
WORD_MARK = "="  # a whole word's gram, so "usb" the word is not "usb" the trigram


def normalize(text: str) -> str:
    """The text as it is compared: NFKC, case-folded, simplified Chinese.

    Every step maps a character to exactly one character for the Han and Latin text we index
    (zhconv's phrase table keeps lengths), so offsets in the result point into the original
    when the lengths agree; `ranking.snippet` checks that before relying on it.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _simplified()(folded)


@cache
def _simplified() -> Callable[[str], str]:
    # Imported on first use, not at start-up: zhconv imports pkg_resources, which takes
    # a noticeable part of a second, in every process, whether it ever searches or not.
    import zhconv

    def convert(text: str) -> str:
        converted: str = zhconv.convert(text, "zh-hans")
        return converted

    return convert


def runs(normalized: str) -> list[tuple[str, bool]]:
    """The runs of word characters: (run, is_han)."""
    return [(han or word, bool(han)) for han, word in _RUNS.findall(normalized)]


def han_grams(run: str) -> list[str]:
    """A Han run's bigrams; one character is its own gram."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def word_grams(word: str) -> list[str]:
    """A word's own gram and the trigrams of the word padded with spaces."""
    padded = f" {word} "
    return [WORD_MARK + word, *(padded[i : i + 3] for i in range(len(padded) - 2))]


def grams(normalized: str) -> list[str]:
    """Every gram of normalised text, repeated as often as it occurs."""
    found: list[str] = []
    for run, is_han in runs(normalized):
        found.extend(han_grams(run) if is_han else word_grams(run))
    return found


def index_grams(normalized: str) -> list[str]:
    """The grams a document is indexed by: those of `grams` plus every single Han character,
    so a one-character query finds documents too."""
    singles = [ch for run, is_han in runs(normalized) if is_han and len(run) > 1 for ch in run]
    return grams(normalized) + singles
