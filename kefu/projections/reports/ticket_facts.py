"""Ticket facts (工单): a row per ticket, a row per counted event, a row per open spell.

The satisfaction, ticket, agent and ledger reports read these tables. An event row carries the
ticket's department and assignee as they stood right after the event (who resolved it, who was
rated); the ticket row carries the ticket's current attributes.

The reports grouped by a ticket's current attribute (category, department, priority, channel)
read no join: every fact, SLA fact and spell row carries those too (`ticket_department`, ...),
so a range of facts is grouped as it is read, however many tickets the history holds. When a
ticket's attribute changes, the projection rewrites the ticket's earlier rows (by `ticket_id`,
indexed) in the same transaction, and the rows of the batch get the values the ticket has at
the end of the batch: after every batch, all of a ticket's rows carry what its row says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Tracking

from kefu.domain.ticket import EVENT_ACTIONS, Ticket
from kefu.domain.ticket_lifecycle import AGENT_ACTIONS, TicketStatus, next_status
from kefu.projections.batch import Positioned
from kefu.projections.reports.facts import (
    BUCKET_DDL,
    FactProjection,
    Row,
    insert_sql,
    load_rows,
    seconds_between,
    upsert_sql,
)
from kefu.projections.sql import SqlView, Tx, db_time

TICKETS = "report_tickets"
FACTS = "report_ticket_facts"
SPELLS = "report_ticket_spells"
SLA_FACTS = "report_sla_facts"
# The ticket's current attributes, carried on the rows of these tables (see the docstring).
CARRIERS = (FACTS, SLA_FACTS, SPELLS)
CURRENT = ("category", "department", "priority", "channel")
CARRIED = tuple(f"ticket_{name}" for name in CURRENT)
CARRIED_DDL = ", ".join(f"{column} TEXT" for column in CARRIED)

TICKET_COLUMNS = (
    "id", "opened_at", "b_day", "b_week", "b_month", "b_hour", "channel", "category",
    "priority", "customer_id", "department", "assignee_id", "status", "response_due_at",
    "resolution_due_at", "first_response_at", "resolved_at", "closed_at", "reopen_count",
    "rating", "spell_seq", "spell_started_at", "version",
)  # fmt: skip
FACT_COLUMNS = (
    "position", "ticket_id", "kind", "occurred_at", "b_day", "b_week", "b_month", "b_hour",
    "agent_id", "department", "seconds", "met", "score", *CARRIED,
)  # fmt: skip
SPELL_COLUMNS = ("ticket_id", "seq", "started_at", "ended_at", *CARRIED)
SLA_COLUMNS = (
    "position", "ticket_id", "kind", "policy", "clock", "level", "occurred_at", "b_day",
    "b_week", "b_month", "b_hour", "priority", "department", *CARRIED,
)  # fmt: skip
SLA_EVENTS = (Ticket.SlaAssigned, Ticket.SlaWarned, Ticket.SlaBreached)
SLA_KINDS: dict[type[Any], str] = {
    Ticket.Opened: "assigned",
    Ticket.SlaAssigned: "assigned",
    Ticket.SlaWarned: "warning",
    Ticket.SlaBreached: "breach",
    Ticket.Escalated: "escalation",
}


class TicketFactsView(SqlView):
    """The ticket fact tables."""

    ddl = (
        f"CREATE TABLE IF NOT EXISTS {TICKETS} (id TEXT PRIMARY KEY, opened_at TEXT NOT NULL, "
        f"{BUCKET_DDL}, channel TEXT NOT NULL, category TEXT NOT NULL, priority TEXT NOT NULL, "
        "customer_id TEXT, department TEXT, assignee_id TEXT, status TEXT NOT NULL, "
        "response_due_at TEXT NOT NULL, resolution_due_at TEXT NOT NULL, "
        "first_response_at TEXT, resolved_at TEXT, closed_at TEXT, "
        "reopen_count INTEGER NOT NULL, rating INTEGER, spell_seq INTEGER NOT NULL, "
        "spell_started_at TEXT, version INTEGER NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {TICKETS}_opened ON {TICKETS} (opened_at)",
        f"CREATE TABLE IF NOT EXISTS {FACTS} (position BIGINT NOT NULL, "
        "ticket_id TEXT NOT NULL, kind TEXT NOT NULL, occurred_at TEXT NOT NULL, "
        f"{BUCKET_DDL}, agent_id TEXT, department TEXT, seconds DOUBLE PRECISION, "
        f"met INTEGER, score INTEGER, {CARRIED_DDL}, PRIMARY KEY (position, kind))",
        f"CREATE INDEX IF NOT EXISTS {FACTS}_kind ON {FACTS} (kind, occurred_at)",
        # With the kind in the key, a range read for one kind skips the others' rows in the
        # index instead of on the heap, whichever index the planner picks for it.
        f"DROP INDEX IF EXISTS {FACTS}_occurred",
        f"CREATE INDEX IF NOT EXISTS {FACTS}_occurred_kind ON {FACTS} (occurred_at, kind)",
        f"CREATE INDEX IF NOT EXISTS {FACTS}_ticket ON {FACTS} (ticket_id)",
        f"CREATE TABLE IF NOT EXISTS {SPELLS} (ticket_id TEXT NOT NULL, seq INTEGER NOT NULL, "
        f"started_at TEXT NOT NULL, ended_at TEXT, {CARRIED_DDL}, PRIMARY KEY (ticket_id, seq))",
        f"CREATE INDEX IF NOT EXISTS {SPELLS}_ended ON {SPELLS} (ended_at, started_at)",
        f"CREATE INDEX IF NOT EXISTS {SPELLS}_started ON {SPELLS} (started_at)",
        # SLA facts: a ticket put under a policy, warnings, breaches, escalations.
        f"CREATE TABLE IF NOT EXISTS {SLA_FACTS} (position BIGINT PRIMARY KEY, "
        "ticket_id TEXT NOT NULL, kind TEXT NOT NULL, policy TEXT, clock TEXT, level INTEGER, "
        f"occurred_at TEXT NOT NULL, {BUCKET_DDL}, priority TEXT, department TEXT, "
        f"{CARRIED_DDL})",
        f"CREATE INDEX IF NOT EXISTS {SLA_FACTS}_kind ON {SLA_FACTS} (kind, occurred_at)",
        # A ticket's SLA facts: its rows to rewrite, its latest policy (_policy_of).
        f"CREATE INDEX IF NOT EXISTS {SLA_FACTS}_ticket ON {SLA_FACTS} (ticket_id, position)",
    )

    def create_statements(self) -> tuple[str, ...]:
        """The DDL; on PostgreSQL, then the carried columns added to tables made before them
        (a no-op on tables made with them). SQLite has no ADD COLUMN IF NOT EXISTS: there
        `create_table` adds what is missing."""
        if not self.is_postgres:
            return self.ddl
        adds = ", ".join(f"ADD COLUMN IF NOT EXISTS {column} TEXT" for column in CARRIED)
        return (*self.ddl, *(f"ALTER TABLE {table} {adds}" for table in CARRIERS))

    def create_table(self) -> None:
        super().create_table()
        if self.is_postgres:
            return
        with self.read() as tx:
            missing = _missing_carried(tx)
        if missing:
            with self.write() as tx:  # BEGIN IMMEDIATE; another process may have added them
                for table, column in _missing_carried(tx):
                    tx.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")


def _missing_carried(tx: Tx) -> list[tuple[str, str]]:
    """The carried columns a SQLite table made before them lacks, as (table, column)."""
    missing = []
    for table in CARRIERS:
        tx.execute(f"PRAGMA table_info({table})")
        present = {row["name"] for row in tx.fetchall()}
        missing += [(table, column) for column in CARRIED if column not in present]
    return missing


# A cancelled ticket, or one marked a duplicate, leaves the backlog without being resolved.
WITHDRAWALS = (Ticket.Cancelled, Ticket.MarkedDuplicate)
SPELL_ENDS = (Ticket.Resolved, *WITHDRAWALS)


class TicketFactsProjection(FactProjection[TicketFactsView]):
    """Keeps the ticket fact tables."""

    name = "report_tickets"
    event_classes = (
        Ticket.Opened, Ticket.Reviewed, Ticket.Dispatched, Ticket.Redispatched, Ticket.Urged,
        Ticket.FollowedUp, Ticket.Started, Ticket.Resolved, Ticket.FeedbackGiven, Ticket.Rated,
        Ticket.Closed, Ticket.Reopened, Ticket.Archived, Ticket.AwaitingCustomer,
        Ticket.CustomerReplied, Ticket.Escalated, *SLA_EVENTS, Ticket.PriorityChanged,
        Ticket.Recategorised, Ticket.Tagged, *WITHDRAWALS,
    )  # fmt: skip

    def process_batch(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        with self.view.write() as tx:
            tickets = load_rows(tx, TICKETS, (str(p.event.originator_id) for p in events))
            before = {key: _current(ticket) for key, ticket in tickets.items()}
            facts: list[Row] = []
            sla: list[Row] = []
            spells: dict[tuple[str, int], Row] = {}
            for p in events:
                key = str(p.event.originator_id)
                if isinstance(p.event, Ticket.Opened):
                    tickets[key] = self._opened(p.event)
                ticket = tickets[key]
                if isinstance(p.event, (*SLA_EVENTS, Ticket.Escalated)) or _opened_under_sla(p):
                    sla.append(self._sla_fact(ticket, p, _policy_of(tx, p, sla)))
                if not isinstance(p.event, SLA_EVENTS):
                    facts.extend(self._facts(ticket, p))
                self._spell(ticket, p.event, spells)
            now = {key: _current(ticket) for key, ticket in tickets.items()}
            _rewrite_changed(tx, now, before)
            for row in (*facts, *sla, *spells.values()):
                row.update(now[row["ticket_id"]])
            tx.executemany(upsert_sql(TICKETS, TICKET_COLUMNS), list(tickets.values()))
            tx.executemany(insert_sql(FACTS, FACT_COLUMNS), facts)
            tx.executemany(insert_sql(SLA_FACTS, SLA_COLUMNS), sla)
            key_columns = ("ticket_id", "seq")
            tx.executemany(upsert_sql(SPELLS, SPELL_COLUMNS, key_columns), list(spells.values()))
            tx.track(tracking)

    def _opened(self, event: Ticket.Opened) -> Row:
        return {
            "id": str(event.originator_id),
            "opened_at": db_time(event.timestamp),
            **self.buckets(event.timestamp),
            "channel": str(event.channel),
            "category": event.category,
            "priority": str(event.priority),
            "customer_id": event.customer_id,
            "department": None,
            "assignee_id": None,
            "status": str(TicketStatus.OPEN),
            "response_due_at": db_time(event.response_due_at),
            "resolution_due_at": db_time(event.resolution_due_at),
            "first_response_at": None,
            "resolved_at": None,
            "closed_at": None,
            "reopen_count": 0,
            "rating": None,
            "spell_seq": 1,
            "spell_started_at": db_time(event.timestamp),
            "version": event.originator_version,
        }

    def _facts(self, ticket: Row, p: Positioned) -> list[Row]:
        """Applies the event to the ticket row; returns the facts it makes."""
        event, at = p.event, p.event.timestamp
        if isinstance(event, Ticket.Opened):
            return [self._fact(ticket, p, "opened")]
        action = EVENT_ACTIONS[type(event)]
        if isinstance(event, Ticket.Dispatched | Ticket.Redispatched):
            ticket["department"], ticket["assignee_id"] = event.department, event.agent_id
        if isinstance(event, Ticket.Escalated):
            _escalated(ticket, event)
        if isinstance(event, Ticket.PriorityChanged):
            ticket["priority"] = str(event.priority)
        if isinstance(event, Ticket.Recategorised):
            ticket["category"] = event.category
        ticket["status"] = str(next_status(TicketStatus(ticket["status"]), action))
        ticket["version"] = event.originator_version
        facts = []
        if action in AGENT_ACTIONS and ticket["first_response_at"] is None:
            ticket["first_response_at"] = db_time(at)
            waited = seconds_between(ticket["opened_at"], at)
            met = db_time(at) <= ticket["response_due_at"]
            facts.append(self._fact(ticket, p, "first_response", seconds=waited, met=met))
        facts.extend(self._lifecycle_facts(ticket, p))
        return facts

    def _lifecycle_facts(self, ticket: Row, p: Positioned) -> list[Row]:
        event, at = p.event, p.event.timestamp
        if isinstance(event, Ticket.Resolved):
            ticket["resolved_at"] = db_time(at)
            took = seconds_between(ticket["spell_started_at"], at)
            met = db_time(at) <= ticket["resolution_due_at"]
            return [self._fact(ticket, p, "resolved", seconds=took, met=met)]
        if isinstance(event, WITHDRAWALS):
            return [self._fact(ticket, p, "withdrawn")]  # never counted as resolved
        if isinstance(event, Ticket.Rated):
            ticket["rating"] = event.score
            return [self._fact(ticket, p, "rated", score=event.score)]
        if isinstance(event, Ticket.Closed):
            ticket["closed_at"] = db_time(at)
            return [self._fact(ticket, p, "closed")]
        if isinstance(event, Ticket.Reopened):
            ticket["resolution_due_at"] = db_time(event.resolution_due_at)
            ticket["reopen_count"] += 1
            ticket["rating"] = None
            return [self._fact(ticket, p, "reopened")]
        return []

    def _fact(
        self, ticket: Row, p: Positioned, kind: str, seconds: float | None = None,
        met: bool | None = None, score: int | None = None,
    ) -> Row:  # fmt: skip
        return self.fact(
            p.position,
            p.event.timestamp,
            ticket_id=ticket["id"],
            kind=kind,
            agent_id=ticket["assignee_id"],
            department=ticket["department"],
            seconds=seconds,
            met=None if met is None else int(met),
            score=score,
        )

    def _sla_fact(self, ticket: Row, p: Positioned, policy: str | None) -> Row:
        event = p.event
        kind = SLA_KINDS[type(event)]
        return self.fact(
            p.position,
            event.timestamp,
            ticket_id=ticket["id"],
            kind=kind,
            policy=policy,
            clock=getattr(event, "clock", None) or None,
            level=getattr(event, "level", None),
            priority=ticket["priority"],
            department=ticket["department"],
        )

    def _spell(self, ticket: Row, event: Any, spells: dict[tuple[str, int], Row]) -> None:
        """An open spell runs from opening (or reopening) to the next resolution: backlog."""
        at: datetime = event.timestamp
        if isinstance(event, Ticket.Reopened):
            ticket["spell_seq"] += 1
            ticket["spell_started_at"] = db_time(at)
        elif not isinstance(event, (Ticket.Opened, *SPELL_ENDS)):
            return
        ended = db_time(at) if isinstance(event, SPELL_ENDS) else None
        key = (ticket["id"], ticket["spell_seq"])
        spells[key] = {
            "ticket_id": ticket["id"], "seq": ticket["spell_seq"],
            "started_at": ticket["spell_started_at"], "ended_at": ended,
        }  # fmt: skip
        if ended is not None:
            ticket["spell_started_at"] = None


def _current(ticket: Row) -> Row:
    """The ticket's current attributes, as the columns that carry them."""
    return {column: ticket[name] for column, name in zip(CARRIED, CURRENT, strict=True)}


