"""Normalised text and the grams it is indexed by.

Normalisation makes variants compare equal: Unicode compatibility forms (full-width letters
and digits), case, and traditional Chinese (繁體) folded to simplified (简体) with zhconv.
Chinese has no spaces, so runs of Han characters are indexed by character bigrams (and a
single character by itself); other words by the whole word and its trigrams. Shared grams
then measure similarity, which tolerates a typo or a missing character.

A full-text engine indexes each distinct gram as one token (`tokens`), and `held_grams` tells
which grams a stored text holds without listing them (for ranking the engine's candidates).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import cache

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"([{_HAN}]+)|((?:(?![{_HAN}])[^\W_])+)")
_HAN_GRAM = re.compile(rf"[{_HAN}]")
WORD_MARK = "="  # a whole word's gram, so "usb" the word is not "usb" the trigram
TOKEN_SPACE = "_"  # a trigram's padding space in a token: never in a word run, nor a separator
MAX_TOKEN_CHARS = 100  # a longer gram (a very long word) is cut: engines limit a token's size


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


def tokens(normalized: str) -> list[str]:
    """The distinct grams of `index_grams`, in order of first appearance, each as one token
    of letters, digits, Han, `=` and `_`: what a full-text engine indexes a text by. A query's
    grams map to tokens the same way (`token`), so a cut gram still matches its text's."""
    return list(dict.fromkeys(map(token, index_grams(normalized))))


def token(gram: str) -> str:
    """One gram as a token: its spaces as `_`, at most `MAX_TOKEN_CHARS` characters."""
    return gram.replace(" ", TOKEN_SPACE)[:MAX_TOKEN_CHARS]


def held_grams(normalized: str, wanted: Sequence[str]) -> set[str]:
    """Those of the `wanted` grams (of `grams`) that `index_grams(normalized)` holds, found
    without listing the text's grams: a Han gram is a substring of the text (Han grams never
    span another character), a word's gram is one of its words, a trigram is in a padded word."""
    han = [gram for gram in wanted if _HAN_GRAM.match(gram)]
    others = [gram for gram in wanted if not _HAN_GRAM.match(gram)]
    held = {gram for gram in han if gram in normalized}
    if others:
        words = [run for run, is_han in runs(normalized) if not is_han]
        whole, padded = set(words), "".join(f" {w} " for w in words)
        held.update(
            gram
            for gram in others
            if (gram[1:] in whole if gram.startswith(WORD_MARK) else gram in padded)
        )
    return held
