"""A search index on the backend's own full-text machinery, in a view's own tables.

The owning view includes `create_statements()` in its DDL and calls `put`/`drop` in the
transaction that writes its rows (so the index is exactly as current as the view, and is
rebuilt with it). Every document's text is kept in `{name}_search_texts` (as written and
normalised: for snippets, the phrase check and re-indexing), and its grams (`text.tokens`,
one token each) are indexed by the engine:

- SQLite: a contentless FTS5 table `{name}_search_fts` (columns title and body, the `ascii`
  tokenizer with `=` and `_` as token characters, so one gram is one token), whose rowid is the
  document's `num`. A document's old tokens are recomputed from its stored normalised text to
  delete them (FTS5's 'delete' command), so only the grams are stored, never the text twice.
- PostgreSQL: a `tsvector` column `grams` of the document's distinct tokens
  (`array_to_tsvector`: no parser, no dictionary) with a GIN index.

`search` asks the engine for the documents holding every query gram (exact, then the phrase
by `LIKE`, those with it in the title first) or any of them (fuzzy, the engine's best by its
own rank), at most `ENGINE_CANDIDATES`, with the owner's filters in the same statement, then
ranks them in Python from their normalised text.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kefu.projections.sql import Row, Tx
from kefu.search.ranking import TITLE_WEIGHT, Evidence, Hit, score, snippet
from kefu.search.text import grams, held_grams, normalize, token, tokens

FUZZY_SHARE = 0.5  # a fuzzy hit shares at least half of the query's grams
CANDIDATES = 200  # the most hits a caller asks for (a list's `?q=` considers these)
ENGINE_CANDIDATES = 1000  # ranked in Python at most (fuzzy: the engine's best by its rank)
MAX_QUERY_GRAMS = 64
CHUNK = 500  # documents named in one statement
TSVECTOR_BUDGET = 900_000  # bytes of tokens in one tsvector (PostgreSQL allows 1 MB in all)
# FTS5 over the tokens joined by spaces: the `ascii` tokenizer keeps every non-ASCII character
# in a token and splits at ASCII punctuation and spaces, but for the gram marks `=` and `_`.
FTS5_OPTIONS = "content='', detail=column, tokenize=\"ascii tokenchars '=_'\""
# The tables of the hand-built gram index this one replaced (texts, postings): dropped at start.
OBSOLETE_TABLES = ("docs", "grams")


class EmptyQuery(ValueError):
    """The query has no letters, digits or Han characters to search for."""


@dataclass(frozen=True)
class SearchQuery:
    """What to look for, and which of the owner's rows may match.

    `where` is a trusted SQL condition on the owner's table (aliased `b`) with its `params`;
    `exact` asks for the phrase as written (after normalisation), else similar text matches.
    """

    text: str
    exact: bool = False
    where: Sequence[str] = ()
    params: Mapping[str, object] = field(default_factory=dict)
    limit: int = 20
    min_share: float | None = None  # of the query's grams a hit shares; by `exact` when None


@dataclass(frozen=True)
class _Stored:
    num: int  # SQLite: the document's FTS5 rowid (PostgreSQL: 0)
    title_norm: str
    body_norm: str


class SearchIndex:
    """The tables `{name}_search_texts` (and on SQLite `{name}_search_fts`) of one view."""

    def __init__(self, name: str, owner_table: str) -> None:
        self.docs = f"{name}_search_texts"
        self.fts = f"{name}_search_fts"
        self.obsolete = tuple(f"{name}_search_{table}" for table in OBSOLETE_TABLES)
        self.owner_table = owner_table

    def create_statements(self, postgres: bool) -> tuple[str, ...]:
        texts = "title TEXT NOT NULL, body TEXT NOT NULL, title_norm TEXT NOT NULL, body_norm TEXT"
        drops = tuple(f"DROP TABLE IF EXISTS {table}" for table in self.obsolete)
        if postgres:
            return (
                *drops,
                f"CREATE TABLE IF NOT EXISTS {self.docs} (doc_id TEXT PRIMARY KEY, {texts} "
                "NOT NULL, grams TSVECTOR NOT NULL)",
                # No pending list: with one, a query scans it whole, and the planner, seeing it,
                # prefers reading every row's tsvector (25 ms instead of 1 at 1,000 tickets).
                f"CREATE INDEX IF NOT EXISTS {self.docs}_grams ON {self.docs} "
                "USING GIN (grams) WITH (fastupdate = off)",
            )
        return (
            *drops,
            f"CREATE TABLE IF NOT EXISTS {self.docs} (num INTEGER PRIMARY KEY, "
            f"doc_id TEXT NOT NULL UNIQUE, {texts} NOT NULL)",
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.fts} "
            f"USING fts5(title, body, {FTS5_OPTIONS})",
        )

    def put(self, tx: Tx, doc_id: str, title: str, body: str) -> None:
        """Indexes (or re-indexes) one document."""
        self.put_many(tx, {doc_id: (title, body)})

    def put_many(self, tx: Tx, docs: Mapping[str, tuple[str, str]]) -> None:
        """Indexes (or re-indexes) documents (id → title, body) in a few statements: the
        engine's tokens are rewritten only for the documents whose normalised text changed."""
        if not docs:
            return
        ids = list(docs)
        old = self._stored(tx, ids)
        new = {
            doc_id: (normalize(title), normalize(body)) for doc_id, (title, body) in docs.items()
        }
        changed = [
            doc_id
            for doc_id in ids
            if doc_id not in old or (old[doc_id].title_norm, old[doc_id].body_norm) != new[doc_id]
        ]
        if tx.is_postgres:
            self._put_postgres(tx, docs, new, set(changed))
        else:
            self._put_sqlite(tx, docs, new, old, changed)

    def _put_postgres(
        self,
        tx: Tx,
        docs: Mapping[str, tuple[str, str]],
        new: Mapping[str, tuple[str, str]],
        changed: set[str],
    ) -> None:
        tx.executemany_values(
            f"UPDATE {self.docs} SET title = :title, body = :body WHERE doc_id = :doc_id",
            [(*docs[doc_id], doc_id) for doc_id in docs if doc_id not in changed],
        )
        tx.executemany_values(
            f"INSERT INTO {self.docs} (doc_id, title, body, title_norm, body_norm, grams) "
            "VALUES (:doc_id, :title, :body, :title_norm, :body_norm, "
            "array_to_tsvector(CAST(:grams AS TEXT[]))) ON CONFLICT (doc_id) DO UPDATE SET "
            "title = excluded.title, body = excluded.body, title_norm = excluded.title_norm, "
            "body_norm = excluded.body_norm, grams = excluded.grams",
            [
                (
                    doc_id,
                    *docs[doc_id],
                    *new[doc_id],
                    _within_tsvector(tokens(" ".join(new[doc_id]))),
                )
                for doc_id in docs
                if doc_id in changed
            ],
        )

    def _put_sqlite(
        self,
        tx: Tx,
        docs: Mapping[str, tuple[str, str]],
        new: Mapping[str, tuple[str, str]],
        old: Mapping[str, _Stored],
        changed: list[str],
    ) -> None:
        added = [doc_id for doc_id in docs if doc_id not in old]
        nums = {doc_id: old[doc_id].num for doc_id in old}
        nums.update(self._new_nums(tx, added))
        tx.executemany_values(
            f"UPDATE {self.docs} SET title = :title, body = :body, title_norm = :title_norm, "
            "body_norm = :body_norm WHERE num = :num",
            [(*docs[d], *new[d], nums[d]) for d in docs if d in old],
        )
        tx.executemany_values(
            f"INSERT INTO {self.docs} (num, doc_id, title, body, title_norm, body_norm) "
            "VALUES (:num, :doc_id, :title, :body, :title_norm, :body_norm)",
            [(nums[d], d, *docs[d], *new[d]) for d in added],
        )
        self._forget_sqlite(tx, [old[d] for d in changed if d in old])
        tx.executemany_values(
            f"INSERT INTO {self.fts} (rowid, title, body) VALUES (:num, :title, :body)",
            [(nums[d], *map(_token_text, new[d])) for d in changed],
        )

    def _new_nums(self, tx: Tx, added: Sequence[str]) -> dict[str, int]:
        """New documents' numbers: from their id, so the table is the same however the
        documents were batched (a rebuild or a replay compares it); a number taken already,
        which is as likely as two ids' 63-bit digests meeting, moves to the next free one."""
        wanted = {doc_id: _num(doc_id) for doc_id in added}
        taken = self._taken(tx, list(wanted.values()))
        nums: dict[str, int] = {}
        for doc_id, num in wanted.items():
            while num in taken:
                num += 1
                taken |= self._taken(tx, [num])
            nums[doc_id] = num
            taken.add(num)
        return nums

    def _taken(self, tx: Tx, nums: Sequence[int]) -> set[int]:
        taken: set[int] = set()
        for start in range(0, len(nums), CHUNK):
            marks = {f"n{n}": num for n, num in enumerate(nums[start : start + CHUNK])}
            tx.execute(f"SELECT num FROM {self.docs} WHERE num IN ({_marks(marks)})", marks)
            taken.update(int(r["num"]) for r in tx.fetchall())
        return taken

    def _forget_sqlite(self, tx: Tx, stored: Sequence[_Stored]) -> None:
        """Deletes documents' tokens from the FTS5 table: the very tokens they were indexed
        by, recomputed from their stored normalised text (a contentless table keeps none)."""
        tx.executemany_values(
            f"INSERT INTO {self.fts} ({self.fts}, rowid, title, body) "
            "VALUES ('delete', :num, :title, :body)",
            [(s.num, _token_text(s.title_norm), _token_text(s.body_norm)) for s in stored],
        )

    def _stored(self, tx: Tx, ids: Sequence[str]) -> dict[str, _Stored]:
        """The stored normalised text (and SQLite number) of the documents in the index."""
        num = "0" if tx.is_postgres else "num"
        found: dict[str, _Stored] = {}
        for start in range(0, len(ids), CHUNK):
            docs = {f"d{n}": i for n, i in enumerate(ids[start : start + CHUNK])}
            tx.execute(
                f"SELECT doc_id, {num} AS num, title_norm, body_norm FROM {self.docs} "
                f"WHERE doc_id IN ({_marks(docs)})",
                docs,
            )
            found.update(
                {
                    r["doc_id"]: _Stored(int(r["num"]), r["title_norm"], r["body_norm"])
                    for r in tx.fetchall()
                }
            )
        return found

    def texts(self, tx: Tx, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """The indexed (title, body) of those documents that are in the index."""
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(ids), CHUNK):
            docs = {f"d{n}": i for n, i in enumerate(ids[start : start + CHUNK])}
            tx.execute(
                f"SELECT doc_id, title, body FROM {self.docs} WHERE doc_id IN ({_marks(docs)})",
                docs,
            )
            found.update({r["doc_id"]: (r["title"], r["body"]) for r in tx.fetchall()})
        return found

    def drop(self, tx: Tx, doc_id: str) -> None:
        """Removes a document from the index (nothing happens when it is not there). On SQLite
        its tokens are marked deleted; `purge` removes them from the stored index itself."""
        old = self._stored(tx, [doc_id])
        if doc_id not in old:
            return
        if not tx.is_postgres:
            self._forget_sqlite(tx, [old[doc_id]])
        tx.execute(f"DELETE FROM {self.docs} WHERE doc_id = :doc_id", {"doc_id": doc_id})

    def purge(self, tx: Tx) -> None:
        """Leaves no trace of dropped or re-indexed text in the index (an erasure). SQLite:
        FTS5 keeps a deleted document's tokens, marked deleted, until its segments are merged,
        so every segment is merged into one ('optimize': the whole index is rewritten).
        PostgreSQL: the row and its tsvector are gone from every query already."""
        if not tx.is_postgres:
            tx.execute(f"INSERT INTO {self.fts} ({self.fts}) VALUES ('optimize')")

    def search(self, tx: Tx, query: SearchQuery) -> list[Hit]:
        """The best hits, best first (ties by id), each with a snippet."""
        query_norm = " ".join(normalize(query.text).split())
        wanted = list(dict.fromkeys(grams(query_norm)))[:MAX_QUERY_GRAMS]
        if not wanted:
            raise EmptyQuery("the query has nothing to search for")
        share = query.min_share if query.min_share is not None else FUZZY_SHARE
        need = len(wanted) if query.exact else max(1, math.ceil(len(wanted) * share))
        evidence = []
        for row in self._candidates(tx, query, query_norm, wanted):
            title, body = row["title_norm"], row["body_norm"]
            in_title, in_body = held_grams(title, wanted), held_grams(body, wanted)
            if len(in_title | in_body) >= need:
                n = len(wanted)
                evidence.append(
                    Evidence(
                        row["doc_id"],
                        len(in_title) / n,
                        len(in_body) / n,
                        query_norm in title,
                        query_norm in body,
                    )
                )
        ranked = sorted(evidence, key=lambda e: (-score(e), e.doc_id))[: query.limit]
        texts = self._bodies(tx, [e.doc_id for e in ranked])
        gram_set = set(wanted)
        return [
            Hit(e.doc_id, score(e), snippet(query_norm, gram_set, *texts[e.doc_id])) for e in ranked
        ]

    def _candidates(
        self, tx: Tx, query: SearchQuery, query_norm: str, wanted: list[str]
    ) -> list[Row]:
        """The documents the engine finds (every gram when exact, else any), among the owner's
        rows that `query.where` admits, the best first: id and normalised text.

        Exact: those holding the phrase in their title first (the best scores), then by id:
        every match is read for the phrase already, while the engine's rank would read each
        one's tokens too (PostgreSQL: about 20 µs a document). Fuzzy: by the engine's rank."""
        params: dict[str, object] = {**query.params, "cap": ENGINE_CANDIDATES}
        conditions = [f"({w})" for w in query.where]
        terms = list(dict.fromkeys(map(token, wanted)))
        columns = "d.doc_id AS doc_id, d.title_norm AS title_norm, d.body_norm AS body_norm"
        if query.exact:
            in_title = "d.title_norm LIKE :phrase ESCAPE '!'"
            conditions.append(f"({in_title} OR d.body_norm LIKE :phrase ESCAPE '!')")
            params["phrase"] = "%" + _escape_like(query_norm) + "%"
            order = f"CASE WHEN {in_title} THEN 0 ELSE 1 END, d.doc_id"
        elif tx.is_postgres:
            order = "ts_rank(d.grams, CAST(:match AS TSQUERY)) DESC, d.doc_id"
        else:
            order = f"bm25({self.fts}, {TITLE_WEIGHT}.0, 1.0), d.doc_id"
        if tx.is_postgres:
            params["match"] = (" & " if query.exact else " | ").join(map(_lexeme, terms))
            match = "d.grams @@ CAST(:match AS TSQUERY)"
            statement = (
                f"SELECT {columns} FROM {self.docs} d JOIN {self.owner_table} b ON b.id = d.doc_id "
                f"WHERE {' AND '.join([match, *conditions])} ORDER BY {order} LIMIT :cap"
            )
        else:
            params["match"] = (" AND " if query.exact else " OR ").join(map(_phrase, terms))
            statement = (
                f"SELECT {columns} FROM {self.fts} JOIN {self.docs} d ON d.num = {self.fts}.rowid "
                f"JOIN {self.owner_table} b ON b.id = d.doc_id "
                f"WHERE {' AND '.join([f'{self.fts} MATCH :match', *conditions])} "
                f"ORDER BY {order} LIMIT :cap"
            )
        tx.execute(statement, params, plan_each_time=True)
        return tx.fetchall()

    def _bodies(self, tx: Tx, ids: list[str]) -> dict[str, tuple[str, str]]:
        if not ids:
            return {}
        docs = {f"d{n}": i for n, i in enumerate(ids)}
        tx.execute(
            f"SELECT doc_id, body, body_norm FROM {self.docs} WHERE doc_id IN ({_marks(docs)})",
            docs,
        )
        return {r["doc_id"]: (r["body"], r["body_norm"]) for r in tx.fetchall()}


def _num(doc_id: str) -> int:
    """A document's FTS5 row number: 63 bits of a digest of its id (a positive SQLite integer)."""
    return int.from_bytes(hashlib.blake2b(doc_id.encode(), digest_size=8).digest()) >> 1


def _token_text(normalized: str) -> str:
    """A text's tokens as FTS5 reads them: joined by spaces."""
    return " ".join(tokens(normalized))


def _within_tsvector(found: list[str]) -> list[str]:
    """The tokens that fit one tsvector (a text of hundreds of thousands of distinct words
    is indexed by its first ones)."""
    kept, size = [], 0
    for t in found:
        size += len(t.encode()) + 8  # the lexeme and its entry, aligned
        if size > TSVECTOR_BUDGET:
            break
        kept.append(t)
    return kept


def _lexeme(term: str) -> str:
    """A token as a quoted tsquery lexeme (taken as written: no parser, no dictionary)."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _phrase(term: str) -> str:
    """A token as an FTS5 query string (quoted: `=` and `_` are not bareword characters)."""
    return '"' + term.replace('"', '""') + '"'


def _marks(params: Mapping[str, object]) -> str:
    return ", ".join(":" + k for k in params)


def _escape_like(text: str) -> str:
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
