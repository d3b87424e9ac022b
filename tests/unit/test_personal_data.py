"""Personal fields are sealed per record, open with the record's key and read as erased once
it is destroyed; data keys are wrapped by the master key and survive its rotation."""

from __future__ import annotations

import stat
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from cryptography.exceptions import InvalidTag
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent

from kefu.cli.serve import master_key_warning
from kefu.domain.channels import Channel
from kefu.domain.customer import Customer, Tier
from kefu.domain.deadlines import DeadlinePolicy, Priority
from kefu.domain.metadata import EventMetadata
from kefu.domain.personal_data import PERSONAL_FIELDS
from kefu.domain.thread import EntryContent, EntryKind, post_entry
from kefu.domain.ticket import Ticket
from kefu.settings import Settings
from kefu.store.key_store import StoredKey
from kefu.store.mapper import MsgspecMapper
from kefu.store.master_key import (
    default_master_key,
    new_master_key_text,
    parse_master_key,
    read_master_key_file,
)
from kefu.store.personal_crypto import DataKeys, MasterKey, MasterKeyError, rewrap_all
from kefu.store.personal_fields import ERASED, PersonalFields, erased_value

META = EventMetadata("desk", "service", uuid4(), uuid4(), None, "api")
AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


class MemoryKeys:
    """The key store's contract in a dict (the SQL store is exercised by integration tests)."""

    def __init__(self) -> None:
        self.keys: dict[UUID, StoredKey] = {}
        self.links: set[tuple[str, UUID]] = set()

    def current_key(self, record_id: UUID) -> StoredKey | None:
        live = [k for k in self.keys.values() if k.record_id == record_id and k.wrapped]
        return live[-1] if live else None

    def find_keys(self, key_ids: Sequence[UUID]) -> list[StoredKey]:
        return [self.keys[k] for k in key_ids if k in self.keys]

    def add_key(self, key: StoredKey, at: datetime) -> None:
        self.keys[key.key_id] = key

    def link(self, subject: str, record_id: UUID) -> None:
        self.links.add((subject, record_id))

    def linked(self, subject: str) -> list[UUID]:
        return sorted(r for s, r in self.links if s == subject)

    def destroy(self, record_ids: Sequence[UUID], at: datetime) -> int:
        doomed = [k for k in self.keys.values() if k.record_id in record_ids and k.wrapped]
        for k in doomed:
            self.keys[k.key_id] = StoredKey(k.key_id, k.record_id, None, k.master_id)
        return len(doomed)

    def live_keys(self) -> list[StoredKey]:
        return [k for k in self.keys.values() if k.wrapped]

    def rewrap(self, keys: Iterable[StoredKey]) -> None:
        for k in keys:
            self.keys[k.key_id] = k


def sealing_mapper(store: MemoryKeys, master: MasterKey) -> MsgspecMapper:
    personal = PersonalFields(PERSONAL_FIELDS)
    personal.keys = DataKeys(store, master)
    return MsgspecMapper(personal=personal)


def registered() -> Customer:
    return Customer.register(
        name="王小明",
        phones=["+8613800138000"],
        email="xm@example.cn",
        address="北京市朝阳区建国路 1 号",
        birthday=date(1990, 5, 4),
        tier=Tier.VIP,
        source_channel="phone",
        meta=META,
        at=AT,
    )


def test_personal_fields_are_stored_sealed_and_read_back_as_written() -> None:
    store, master = MemoryKeys(), MasterKey(bytes(range(32)))
    mapper = sealing_mapper(store, master)
    (event,) = registered().collect_events()
    stored = mapper.to_stored_event(event)
    assert stored.state.startswith(b'{"$personal":')
    for plaintext in ("王小明", "13800138000", "xm@example.cn", "建国路", "1990-05-04"):
        assert plaintext.encode() not in stored.state
    assert b'"tier":"vip"' in stored.state  # what is not personal stays readable
    back = mapper.to_domain_event(stored)
    assert vars(back) == vars(event)


