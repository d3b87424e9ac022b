"""Call and agent facts (话务, 人工坐席): a row per call, per agent call, per presence spell.

One projection reads the call's and the agents' events, which a call command saves together,
so a segment always sees the queue its call stood in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Tracking

from kefu.domain.agent import EVENT_ACTIONS as AGENT_ACTIONS
from kefu.domain.agent import Agent
from kefu.domain.agent_presence import AgentStatus, next_status
from kefu.domain.call import Call
from kefu.projections.batch import Positioned
from kefu.projections.reports.facts import (
    LATER_BUCKET_DDL,
    NO_BUCKETS,
    FactProjection,
    Row,
    load_rows,
    seconds_between,
    upsert_sql,
)
from kefu.projections.sql import SqlView, db_time

CALLS = "report_calls"
SEGMENTS = "report_call_segments"
AGENTS = "report_agents"
STATES = "report_agent_states"

CALL_COLUMNS = (
    "id", "direction", "queued_at", "b_day", "b_week", "b_month", "b_hour", "queue",
    "current_queue", "answered_at", "agent_id", "wait_seconds", "abandoned", "ended_at",
    "offered_at", "ring_seconds", "callback_due_at", "called_back_at",
)  # fmt: skip
SEGMENT_COLUMNS = (
    "position", "agent_id", "call_id", "direction", "queue", "started_at", "occurred_at",
    "b_day", "b_week", "b_month", "b_hour", "talk_seconds", "wrap_seconds", "wrap_ended_at",
)  # fmt: skip
AGENT_COLUMNS = ("id", "name", "status", "state_position", "segment", "wrap_segment")
STATE_COLUMNS = ("position", "agent_id", "status", "started_at", "ended_at")


class CallFactsView(SqlView):
    """The call and agent fact tables."""

    ddl = (
        f"CREATE TABLE IF NOT EXISTS {CALLS} (id TEXT PRIMARY KEY, direction TEXT NOT NULL, "
        f"queued_at TEXT, {LATER_BUCKET_DDL}, queue TEXT, current_queue TEXT, answered_at TEXT, "
        "agent_id TEXT, wait_seconds DOUBLE PRECISION, abandoned INTEGER NOT NULL, "
        "ended_at TEXT, offered_at TEXT, ring_seconds DOUBLE PRECISION, callback_due_at TEXT, "
        "called_back_at TEXT)",
        f"CREATE INDEX IF NOT EXISTS {CALLS}_queued ON {CALLS} (queued_at)",
        f"CREATE TABLE IF NOT EXISTS {SEGMENTS} (position BIGINT PRIMARY KEY, "
        "agent_id TEXT NOT NULL, call_id TEXT NOT NULL, direction TEXT NOT NULL, queue TEXT, "
        f"started_at TEXT NOT NULL, occurred_at TEXT, {LATER_BUCKET_DDL}, "
        "talk_seconds DOUBLE PRECISION, wrap_seconds DOUBLE PRECISION, wrap_ended_at TEXT)",
        f"CREATE INDEX IF NOT EXISTS {SEGMENTS}_released ON {SEGMENTS} (occurred_at)",
        f"CREATE TABLE IF NOT EXISTS {AGENTS} (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
        "status TEXT NOT NULL, state_position BIGINT, segment BIGINT, wrap_segment BIGINT)",
        f"CREATE TABLE IF NOT EXISTS {STATES} (position BIGINT PRIMARY KEY, "
        "agent_id TEXT NOT NULL, status TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT)",
        f"CREATE INDEX IF NOT EXISTS {STATES}_ended ON {STATES} (ended_at, started_at)",
    )


class _Batch:
    """The rows one batch reads and changes, written back at its end."""

    def __init__(self, tx: Any, events: Sequence[Positioned]) -> None:
        call_ids = [str(p.event.originator_id) for p in events if isinstance(p.event, Call.Event)]
        call_ids += [str(p.event.call_id) for p in events if hasattr(p.event, "call_id")]
        agent_ids = [str(p.event.originator_id) for p in events if isinstance(p.event, Agent.Event)]
        self.calls: dict[str, Row] = load_rows(tx, CALLS, call_ids)
        self.agents: dict[str, Row] = load_rows(tx, AGENTS, agent_ids)
        opened = [a[k] for a in self.agents.values() for k in ("segment", "wrap_segment")]
        self.segments: dict[int, Row] = load_rows(tx, SEGMENTS, opened, key="position")
        spells = [a["state_position"] for a in self.agents.values()]
        self.states: dict[int, Row] = load_rows(tx, STATES, spells, key="position")

    def save(self, tx: Any) -> None:
        tx.executemany(upsert_sql(CALLS, CALL_COLUMNS), list(self.calls.values()))
        tx.executemany(upsert_sql(AGENTS, AGENT_COLUMNS), list(self.agents.values()))
        key = ("position",)
        tx.executemany(upsert_sql(SEGMENTS, SEGMENT_COLUMNS, key), list(self.segments.values()))
        tx.executemany(upsert_sql(STATES, STATE_COLUMNS, key), list(self.states.values()))


class CallFactsProjection(FactProjection[CallFactsView]):
    """Keeps the call and agent fact tables."""

    name = "report_calls"
    event_classes = (
        Call.Started, Call.Queued, Call.Offered, Call.Answered, Call.Transferred, Call.Ended,
        Call.CalledBack,
        Agent.Registered, Agent.LoggedIn, Agent.BecameAvailable, Agent.WentOnBreak,
        Agent.LoggedOut, Agent.CallOffered, Agent.CallAnswered, Agent.OfferWithdrawn,
        Agent.OfferMissed, Agent.OfferMissedStillAvailable, Agent.CallDialled,
        Agent.CallReleased,
    )  # fmt: skip

    def process_batch(self, events: Sequence[Positioned], tracking: Tracking) -> None:
        with self.view.write() as tx:
            batch = _Batch(tx, events)
            for p in events:
                if isinstance(p.event, Call.Event):
                    self._call(batch, p.event)
                else:
                    self._agent(batch, p)
            batch.save(tx)
            tx.track(tracking)

    def _call(self, batch: _Batch, event: Any) -> None:
        key, at = str(event.originator_id), event.timestamp
        if isinstance(event, Call.Started):
            batch.calls[key] = _new_call(key, str(event.direction))
            return
        call = batch.calls[key]
        if isinstance(event, Call.Queued) and call["queued_at"] is None:
            call.update(queued_at=db_time(at), queue=event.group, **self.buckets(at))
        if isinstance(event, Call.Queued | Call.Transferred) and event.group is not None:
            call["current_queue"] = event.group
        if isinstance(event, Call.Offered) and call["offered_at"] is None:
            call["offered_at"] = db_time(at)
        if isinstance(event, Call.Answered) and call["answered_at"] is None:
            waited = seconds_between(call["queued_at"], at)
            call.update(answered_at=db_time(at), agent_id=str(event.agent_id), wait_seconds=waited)
            call["ring_seconds"] = seconds_between(call["offered_at"], at)
        if isinstance(event, Call.Ended):
            call["ended_at"] = db_time(at)
            call["abandoned"] = int(call["answered_at"] is None and call["queued_at"] is not None)
            call["callback_due_at"] = db_time(event.callback_due_at)
        if isinstance(event, Call.CalledBack):
            call["called_back_at"] = db_time(at)

    def _agent(self, batch: _Batch, p: Positioned) -> None:
        event, key = p.event, str(p.event.originator_id)
        if isinstance(event, Agent.Registered):
            batch.agents[key] = dict.fromkeys(AGENT_COLUMNS) | {
                "id": key, "name": event.name, "status": str(AgentStatus.LOGGED_OUT),
            }  # fmt: skip
            return
        agent = batch.agents[key]
        self._segment(batch, agent, p)
        status = next_status(AgentStatus(agent["status"]), AGENT_ACTIONS[type(event)])
        if status != agent["status"]:
            self._new_state(batch, agent, p, status)

    def _segment(self, batch: _Batch, agent: Row, p: Positioned) -> None:
        """A segment runs from answering (or dialling) to release, then wrap-up to its end."""
        event, at = p.event, p.event.timestamp
        if isinstance(event, Agent.CallAnswered | Agent.CallDialled):
            call = batch.calls.get(str(event.call_id), {})
            inbound = isinstance(event, Agent.CallAnswered)
            batch.segments[p.position] = dict.fromkeys(SEGMENT_COLUMNS) | NO_BUCKETS | {
                "position": p.position, "agent_id": agent["id"], "call_id": str(event.call_id),
                "direction": "inbound" if inbound else "outbound",
                "queue": call.get("current_queue") if inbound else None,
                "started_at": db_time(at),
            }  # fmt: skip
            agent["segment"] = p.position
        elif isinstance(event, Agent.CallReleased):
            segment = batch.segments[agent["segment"]]
            segment.update(occurred_at=db_time(at), talk_seconds=event.talk_seconds)
            segment.update(self.buckets(at))
            agent["segment"], agent["wrap_segment"] = None, segment["position"]
        elif agent["status"] == AgentStatus.WRAP_UP and agent["wrap_segment"] is not None:
            segment = batch.segments[agent["wrap_segment"]]
            wrapped = seconds_between(segment["occurred_at"], at)
            segment.update(wrap_ended_at=db_time(at), wrap_seconds=wrapped)
            agent["wrap_segment"] = None

    def _new_state(self, batch: _Batch, agent: Row, p: Positioned, status: AgentStatus) -> None:
        """Closes the agent's current presence spell and opens the next (none when logged out)."""
        at = db_time(p.event.timestamp)
        if agent["state_position"] is not None:
            batch.states[agent["state_position"]]["ended_at"] = at
        agent["status"], agent["state_position"] = str(status), None
        if status is not AgentStatus.LOGGED_OUT:
            agent["state_position"] = p.position
            batch.states[p.position] = {
                "position": p.position, "agent_id": agent["id"], "status": str(status),
                "started_at": at, "ended_at": None,
            }  # fmt: skip


def _new_call(key: str, direction: str) -> Row:
    return dict.fromkeys(CALL_COLUMNS) | NO_BUCKETS | {
        "id": key, "direction": direction, "abandoned": 0,
    }  # fmt: skip
