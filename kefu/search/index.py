"""A search index kept in a view's own tables: grams per document, and its normalised text.

The owning view includes `create_statements()` in its DDL and calls `put`/`drop` in the
transaction that writes its rows (so the index is exactly as current as the view, and is
rebuilt with it). `search` narrows candidates by shared grams in SQL, filtered by the
owner's own table, then ranks them in Python. The SQL is the same on both backends.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from kefu.projections.sql import Tx
from kefu.search.ranking import TITLE_WEIGHT, Evidence, Hit, score, snippet
from kefu.search.text import grams, index_grams, normalize

FUZZY_SHARE = 0.5  # a fuzzy hit shares at least half of the query's grams
CANDIDATES = 200  # ranked in Python at most; the best by shared grams come first
MAX_QUERY_GRAMS = 64
CHUNK = 500  # documents named in one statement


Posting = tuple[str, str, int, int]  # gram, doc_id, count in the title, count in the body


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


class SearchIndex:
    """The tables `{name}_search_docs` and `{name}_search_grams` of one owning view."""

    def __init__(self, name: str, owner_table: str) -> None:
        self.docs = f"{name}_search_docs"
        self.grams = f"{name}_search_grams"
        self.owner_table = owner_table

    def create_statements(self, postgres: bool) -> tuple[str, ...]:
        # SQLite: the postings clustered by (gram, doc_id), not in a rowid table plus an index.
        # No index by document: a document's postings are found from its stored normalised
        # text (its grams), so each posting costs one B-tree entry, not two.
        clustered = "" if postgres else " WITHOUT ROWID"
        return (
            f"CREATE TABLE IF NOT EXISTS {self.docs} (doc_id TEXT PRIMARY KEY, title TEXT NOT "
            "NULL, body TEXT NOT NULL, title_norm TEXT NOT NULL, body_norm TEXT NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.grams} (gram TEXT NOT NULL, doc_id TEXT NOT NULL, "
            "in_title INTEGER NOT NULL, in_body INTEGER NOT NULL, weight INTEGER NOT NULL, "
            f"PRIMARY KEY (gram, doc_id)){clustered}",
        )

    def put(self, tx: Tx, doc_id: str, title: str, body: str) -> None:
        """Indexes (or re-indexes) one document."""
        self.put_many(tx, {doc_id: (title, body)})

    def put_many(self, tx: Tx, docs: Mapping[str, tuple[str, str]]) -> None:
        """Indexes (or re-indexes) documents (id → title, body) in a few statements: only the
        postings whose counts changed are written (appending to a text adds postings)."""
        if not docs:
            return
        ids = list(docs)
        old = self._norms(tx, ids)
        new = {
            doc_id: (normalize(title), normalize(body)) for doc_id, (title, body) in docs.items()
        }
        changed = [doc_id for doc_id in ids if old.get(doc_id) != new[doc_id]]
        stale = [doc_id for doc_id in ids if doc_id in old]
        for start in range(0, len(stale), CHUNK):
            chunk = {f"d{n}": i for n, i in enumerate(stale[start : start + CHUNK])}
            tx.execute(f"DELETE FROM {self.docs} WHERE doc_id IN ({_marks(chunk)})", chunk)
        tx.executemany(
            f"INSERT INTO {self.docs} (doc_id, title, body, title_norm, body_norm) "
            "VALUES (:doc_id, :title, :body, :title_norm, :body_norm)",
            [
                {"doc_id": doc_id, "title": docs[doc_id][0], "body": docs[doc_id][1],
                 "title_norm": new[doc_id][0], "body_norm": new[doc_id][1]}
                for doc_id in ids
            ],
        )  # fmt: skip
        added: list[Posting] = []
        updated: list[Posting] = []
        removed: list[Posting] = []
        for doc_id in changed:
            before = _postings(*old[doc_id]) if doc_id in old else {}
            after = _postings(*new[doc_id])
            for gram, (in_title, in_body) in after.items():
                if gram not in before:
                    added.append((gram, doc_id, in_title, in_body))
                elif before[gram] != (in_title, in_body):
                    updated.append((gram, doc_id, in_title, in_body))
            removed.extend((g, doc_id, 0, 0) for g in before if g not in after)
        self._write_postings(tx, added, updated, removed)

    def _write_postings(
        self, tx: Tx, added: list[Posting], updated: list[Posting], removed: list[Posting]
    ) -> None:
        # Each in gram order: neighbouring postings then land on the same pages of the
        # clustered table. Rows are tuples (see `Tx.executemany_values`): a posting is written
        # per gram of every changed document, the most frequent write a view makes.
        for postings in (added, updated, removed):
            postings.sort(key=_gram)
        tx.executemany_values(
            f"DELETE FROM {self.grams} WHERE gram = :gram AND doc_id = :doc_id",
            [(gram, doc_id) for gram, doc_id, _, _ in removed],
        )
        tx.executemany_values(
            f"UPDATE {self.grams} SET in_title = :in_title, in_body = :in_body, weight = :weight "
            "WHERE gram = :gram AND doc_id = :doc_id",
            [(t, b, _weight(t, b), gram, doc_id) for gram, doc_id, t, b in updated],
        )
        tx.executemany_values(
            f"INSERT INTO {self.grams} (gram, doc_id, in_title, in_body, weight) "
            "VALUES (:gram, :doc_id, :in_title, :in_body, :weight)",
            [(gram, doc_id, t, b, _weight(t, b)) for gram, doc_id, t, b in added],
        )

    def _norms(self, tx: Tx, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """The stored normalised (title, body) of those documents that are in the index."""
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(ids), CHUNK):
            docs = {f"d{n}": i for n, i in enumerate(ids[start : start + CHUNK])}
            tx.execute(
                f"SELECT doc_id, title_norm, body_norm FROM {self.docs} "
                f"WHERE doc_id IN ({_marks(docs)})",
                docs,
            )
            found.update({r["doc_id"]: (r["title_norm"], r["body_norm"]) for r in tx.fetchall()})
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
        """Removes a document from the index (nothing happens when it is not there)."""
        old = self._norms(tx, [doc_id])
        if doc_id not in old:
            return
        removed = [(g, doc_id, 0, 0) for g in _postings(*old[doc_id])]
        self._write_postings(tx, [], [], removed)
        tx.execute(f"DELETE FROM {self.docs} WHERE doc_id = :doc_id", {"doc_id": doc_id})

    def search(self, tx: Tx, query: SearchQuery) -> list[Hit]:
        """The best hits, best first (ties by id), each with a snippet."""
        query_norm = " ".join(normalize(query.text).split())
        wanted = list(dict.fromkeys(grams(query_norm)))[:MAX_QUERY_GRAMS]
        if not wanted:
            raise EmptyQuery("the query has nothing to search for")
        ids = self._candidates(tx, query, query_norm, wanted)
        evidence = self._evidence(tx, ids, query_norm, wanted)
        ranked = sorted(evidence, key=lambda e: (-score(e), e.doc_id))[: query.limit]
        texts = self._bodies(tx, [e.doc_id for e in ranked])
        gram_set = set(wanted)
        return [
            Hit(e.doc_id, score(e), snippet(query_norm, gram_set, *texts[e.doc_id])) for e in ranked
        ]

    def _candidates(
        self, tx: Tx, query: SearchQuery, query_norm: str, wanted: list[str]
    ) -> list[str]:
        marks = {f"g{n}": g for n, g in enumerate(wanted)}
        share = query.min_share if query.min_share is not None else FUZZY_SHARE
        need = len(wanted) if query.exact else max(1, math.ceil(len(wanted) * share))
        params: dict[str, object] = {**query.params, **marks, "need": need, "cap": CANDIDATES}
        phrase = ""
        if query.exact:
            phrase = (
                f" JOIN {self.docs} d ON d.doc_id = h.doc_id AND (d.title_norm LIKE :phrase "
                "ESCAPE '!' OR d.body_norm LIKE :phrase ESCAPE '!')"
            )
            params["phrase"] = "%" + _escape_like(query_norm) + "%"
        # The postings are counted first (a grouped CTE is computed on its own), then joined
        # to the owner's filters: the planner must not walk the owner's rows probing postings.
        tx.execute(
            f"WITH hits AS (SELECT g.doc_id AS doc_id, COUNT(*) AS n, SUM(g.weight) AS w "
            f"FROM {self.grams} g WHERE g.gram IN ({_marks(marks)}) GROUP BY g.doc_id "
            "HAVING COUNT(*) >= :need) "
            f"SELECT h.doc_id AS doc_id FROM hits h{phrase} "
            f"JOIN {self.owner_table} b ON b.id = h.doc_id "
            f"WHERE {' AND '.join(f'({w})' for w in query.where) or '1 = 1'} "
            "ORDER BY h.n DESC, h.w DESC, h.doc_id LIMIT :cap",
            params,
        )
        return [str(row["doc_id"]) for row in tx.fetchall()]

    def _evidence(
        self, tx: Tx, ids: list[str], query_norm: str, wanted: list[str]
    ) -> list[Evidence]:
        """Which query grams each candidate's title and body hold, and the phrase, from SQL."""
        if not ids:
            return []
        docs = {f"d{n}": i for n, i in enumerate(ids)}
        marks = {f"g{n}": g for n, g in enumerate(wanted)}
        in_docs, in_grams = _marks(docs), _marks(marks)
        tx.execute(
            f"SELECT doc_id, SUM(CASE WHEN in_title > 0 THEN 1 ELSE 0 END) AS title, "
            f"SUM(CASE WHEN in_body > 0 THEN 1 ELSE 0 END) AS body FROM {self.grams} "
            f"WHERE doc_id IN ({in_docs}) AND gram IN ({in_grams}) GROUP BY doc_id",
            {**docs, **marks},
        )
        shares = {r["doc_id"]: (int(r["title"]), int(r["body"])) for r in tx.fetchall()}
        tx.execute(
            "SELECT doc_id, CASE WHEN title_norm LIKE :phrase ESCAPE '!' THEN 1 ELSE 0 END AS t, "
            "CASE WHEN body_norm LIKE :phrase ESCAPE '!' THEN 1 ELSE 0 END AS b "
            f"FROM {self.docs} WHERE doc_id IN ({in_docs})",
            {**docs, "phrase": "%" + _escape_like(query_norm) + "%"},
        )
        n = len(wanted)
        return [
            Evidence(r["doc_id"], shares[r["doc_id"]][0] / n, shares[r["doc_id"]][1] / n,
                     bool(r["t"]), bool(r["b"]))
            for r in tx.fetchall()
            if r["doc_id"] in shares
        ]  # fmt: skip

    def _bodies(self, tx: Tx, ids: list[str]) -> dict[str, tuple[str, str]]:
        if not ids:
            return {}
        docs = {f"d{n}": i for n, i in enumerate(ids)}
        tx.execute(
            f"SELECT doc_id, body, body_norm FROM {self.docs} WHERE doc_id IN ({_marks(docs)})",
            docs,
        )
        return {r["doc_id"]: (r["body"], r["body_norm"]) for r in tx.fetchall()}


def _postings(title_norm: str, body_norm: str) -> dict[str, tuple[int, int]]:
    """A document's distinct grams with their counts in its title and its body."""
    in_title, in_body = Counter(index_grams(title_norm)), Counter(index_grams(body_norm))
    found = {g: (0, n) for g, n in in_body.items()}
    for g, n in in_title.items():
        found[g] = (n, in_body.get(g, 0))
    return found


_gram = itemgetter(0)  # postings sorted by gram alone: a full tuple sort costs more than it saves


def _weight(in_title: int, in_body: int) -> int:
    return TITLE_WEIGHT * in_title + in_body


def _marks(params: Mapping[str, object]) -> str:
    return ", ".join(":" + k for k in params)


def _escape_like(text: str) -> str:
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