def test_a_batch_of_sealed_events_reads_its_keys_in_one_look_up() -> None:
    store, master = MemoryKeys(), MasterKey(bytes(range(32)))
    writer = sealing_mapper(store, master)
    files = [registered() for _ in range(3)]
    stored = [writer.to_stored_event(e) for f in files for e in f.collect_events()]
    writer.personal.keys.destroy([files[2].id], AT)  # type: ignore[union-attr]
    look_ups: list[list[UUID]] = []
    find_keys = store.find_keys
    store.find_keys = lambda ids: look_ups.append(list(ids)) or find_keys(ids)  # type: ignore[method-assign]
    reader = sealing_mapper(store, master)  # another process: nothing cached

    events = reader.to_domain_events(stored)

    assert len(look_ups) == 1 and len(look_ups[0]) == 3
    assert [vars(e)["name"] for e in events] == ["王小明", "王小明", "[erased]"]
    reader.to_domain_events(stored)
    assert len(look_ups) == 1  # cached, the destroyed key as destroyed


def test_a_destroyed_key_reads_as_erased_by_declared_type_never_an_exception() -> None:
    store = MemoryKeys()
    mapper = sealing_mapper(store, MasterKey(bytes(32)))
    customer = registered()
    stored = mapper.to_stored_event(customer.collect_events()[0])
    store.destroy([customer.id], AT)
    fresh = sealing_mapper(store, MasterKey(bytes(32)))  # another process, no cached key
    back = fresh.to_domain_event(stored)
    assert isinstance(back, Customer.Registered)
    assert (back.name, back.phones, back.email, back.address, back.birthday) == (
        ERASED,
        (),
        ERASED,
        ERASED,
        None,
    )
    assert back.tier is Tier.VIP


def test_thread_entries_seal_their_text_and_address_but_keep_their_kind() -> None:
    store = MemoryKeys()
    mapper = sealing_mapper(store, MasterKey(bytes(32)))
    ticket = Ticket.open(
        channel=Channel.EMAIL,
        customer_id=str(uuid4()),
        category="billing",
        priority=Priority.NORMAL,
        subject="退款没有到账",
        description="我的退款三天了还没到",
        policy=DeadlinePolicy(),
        meta=META,
        at=AT,
    )
    entry = EntryContent(EntryKind.CUSTOMER_MESSAGE, "customer", ticket.channel, "请尽快处理")
    post_entry(ticket, entry, meta=META, at=AT)
    stored = [mapper.to_stored_event(e) for e in ticket.collect_events()]
    assert not any("退款".encode() in s.state or "请尽快".encode() in s.state for s in stored)
    assert store.links == {(ticket.customer_id, ticket.id)}
    store.destroy([ticket.id], AT)
    opened, posted = (
        sealing_mapper(store, MasterKey(bytes(32))).to_domain_event(s) for s in stored
    )
    assert (opened.subject, opened.description) == (ERASED, ERASED)
    assert posted.entry.body == ERASED and posted.entry.kind is EntryKind.CUSTOMER_MESSAGE


def test_a_ciphertext_moved_to_another_event_does_not_open() -> None:
    store = MemoryKeys()
    mapper = sealing_mapper(store, MasterKey(bytes(32)))
    customer = registered()
    customer.record_survey(
        answered_on=date(2026, 3, 2), staff_ids=[], rating=5, comments="很好", meta=META, at=AT
    )
    first, second = (mapper.to_stored_event(e) for e in customer.collect_events())
    moved = StoredEvent(first.originator_id, 2, first.topic, first.state)
    with pytest.raises(MapperDeserialisationError) as raised:
        mapper.to_domain_event(moved)
    assert isinstance(raised.value.__cause__, InvalidTag)
    assert mapper.to_domain_event(second).comments == "很好"


def test_plaintext_events_written_before_sealing_are_still_read() -> None:
    (event,) = registered().collect_events()
    plain = MsgspecMapper().to_stored_event(event)
    assert "王小明".encode() in plain.state
    back = sealing_mapper(MemoryKeys(), MasterKey(bytes(32))).to_domain_event(plain)
    assert vars(back) == vars(event)


def test_data_keys_are_wrapped_and_a_wrong_master_key_is_refused() -> None:
    master = MasterKey(bytes(32))
    key_id, data_key = uuid4(), bytes(range(32))
    wrapped = master.wrap(data_key, key_id)
    assert data_key not in wrapped
    assert master.unwrap(wrapped, key_id) == data_key
    with pytest.raises(MasterKeyError):
        MasterKey(bytes([1] * 32)).unwrap(wrapped, key_id)
    with pytest.raises(MasterKeyError):
        master.unwrap(wrapped, uuid4())  # a wrap copied to another key's row


