"""Ordering hits and cutting snippets.

A hit's evidence (which query grams its title and its body hold, and whether either holds the
whole phrase) comes from the candidate's stored normalised text (`text.held_grams`), read with
the candidates the engine found; only the few hits returned are read again, for their snippets.
"""

from __future__ import annotations

from dataclasses import dataclass

from kefu.search.text import WORD_MARK

TITLE_WEIGHT = 3  # a query gram in the title counts three times one in the body
PHRASE_BONUS = 1.0  # the whole query as written, in the body
TITLE_PHRASE_BONUS = 2.0  # ... or in the title
SNIPPET_RADIUS = 40


@dataclass(frozen=True)
class Evidence:
    """What a candidate holds of the query: shares of its grams (0 to 1) and the phrase."""

    doc_id: str
    title_share: float
    body_share: float
    phrase_in_title: bool
    phrase_in_body: bool


@dataclass(frozen=True)
class Hit:
    """A ranked result: its score (higher first) and a snippet of its body around the match."""

    doc_id: str
    score: float
    snippet: str


def score(e: Evidence) -> float:
    """Gram coverage (title weighted) plus a bonus for the exact phrase; rounded to be stable."""
    value = (TITLE_WEIGHT * e.title_share + e.body_share) / (TITLE_WEIGHT + 1)
    if e.phrase_in_title:
        value += TITLE_PHRASE_BONUS
    elif e.phrase_in_body:
        value += PHRASE_BONUS
    return round(value, 6)


def snippet(query_norm: str, query_grams: set[str], body: str, body_norm: str) -> str:
    """About 80 characters of the body around the phrase, or else around the first gram found;
    the start of the body when nothing matches there. Cut from the original text when
    normalising kept its length (so offsets agree), else from the normalised text."""
    at = _first_match(query_norm, query_grams, body_norm)
    text = body if len(body) == len(body_norm) else body_norm
    start = max(at - SNIPPET_RADIUS, 0)
    end = min(start + SNIPPET_RADIUS * 2, len(text))
    cut = " ".join(text[start:end].split())
    return ("…" if start > 0 else "") + cut + ("…" if end < len(text) else "")


def _first_match(query_norm: str, query_grams: set[str], body_norm: str) -> int:
    if query_norm and query_norm in body_norm:
        return body_norm.index(query_norm)
    pieces = (g.removeprefix(WORD_MARK).strip() for g in query_grams)
    hits = [i for i in (body_norm.find(p) for p in pieces if p) if i >= 0]
    return min(hits) if hits else 0