def _rewrite_changed(tx: Tx, now: dict[str, Row], before: dict[str, Row]) -> None:
    """The rows written before this batch of each ticket whose attributes it changed get the
    ticket's values now (the batch's own rows are written with them)."""
    changed = [{"id": key, **now[key]} for key, was in before.items() if now[key] != was]
    assignments = ", ".join(f"{column} = :{column}" for column in CARRIED)
    for table in CARRIERS:
        tx.executemany(f"UPDATE {table} SET {assignments} WHERE ticket_id = :id", changed)


def _escalated(ticket: Row, event: Ticket.Escalated) -> None:
    if event.priority is not None:
        ticket["priority"] = str(event.priority)
    if event.department is not None:
        ticket["department"], ticket["assignee_id"] = event.department, event.agent_id
    elif event.agent_id is not None:
        ticket["assignee_id"] = event.agent_id


def _policy_of(tx: Tx, p: Positioned, batch: list[Row]) -> str | None:
    """The policy an SLA fact belongs to; an escalation's is the ticket's policy then."""
    event = p.event
    if isinstance(event, Ticket.Opened):
        return event.sla.policy if event.sla else None
    if not isinstance(event, Ticket.Escalated):
        return str(event.policy)
    ticket_id = str(event.originator_id)
    for fact in reversed(batch):
        if fact["ticket_id"] == ticket_id and fact["policy"]:
            return str(fact["policy"])
    tx.execute(
        f"SELECT policy FROM {SLA_FACTS} WHERE ticket_id = :id AND policy IS NOT NULL "
        "ORDER BY position DESC LIMIT 1",
        {"id": ticket_id},
    )
    row = tx.fetchone()
    return None if row is None else str(row["policy"])


def _opened_under_sla(p: Positioned) -> bool:
    return isinstance(p.event, Ticket.Opened) and p.event.sla is not None