def test_rotating_the_master_key_rewraps_every_live_key_and_events_still_open() -> None:
    store = MemoryKeys()
    old, new = parse_master_key(new_master_key_text()), parse_master_key(new_master_key_text())
    (event,) = registered().collect_events()
    stored = sealing_mapper(store, old).to_stored_event(event)
    assert rewrap_all(store, old, new) == 1
    assert rewrap_all(store, old, new) == 0  # a second run has nothing left to do
    assert {k.master_id for k in store.live_keys()} == {new.key_id}
    assert vars(sealing_mapper(store, new).to_domain_event(stored)) == vars(event)
    with pytest.raises(MapperDeserialisationError):
        sealing_mapper(store, old).to_domain_event(stored)


def test_every_declared_personal_field_has_an_erased_value() -> None:
    from typing import get_type_hints

    for event_cls, personal in PERSONAL_FIELDS.items():
        for path in personal.fields:
            head, _, attribute = path.partition(".")
            annotation = get_type_hints(event_cls)[head]
            if attribute:
                annotation = get_type_hints(annotation)[attribute]
            erased_value(annotation)
        if personal.subject:
            assert personal.subject in get_type_hints(event_cls)


def test_new_records_get_a_key_of_their_own_and_reuse_it() -> None:
    store = MemoryKeys()
    keys = DataKeys(store, MasterKey(bytes(32)))
    record = uuid4()
    first = keys.key_for_writing(record, new_record=True)
    assert keys.key_for_writing(record, new_record=False) == first
    assert keys.key_for_writing(uuid4(), new_record=True)[0] != first[0]
    keys.destroy([record], AT)
    assert keys.key_for_reading(first[0]) is None
    assert keys.key_for_writing(record, new_record=False)[0] != first[0]


def test_carried_keys_and_links_wait_for_a_batch_and_are_stored_only_through_it() -> None:
    store = MemoryKeys()
    keys = DataKeys(store, MasterKey(bytes(32)), carried=True)
    record, erased_record = uuid4(), uuid4()
    key_id, _ = keys.key_for_writing(record, new_record=True)
    keys.key_for_writing(erased_record, new_record=True)
    keys.link("customer-1", record)
    keys.link("customer-1", record)

    taken = keys.pending()
    assert {k.record_id for k, _ in taken.keys} == {record, erased_record}
    assert taken.links == (("customer-1", record),)
    assert store.find_keys([key_id]) == [] and store.linked("customer-1") == []
    later = uuid4()
    keys.key_for_writing(later, new_record=True)  # made while that batch commits
    keys.written(taken)
    assert [k.record_id for k, _ in keys.pending().keys] == [later]
    keys.link("customer-1", record)  # stored already: not pending again
    assert keys.pending().links == ()

    keys.destroy([later], AT)  # never stored: dropped, its events read as erased
    assert not keys.pending()


def test_the_development_key_is_a_private_file_beside_sqlite_and_shared_by_postgres_processes(
    tmp_path: Path,
) -> None:
    database = tmp_path / "data" / "kefu.sqlite3"
    made = default_master_key(f"sqlite:///{database}")
    key_file = database.parent / "kefu-master.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert read_master_key_file(key_file) == made
    url = "postgresql://kefu:secret@db.example:5433/kefu"
    assert default_master_key(url) == default_master_key(url.replace("secret", "other"))
    assert default_master_key(url) != default_master_key(url.replace("/kefu", "/kefu2"))


def test_kefu_serve_warns_of_a_development_master_key_and_only_then() -> None:
    embedded = master_key_warning(Settings(database_url="sqlite:///var/k.db"))
    postgres = master_key_warning(Settings(database_url="postgresql://db:5432/kefu"))
    configured = Settings(database_url="sqlite:///var/k.db", master_key=new_master_key_text())

    assert embedded is not None and "var/kefu-master.key" in embedded
    assert postgres is not None and "derived from the database's address" in postgres
    assert master_key_warning(configured) is None
