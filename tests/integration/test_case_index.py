"""The case text index written batch by batch holds exactly what one write of the whole text
holds (both backends): re-indexing a case as entries are appended leaves exactly the tokens of
its whole text in the engine (FTS5's terms by document and column; the PostgreSQL tsvector)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from eventsourcing.persistence import Tracking

from kefu.domain.channels import Channel
from kefu.domain.deadlines import DeadlinePolicy, Priority
from kefu.domain.metadata import EventMetadata
from kefu.domain.thread import EntryContent, EntryKind, post_entry
from kefu.domain.ticket import Ticket
from kefu.projections.batch import Positioned
from kefu.projections.read_models import ReadModels
from kefu.search.index import SearchQuery
from kefu.search.text import tokens

META = EventMetadata("desk", "service", uuid4(), uuid4(), None, "desk")
AT = datetime(2030, 1, 1, tzinfo=UTC)
TEXTS = ["发票金额多收了", "金额不对，发票重开", "Invoice amount wrong 发票", "发票金额已退回"]


def _ticket() -> list[Positioned]:
    ticket = Ticket.open(
        channel=Channel.EMAIL, customer_id="c1", category="email", priority=Priority.NORMAL,
        subject="发票问题", description="上月发票金额多收", policy=DeadlinePolicy(), meta=META,
        at=AT,
    )  # fmt: skip
    for text in TEXTS:
        post_entry(ticket, EntryContent(EntryKind.CUSTOMER_MESSAGE, "c1", Channel.EMAIL, text),
                   meta=META, at=AT)  # fmt: skip
    return [Positioned(event, 0) for event in ticket.collect_events()]


def test_a_case_indexed_entry_by_entry_equals_one_indexed_at_once(database_url: str) -> None:
    models = ReadModels(database_url)
    try:
        projections = [models.projection("ticket_views"), models.projection("thread_entries")]
        position = 0

        def feed(events: list[Positioned]) -> None:
            nonlocal position
            for p in events:
                position += 1
                p.position = position
            for projection in projections:
                projection.process_batch(events, Tracking(projection.name, position))

        at_once, one_by_one = _ticket(), _ticket()
        feed(at_once)
        for event in one_by_one:
            feed([event])
        ids = [str(at_once[0].event.originator_id), str(one_by_one[0].event.originator_id)]
        indexed = [_indexed_tokens(models, doc_id) for doc_id in ids]
        title, body = models.threads.query(
            "SELECT title_norm, body_norm FROM case_text_search_texts WHERE doc_id = :id",
            {"id": ids[0]},
        )[0].values()
        if models.threads.is_postgres:
            assert indexed[0] == sorted(set(tokens(title) + tokens(body)))
        else:
            columns = [("title", t) for t in tokens(title)] + [("body", t) for t in tokens(body)]
            assert indexed[0] == sorted(columns)
        assert len(indexed[0]) > 20
        assert indexed[0] == indexed[1]
        for phrase, exact in (("发票金额", True), ("發票金額多少", False), ("invoice", False)):
            hits = models.threads.search_tickets(SearchQuery(phrase, exact=exact))
            assert {h.doc_id for h in hits} == set(ids), phrase
            assert hits[0].score == hits[1].score
            assert hits[0].snippet == hits[1].snippet
    finally:
        models.close()


def _indexed_tokens(models: ReadModels, doc_id: str) -> list[object]:
    """The tokens the engine holds for one case: (column, token) on SQLite, tokens on PG."""
    view = models.threads
    if view.is_postgres:
        rows = view.query(
            "SELECT tsvector_to_array(grams) AS t FROM case_text_search_texts WHERE doc_id = :id",
            {"id": doc_id},
        )
        return sorted(rows[0]["t"])
    with view.read() as tx:  # a vocabulary table of the connection's own, gone at rollback
        tx.execute(
            "CREATE VIRTUAL TABLE temp.case_text_terms "
            "USING fts5vocab(main, case_text_search_fts, 'instance')"
        )
        tx.execute(
            "SELECT col, term FROM temp.case_text_terms WHERE doc = "
            "(SELECT num FROM case_text_search_texts WHERE doc_id = :id)",
            {"id": doc_id},
        )
        return sorted((r["col"], r["term"]) for r in tx.fetchall())
