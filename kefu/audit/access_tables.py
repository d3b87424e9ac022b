"""The access log's tables: reads of personal data, in sealed batches.

`access_log` holds one row per request that read personal data (who, as which role, which
records — one, or every record of a list, in one column — by which route, which personal fields
the answer held, when); rows are written a batch at a time, each batch
numbered from 1 without gaps. `access_batches` holds one link per batch: an HMAC-SHA-256, under
a chain key (kefu/store/chain_keys.py), of the previous batch's link, the batch's number, its
key id and every row of the batch. Both tables are insert-only (infra/sql/grants.sql); a row
changed, added to or removed from a batch, or a batch removed from the middle, no longer
verifies.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import msgspec

from kefu.audit.verify import Finding, Tamper, Verification
from kefu.projections.sql import OwnTables, SqlView, db_time
from kefu.store.chain_keys import ChainKeyMissing, Keyring

GENESIS_LINK = bytes(32)
_COLUMNS = ("at", "actor_id", "actor_role", "kind", "records", "route", "fields")


class AccessEntry(msgspec.Struct, frozen=True, kw_only=True):
    """The records one request read."""

    at: str  # fixed-width UTC text (db_time)
    actor_id: str
    actor_role: str
    kind: str  # customer, customer-timeline, ticket, complaint, ...
    records: str  # the records' ids, each between commas: ",id1,id2,"
    route: str  # the route template, e.g. /customers/{aggregate_id:uuid}
    fields: str  # the personal fields the answer held, comma-separated

    @staticmethod
    def joined(ids: Sequence[str]) -> str:
        return "," + ",".join(ids) + ","


class AccessLogTables(SqlView):
    ddl = (
        "CREATE TABLE IF NOT EXISTS access_log (batch BIGINT NOT NULL, n INTEGER NOT NULL, "
        "at TEXT NOT NULL, actor_id TEXT NOT NULL, actor_role TEXT NOT NULL, "
        "kind TEXT NOT NULL, records TEXT NOT NULL, route TEXT NOT NULL, "
        "fields TEXT NOT NULL, PRIMARY KEY (batch, n))",
        "CREATE INDEX IF NOT EXISTS access_log_actor ON access_log (actor_id, batch)",
        "CREATE INDEX IF NOT EXISTS access_log_at ON access_log (at)",
        "CREATE TABLE IF NOT EXISTS access_batches (batch BIGINT PRIMARY KEY, "
        "entries INTEGER NOT NULL, key_id TEXT NOT NULL, link TEXT NOT NULL)",
    )


def _field(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def batch_link(
    secret: bytes, previous: bytes, batch: int, key_id: str, entries: Sequence[AccessEntry]
) -> bytes:
    mac = hmac.new(secret, b"kefu access log", hashlib.sha256)
    for part in (previous, str(batch).encode(), key_id.encode(), str(len(entries)).encode()):
        mac.update(_field(part))
    for entry in entries:
        for column in _COLUMNS:
            mac.update(_field(str(getattr(entry, column)).encode()))
    return mac.digest()


@dataclass(frozen=True)
class AccessQuery:
    """A page of the access log: filters, and the rows after `cursor` (batch, n)."""

    record_id: str | None = None
    actor_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    cursor: tuple[int, int] = (0, 0)


@dataclass
class AccessCheck:
    """What verifying the access log found: altered batches, missing batches, missing keys."""

    altered: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)
    missing_keys: dict[str, list[int]] = field(default_factory=dict)

    def add_to(self, result: Verification) -> None:
        """These findings among the log's (a batch's number stands in the position)."""
        result.findings.extend(Finding(Tamper.ACCESS_ALTERED, "access-log", 0, batch)
                               for batch in self.altered)  # fmt: skip
        result.findings.extend(Finding(Tamper.ACCESS_DELETED, "access-log", 0, batch)
                               for batch in self.missing)  # fmt: skip
        for key_id in self.missing_keys:
            result.missing_keys.setdefault(key_id, [])


class AccessLogStore(OwnTables[AccessLogTables]):
    """Opens the access log's tables on the primary database (created at first use)."""

    def __init__(self, database_url: str) -> None:
        # cast: the view is abstract until `OwnTables` makes it concrete for its backend
        super().__init__(database_url, "kefu_access", cast(Any, AccessLogTables))

    def append(self, entries: Sequence[AccessEntry], keyring: Keyring) -> int:
        """Writes `entries` as the next batch, linked with the active key; its number."""
        key_id = keyring.active
        if key_id is None:
            raise ChainKeyMissing("(none configured)")
        secret = keyring.secrets[key_id]
        with self.tables.write() as tx:  # the tables' lock: one batch at a time, all processes
            tx.execute("SELECT batch, link FROM access_batches ORDER BY batch DESC LIMIT 1")
            last = tx.fetchone()
            batch = 1 if last is None else int(last["batch"]) + 1
            previous = GENESIS_LINK if last is None else _link_bytes(last["link"])
            link = batch_link(secret, previous, batch, key_id, entries)
            tx.executemany(
                "INSERT INTO access_log (batch, n, at, actor_id, actor_role, kind, records, "
                "route, fields) VALUES (:batch, :n, :at, :actor_id, :actor_role, :kind, "
                ":records, :route, :fields)",
                [
                    {"batch": batch, "n": n, **msgspec.structs.asdict(entry)}
                    for n, entry in enumerate(entries, start=1)
                ],
            )
            tx.execute(
                "INSERT INTO access_batches VALUES (:batch, :entries, :key_id, :link)",
                {"batch": batch, "entries": len(entries), "key_id": key_id, "link": link.hex()},
            )
        return batch

    def page(self, query: AccessQuery) -> list[dict[str, Any]]:
        where = ["(batch > :batch OR (batch = :batch AND n > :n))"]
        params: dict[str, object] = {
            "batch": query.cursor[0],
            "n": query.cursor[1],
            "limit": query.limit,
        }
        if query.record_id is not None:  # a scan of the rows in range: audits are rare reads
            where.append("records LIKE :record")
            params["record"] = f"%,{query.record_id},%"
        if query.actor_id is not None:
            where.append("actor_id = :actor_id")
            params["actor_id"] = query.actor_id
        if query.since is not None:
            where.append("at >= :since")
            params["since"] = db_time(query.since)
        if query.until is not None:
            where.append("at < :until")
            params["until"] = db_time(query.until)
        rows = self.tables.query(
            f"SELECT * FROM access_log WHERE {' AND '.join(where)} ORDER BY batch, n LIMIT :limit",
            params,
        )
        return [dict(row) for row in rows]

    def verify(self, keyring: Keyring) -> AccessCheck:
        """Re-computes every batch's link from its rows, in order."""
        check = AccessCheck()
        previous, expected = GENESIS_LINK, 1
        for batch, key_id, link, entries in self._batches():
            check.missing.extend(range(expected, batch))
            expected = batch + 1
            secret = keyring.secret(key_id)
            if secret is None:
                check.missing_keys.setdefault(key_id, []).append(batch)
            elif batch_link(secret, previous, batch, key_id, entries) != link:
                check.altered.append(batch)
            previous = link
        orphans = self.tables.query(
            "SELECT DISTINCT batch FROM access_log WHERE batch NOT IN "
            "(SELECT batch FROM access_batches) ORDER BY batch"
        )
        check.altered.extend(int(row["batch"]) for row in orphans)
        return check

    def _batches(self, page: int = 500) -> Iterator[tuple[int, str, bytes, list[AccessEntry]]]:
        after = 0
        while rows := self.tables.query(
            "SELECT * FROM access_batches WHERE batch > :after ORDER BY batch LIMIT :limit",
            {"after": after, "limit": page},
        ):
            entries: dict[int, list[AccessEntry]] = {int(row["batch"]): [] for row in rows}
            for entry in self.tables.query(
                "SELECT * FROM access_log WHERE batch > :after AND batch <= :last "
                "ORDER BY batch, n",
                {"after": after, "last": int(rows[-1]["batch"])},
            ):
                values = {column: entry[column] for column in _COLUMNS}
                entries.setdefault(int(entry["batch"]), []).append(AccessEntry(**values))
            for row in rows:
                batch = int(row["batch"])
                yield batch, str(row["key_id"]), _link_bytes(row["link"]), entries[batch]
            after = int(rows[-1]["batch"])


def _link_bytes(text: str) -> bytes:
    """A stored link; one altered into something not hexadecimal is no link at all."""
    try:
        return bytes.fromhex(text)
    except ValueError:
        return b""
