"""The outbox's message tables: one row per message (the queue the sender reads, the list
and the send report), and each customer's birthday (for the greeting sweep).

The outbox follower keeps them from the Message and Customer events, in the transaction
that records its position; nothing else writes them. An erasure rewrites the erased records'
rows there too (`forget_recipients`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from kefu.domain.customer import Customer
from kefu.domain.message import Message
from kefu.projections.erasure import chunks
from kefu.projections.sql import SqlView, Tx, db_time
from kefu.store.personal_fields import ERASED

MESSAGE_DDL = (
    "CREATE TABLE IF NOT EXISTS outbox_messages (id TEXT PRIMARY KEY, rule TEXT NOT NULL, "
    "template TEXT NOT NULL, channel TEXT NOT NULL, language TEXT NOT NULL, "
    "recipient_kind TEXT NOT NULL, recipient_id TEXT NOT NULL, address TEXT NOT NULL, "
    "case_key TEXT NOT NULL, status TEXT NOT NULL, due_at TEXT NOT NULL, day TEXT NOT NULL, "
    "attempts INTEGER NOT NULL, queued_at TEXT NOT NULL, sent_at TEXT, finished_at TEXT, "
    "answer TEXT, position BIGINT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS outbox_messages_due ON outbox_messages (status, due_at)",
    "CREATE INDEX IF NOT EXISTS outbox_messages_case ON outbox_messages (case_key, status)",
    "CREATE INDEX IF NOT EXISTS outbox_messages_day ON outbox_messages (day)",
    "CREATE TABLE IF NOT EXISTS outbox_birthdays (customer_id TEXT PRIMARY KEY, "
    "month_day TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS outbox_birthdays_day ON outbox_birthdays (month_day)",
)

MESSAGE_EVENTS = (
    Message.Queued,
    Message.Sent,
    Message.Delivered,
    Message.Failed,
    Message.Cancelled,
)
BIRTHDAY_EVENTS = (Customer.Registered, Customer.DetailsChanged, Customer.MergedInto)

_COLUMNS = (
    "id, rule, template, channel, language, recipient_kind, recipient_id, address, case_key, "
    "status, due_at, day, attempts, queued_at, sent_at, finished_at, answer, position"
)


def keep_message(tx: Tx, event: Any, position: int, zone: tzinfo) -> None:
    """Folds one Message event into its row."""
    if isinstance(event, Message.Queued):
        tx.execute(
            f"INSERT INTO outbox_messages ({_COLUMNS}) VALUES (:id, :rule, :template, :channel, "
            ":language, :recipient_kind, :recipient_id, :address, :case_key, 'queued', :due_at, "
            ":day, 0, :at, NULL, NULL, NULL, :position) ON CONFLICT (id) DO NOTHING",
            {
                **{k: getattr(event, k) for k in ("rule", "template", "channel", "language")},
                "recipient_kind": event.recipient_kind,
                "recipient_id": event.recipient_id,
                "address": event.address,
                "id": str(event.originator_id),
                "case_key": event.case,
                "due_at": db_time(event.due_at),
                "day": event.due_at.astimezone(zone).date().isoformat(),
                "at": db_time(event.timestamp),
                "position": position,
            },
        )
        return
    tx.execute(*_status_change(event, position))


def _status_change(event: Any, position: int) -> tuple[str, dict[str, object]]:
    params: dict[str, object] = {
        "id": str(event.originator_id),
        "at": db_time(event.timestamp),
        "answer": getattr(event, "answer", None) or getattr(event, "reason", None),
        "position": position,
    }
    if isinstance(event, Message.Sent):
        change = "status = 'sent', attempts = :attempt, sent_at = :at"
        params["attempt"] = event.attempt
    elif isinstance(event, Message.Failed) and event.retry_at is not None:
        change = "status = 'queued', attempts = :attempt, due_at = :retry"
        params.update(attempt=event.attempt, retry=db_time(event.retry_at))
    elif isinstance(event, Message.Failed):
        change = "status = 'failed', attempts = :attempt, finished_at = :at"
        params["attempt"] = event.attempt
    else:
        final = "delivered" if isinstance(event, Message.Delivered) else "cancelled"
        change = f"status = '{final}', finished_at = :at"
    sql = (
        f"UPDATE outbox_messages SET {change}, answer = :answer, position = :position "
        "WHERE id = :id AND position < :position"
    )
    return sql, params


def keep_birthday(tx: Tx, event: Any) -> None:
    """A customer's birthday as MM-DD; a merged file gets no greeting of its own."""
    key = {"id": str(event.originator_id)}
    tx.execute("DELETE FROM outbox_birthdays WHERE customer_id = :id", key)
    birthday: date | None = getattr(event, "birthday", None)
    if birthday is not None and not isinstance(event, Customer.MergedInto):
        tx.execute(
            "INSERT INTO outbox_birthdays (customer_id, month_day) VALUES (:id, :md)",
            {**key, "md": birthday.strftime("%m-%d")},
        )


