"""Row-per-aggregate views: a msgspec document per aggregate, plus columns to filter on.

A view (a TrackingRecorder subclass) declares its table, its document Struct and its filter
columns; its projection declares the events it reads and names the document module's fold
(document | None, event, position) → document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.persistence import PersistenceError, Tracking

from kefu.projections.batch import BatchProjection, Positioned
from kefu.projections.erasure import chunks
from kefu.projections.listing import BadCursor, ListQuery, encode_cursor, page_selects
from kefu.projections.sql import Row, SqlView, Tx, db_time

TDoc = TypeVar("TDoc", bound=msgspec.Struct)
Column = Callable[[Any], object]


class DocumentView(SqlView, Generic[TDoc]):
    """Tables of one row-per-aggregate view.

    Subclasses set `table`, `document` (the Struct stored per row), `columns` (name → SQL type
    and extractor from the document) and `indexes` (column lists to index, each optionally
    with ` WHERE condition`: a partial index, used by queries that state the same condition).
    A view holding personal data says how a document reads once erased (`erased`, from
    kefu/projections/erased_documents.py) and which column names the record a row belongs to
    (`record_columns`, any of them; kefu/projections/erasure.py).
    """

    table: ClassVar[str]
    document: ClassVar[type[Any]]
    columns: ClassVar[Mapping[str, tuple[str, Column]]]
    indexes: ClassVar[tuple[str, ...]] = ()
    record_columns: ClassVar[tuple[str, ...]] = ("id",)

    def create_statements(self) -> tuple[str, ...]:
        columns = ", ".join(f"{name} {kind}" for name, (kind, _) in self.columns.items())
        create = (
            f"CREATE TABLE IF NOT EXISTS {self.table} (id TEXT PRIMARY KEY, {columns}, "
            "version INTEGER NOT NULL, position BIGINT NOT NULL, doc TEXT NOT NULL)"
        )
        return (create, *(self._index(spec) for spec in self.indexes))

    def _index(self, spec: str) -> str:
        """`columns` or `columns WHERE condition` (a partial index) → CREATE INDEX."""
        columns, _, condition = spec.partition(" WHERE ")
        name = f"{self.table}_{'_'.join(columns.split(', '))}{'_where' if condition else ''}"
        where = f" WHERE {condition}" if condition else ""
        return f"CREATE INDEX IF NOT EXISTS {name} ON {self.table} ({columns}){where}"

    def get(self, aggregate_id: UUID) -> TDoc | None:
        rows = self.query(f"SELECT doc FROM {self.table} WHERE id = :id", {"id": str(aggregate_id)})
        return _decoder(self.document).decode(rows[0]["doc"]) if rows else None

    def get_many(self, tx: Tx, ids: Sequence[UUID]) -> dict[UUID, TDoc]:
        found: dict[UUID, TDoc] = {}
        decoder = _decoder(self.document)
        for start in range(0, len(ids), 500):
            chunk = {f"i{n}": str(i) for n, i in enumerate(ids[start : start + 500])}
            marks = ", ".join(":" + k for k in chunk)
            tx.execute(f"SELECT id, doc FROM {self.table} WHERE id IN ({marks})", chunk)
            for row in tx.fetchall():
                found[UUID(row["id"])] = decoder.decode(row["doc"])
        return found

    def page(self, query: ListQuery) -> tuple[list[TDoc], str | None]:
        """One page of documents and the cursor of the next page (None on the last)."""
        try:
            rows = self._page_rows(query)
        except PersistenceError:
            if query.cursor is None:
                raise
            # A cursor whose sort value does not fit the column (PostgreSQL refuses to compare).
            raise BadCursor("the cursor is not one this list issued") from None
        decoder = _decoder(self.document)
        docs = [decoder.decode(row["doc"]) for row in rows[: query.limit]]
        more = len(rows) > query.limit
        last = rows[query.limit - 1] if more else None
        return docs, (encode_cursor(last["sort_key"], last["id"]) if last else None)

    def _page_rows(self, query: ListQuery) -> list[Row]:
        """Up to one row more than the limit (to know whether a next page exists)."""
        nullable = [n for n, (kind, _) in self.columns.items() if "NOT NULL" not in kind.upper()]
        rows: list[Row] = []
        with self.read() as tx:
            for sql, params in page_selects(self.table, list(self.columns), query, nullable):
                if len(rows) <= query.limit:
                    tx.execute(sql, params)
                    rows += tx.fetchall()[: query.limit + 1 - len(rows)]
        return rows

    def times_between(
        self, column: str, since: datetime | None, until: datetime
    ) -> list[tuple[UUID, datetime]]:
        """The rows whose time `column` is in [since, until) (any time before `until` when
        `since` is None), in time order, with that time: e.g. cases closed long enough ago."""
        if column not in self.columns:
            raise ValueError(f"{self.table} has no column {column}")
        low = "" if since is None else f" AND {column} >= :since"
        rows = self.query(
            f"SELECT id, {column} AS moment FROM {self.table} "
            f"WHERE {column} < :until{low} ORDER BY {column}, id",
            {"until": db_time(until), "since": db_time(since)},
        )
        return [(UUID(row["id"]), datetime.fromisoformat(row["moment"])) for row in rows]

    def erase_personal_data(self, tx: Tx, record_ids: Sequence[str]) -> None:
        self.rewrite(tx, self.erased_documents(tx, record_ids))

    def erased_documents(self, tx: Tx, record_ids: Sequence[str]) -> dict[UUID, TDoc]:
        """The documents of these records' rows, with their personal values erased."""
        decoder = _decoder(self.document)
        erased: dict[UUID, TDoc] = {}
        for params in chunks(record_ids):
            marks = ", ".join(":" + k for k in params)
            where = " OR ".join(f"{column} IN ({marks})" for column in self.record_columns)
            tx.execute(f"SELECT id, doc FROM {self.table} WHERE {where}", params)
            for row in tx.fetchall():
                erased[UUID(row["id"])] = self.erased(decoder.decode(row["doc"]))
        return erased

    def erased(self, doc: TDoc) -> TDoc:
        """The document once its record's personal data is erased (as a rebuild makes it)."""
        raise NotImplementedError(f"{type(self).__name__} holds no personal data")

    def rewrite(self, tx: Tx, docs: Mapping[UUID, TDoc]) -> None:
        if docs:
            tx.executemany(self._upsert(), [self._row(i, d) for i, d in docs.items()])

    def save(self, tx: Tx, docs: Mapping[UUID, TDoc], tracking: Tracking) -> None:
        tx.executemany(self._upsert(), [self._row(i, d) for i, d in docs.items()])
        tx.track(tracking)

    def _row(self, aggregate_id: UUID, doc: TDoc) -> dict[str, object]:
        row = {name: extract(doc) for name, (_, extract) in self.columns.items()}
        row.update(
            id=str(aggregate_id),
            version=getattr(doc, "version", 0),
            position=getattr(doc, "position", 0),
            doc=_encoder.encode(doc).decode(),
        )
        return row

    @classmethod
    def _upsert(cls) -> str:
        names = ["id", *cls.columns, "version", "position", "doc"]
        return (
            f"INSERT INTO {cls.table} ({', '.join(names)}) "
            f"VALUES ({', '.join(':' + n for n in names)}) ON CONFLICT (id) DO UPDATE SET "
            + ", ".join(f"{n} = excluded.{n}" for n in names[1:])
        )


TView = TypeVar("TView", bound=DocumentView[Any])


class FoldProjection(BatchProjection[TView]):
    """Keeps one document per aggregate by folding its events, a batch per transaction.

    Subclasses name their document module's fold: `fold = staticmethod(fold_ticket)`.
    """

    @staticmethod
    def fold(doc: Any | None, event: Any, position: int, /) -> Any:
        """The document after `event` (at `position` in the log); None before the first."""
        raise NotImplementedError

    def process_batch(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        with self.view.write() as tx:
            ids = list(dict.fromkeys(p.event.originator_id for p in events))
            docs = self.view.get_many(tx, ids)
            for p in events:
                key = p.event.originator_id
                docs[key] = self.fold(docs.get(key), p.event, p.position)
            self.view.save(tx, docs, tracking)


_encoder = msgspec.json.Encoder()
_decoders: dict[type[Any], msgspec.json.Decoder[Any]] = {}


def _decoder(kind: type[Any]) -> msgspec.json.Decoder[Any]:
    if kind not in _decoders:
        _decoders[kind] = msgspec.json.Decoder(kind)
    return _decoders[kind]
