"""The customer view and its projection; phones and tags are kept in a key table, and the
file's words (name, phones, email, address, tags, orders, notes) in a search index of its own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import Tracking

from kefu.domain.customer import Customer
from kefu.phones import lookup_key, written_forms
from kefu.projections.batch import Positioned
from kefu.projections.customer_document import ERASED_STATUS, CustomerDocument, absorb
from kefu.projections.customer_document import fold as fold_customer
from kefu.projections.documents import Column, DocumentView, FoldProjection
from kefu.projections.erased_documents import erased_customer
from kefu.projections.sql import Tx, db_time
from kefu.search.index import SearchIndex, SearchQuery
from kefu.search.ranking import Hit

KEYS_TABLE = "customer_keys"


class CustomerView(DocumentView[CustomerDocument]):
    """One row per customer file, a row per (phone or tag, file) to look files up by, and
    the search index of the files' words (a merged file is found through its survivor)."""

    table = "customer_views"
    document = CustomerDocument
    columns: ClassVar[dict[str, tuple[str, Column]]] = {
        "status": ("TEXT NOT NULL", lambda v: v.status),
        "name": ("TEXT NOT NULL", lambda v: v.name),
        "tier": ("TEXT NOT NULL", lambda v: v.tier),
        "owner_id": ("TEXT", lambda v: v.owner_id),
        "registered_at": ("TEXT NOT NULL", lambda v: db_time(v.registered_at)),
    }

    def erased(self, doc: CustomerDocument) -> CustomerDocument:
        return erased_customer(doc)

    indexes = ("name, id", "owner_id", "registered_at, id")  # sorts: a range of one index
    words = SearchIndex("customer", "customer_views")

    def create_statements(self) -> tuple[str, ...]:
        return (
            *super().create_statements(),
            f"CREATE TABLE IF NOT EXISTS {KEYS_TABLE} (kind TEXT NOT NULL, value TEXT NOT NULL, "
            "customer_id TEXT NOT NULL, PRIMARY KEY (kind, value, customer_id))",
            f"CREATE INDEX IF NOT EXISTS {KEYS_TABLE}_customer ON {KEYS_TABLE} (customer_id)",
            *self.words.create_statements(self.is_postgres),
        )

    def save(self, tx: Tx, docs: Mapping[UUID, CustomerDocument], tracking: Tracking) -> None:
        super().save(tx, docs, tracking)
        self._keep_lookups(tx, docs)

    def erase_personal_data(self, tx: Tx, record_ids: Sequence[str]) -> None:
        """The files' personal values erased; their lookup keys and words go with them (the
        index keeps no token of the words they had)."""
        docs = self.erased_documents(tx, record_ids)
        self.rewrite(tx, docs)
        self._keep_lookups(tx, docs)
        self.words.purge(tx)

    def _keep_lookups(self, tx: Tx, docs: Mapping[UUID, CustomerDocument]) -> None:
        for customer_id, doc in docs.items():
            tx.execute(
                f"DELETE FROM {KEYS_TABLE} WHERE customer_id = :id", {"id": str(customer_id)}
            )
            tx.executemany(
                f"INSERT INTO {KEYS_TABLE} VALUES (:kind, :value, :id)",
                [{"kind": k, "value": v, "id": str(customer_id)} for k, v in _keys(doc)],
            )
        self._index_words(tx, docs)

    def _index_words(self, tx: Tx, docs: Mapping[UUID, CustomerDocument]) -> None:
        """Re-indexes the files whose words changed (most events, an order or a survey score
        aside, change none); a merged file leaves the index."""
        words = {str(customer_id): _words(doc) for customer_id, doc in docs.items()}
        indexed = self.words.texts(tx, list(words))
        for doc_id, text in words.items():
            if text is None:
                self.words.drop(tx, doc_id)
        changed = {d: t for d, t in words.items() if t is not None and indexed.get(d) != t}
        self.words.put_many(tx, changed)

    def search(self, query: SearchQuery) -> list[Hit]:
        """Files whose words hold the query, best first (the name weighs most)."""
        with self.read() as tx:
            return self.words.search(tx, query)

    def files_with_phone(self, phone: str) -> list[UUID]:
        """The files (not merged away) holding this normalised number: 熟客识别 at call arrival."""
        rows = self.query(
            f"SELECT customer_id FROM {KEYS_TABLE} WHERE kind = 'phone' AND value = :phone "
            "ORDER BY customer_id",
            {"phone": phone},
        )
        return [UUID(row["customer_id"]) for row in rows]

    def files_with_email(self, email: str) -> list[UUID]:
        """The files (not merged away) holding this address (case-folded): email intake."""
        rows = self.query(
            f"SELECT customer_id FROM {KEYS_TABLE} WHERE kind = 'email' AND value = :email "
            "ORDER BY customer_id",
            {"email": email.strip().casefold()},
        )
        return [UUID(row["customer_id"]) for row in rows]

    def files_with_sender(self, channel: str, sender: str) -> list[UUID]:
        """The files (not merged away) naming this chat or WeChat sender id: chat intake."""
        rows = self.query(
            f"SELECT customer_id FROM {KEYS_TABLE} WHERE kind = :kind AND value = :sender "
            "ORDER BY customer_id",
            {"kind": _sender_kind(channel), "sender": sender},
        )
        return [UUID(row["customer_id"]) for row in rows]

    def likely_duplicates(self, doc: CustomerDocument) -> dict[UUID, list[str]]:
        """Other active files sharing a phone, the email, or name and birthday with `doc`,
        each with the keys it shares (查重: suggestions for a merge, never merged by itself)."""
        found: dict[UUID, list[str]] = {}
        for kind, value in _identity_keys(doc):
            rows = self.query(
                f"SELECT customer_id FROM {KEYS_TABLE} WHERE kind = :kind AND value = :value "
                "AND customer_id <> :id ORDER BY customer_id",
                {"kind": kind, "value": value, "id": str(doc.id)},
            )
            for row in rows:
                found.setdefault(UUID(row["customer_id"]), []).append(kind)
        return found

    @staticmethod
    def key_condition(kind: str, value: str) -> tuple[str, dict[str, object]]:
        """A WHERE condition for files found by one key (used by the list's filters)."""
        sql = (
            f"id IN (SELECT customer_id FROM {KEYS_TABLE} "
            f"WHERE kind = :{kind}_kind AND value = :{kind}_value)"
        )
        return sql, {f"{kind}_kind": kind, f"{kind}_value": value}