def forget_recipients(tx: Tx, record_ids: Sequence[str]) -> None:
    """Erasure: the erased records' message addresses read as erased (as a rebuild would read
    them, their keys destroyed) and their birthdays are forgotten."""
    for params in chunks(record_ids):
        marks = ", ".join(":" + k for k in params)
        tx.execute(
            f"UPDATE outbox_messages SET address = :erased "
            f"WHERE id IN ({marks}) OR recipient_id IN ({marks})",
            {**params, "erased": ERASED},
        )
        tx.execute(f"DELETE FROM outbox_birthdays WHERE customer_id IN ({marks})", params)


class MessageQueries:
    """Reads of the message tables (the sender, the notifier, the API and the report)."""

    def __init__(self, tables: SqlView) -> None:
        self.tables = tables

    def due(self, now: datetime, limit: int) -> list[str]:
        rows = self.tables.query(
            "SELECT id FROM outbox_messages WHERE status = 'queued' AND due_at <= :now "
            "ORDER BY due_at, id LIMIT :limit",
            {"now": db_time(now), "limit": limit},
        )
        return [row["id"] for row in rows]

    def queued_in_case(self, case_key: str) -> list[str]:
        rows = self.tables.query(
            "SELECT id FROM outbox_messages WHERE case_key = :case AND status = 'queued'",
            {"case": case_key},
        )
        return [row["id"] for row in rows]

    def birthdays_on(self, month_day: str) -> list[str]:
        rows = self.tables.query(
            "SELECT customer_id FROM outbox_birthdays WHERE month_day = :md ORDER BY customer_id",
            {"md": month_day},
        )
        return [row["customer_id"] for row in rows]

    def page(self, filters: Mapping[str, str], after: str, limit: int) -> list[Mapping[str, Any]]:
        """Messages ordered by id after `after`, filtered by equal columns."""
        where = " AND ".join(f"{column} = :{column}" for column in filters)
        return list(
            self.tables.query(
                f"SELECT {_COLUMNS} FROM outbox_messages WHERE id > :after "
                f"{'AND ' + where if where else ''} ORDER BY id LIMIT :limit",
                {**filters, "after": after, "limit": limit},
            )
        )

    def get(self, message_id: str) -> Mapping[str, Any] | None:
        rows = self.tables.query(
            f"SELECT {_COLUMNS} FROM outbox_messages WHERE id = :id", {"id": message_id}
        )
        return rows[0] if rows else None

    def report(self, first_day: str, last_day: str) -> list[Mapping[str, Any]]:
        """短信发送统计: messages per template, channel and day (the day each was due)."""
        counts = ", ".join(
            f"SUM(CASE WHEN status = '{s}' THEN 1 ELSE 0 END) AS {s}"
            for s in ("queued", "sent", "delivered", "failed", "cancelled")
        )
        return list(
            self.tables.query(
                f"SELECT day, template, channel, COUNT(*) AS total, {counts} "
                "FROM outbox_messages WHERE day >= :first AND day <= :last "
                "GROUP BY day, template, channel ORDER BY day, template, channel",
                {"first": first_day, "last": last_day},
            )
        )