def _keys(doc: CustomerDocument) -> list[tuple[str, str]]:
    if doc.merged_into is not None or doc.status == ERASED_STATUS:
        return []  # a merged file is found through its survivor; an erased one not at all
    return _identity_keys(doc) + [("tag", t) for t in dict.fromkeys(doc.tags)]


def _words(doc: CustomerDocument) -> tuple[str, str] | None:
    """The file's title (its name) and text as searched; none for a merged or erased file."""
    if doc.merged_into is not None or doc.status == ERASED_STATUS:
        return None
    phones = dict.fromkeys(f for p in doc.lookup_phones() for f in written_forms(p))
    orders = [" ".join([o.number, o.package or "", *o.items, *o.add_ons]) for o in doc.orders]
    lines = [
        doc.name, *phones, doc.email or "", doc.address or "", doc.external_ref or "",
        " ".join(doc.tags), *orders, *(m.note for m in doc.milestones),
        *(s.comments for s in doc.surveys), *doc.preferences.values(),
    ]  # fmt: skip
    return doc.name, "\n".join(line for line in lines if line)


def _identity_keys(doc: CustomerDocument) -> list[tuple[str, str]]:
    """What tells one person's files apart: normalised phones, email, name with birthday, and
    the ids they write from on chat and WeChat (kind `sender:<channel>`)."""
    keys = [("phone", p) for p in dict.fromkeys(map(lookup_key, doc.lookup_phones()))]
    keys += [(_sender_kind(channel), id_) for channel, id_ in doc.lookup_channel_ids()]
    if doc.email:
        keys.append(("email", doc.email.strip().casefold()))
    if doc.birthday is not None:
        keys.append(("name_birthday", f"{doc.name.strip().casefold()}|{doc.birthday}"))
    return keys


def _sender_kind(channel: str) -> str:
    return f"sender:{channel}"


class CustomerProjection(FoldProjection[CustomerView]):
    """Keeps one row per customer file; a merge also updates the survivor's row."""

    erases_personal_data = True

    name = "customer_views"
    event_classes = (
        Customer.Registered, Customer.DetailsChanged, Customer.OwnerAssigned,
        Customer.OrderRecorded, Customer.MilestoneRecorded, Customer.StaffRecorded,
        Customer.SurveyRecorded, Customer.PreferencesMarked, Customer.ChannelIdsSet,
        Customer.MergedInto, Customer.Absorbed, Customer.Erased,
    )  # fmt: skip

    fold = staticmethod(fold_customer)

    def process_batch(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        with self.view.write() as tx:
            survivors = [p.event.survivor_id for p in events if _is_merge(p.event)]
            ids = list(dict.fromkeys([*(p.event.originator_id for p in events), *survivors]))
            docs = self.view.get_many(tx, ids)
            for p in events:
                key = p.event.originator_id
                docs[key] = self.fold(docs.get(key), p.event, p.position)
                survivor = docs.get(p.event.survivor_id) if _is_merge(p.event) else None
                if survivor is not None:
                    docs[survivor.id] = absorb(survivor, docs[key], p.position)
            self.view.save(tx, docs, tracking)


def _is_merge(event: Any) -> bool:
    return isinstance(event, Customer.MergedInto)
