"""The reports recomputed the slow, obvious way: straight from every event in the log.

Nothing here reads a read model or the report code: the buckets, the lifecycle and each
formula of docs/reports.md are written out again, plainly, over decoded domain events.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from kefu.domain.agent import EVENT_ACTIONS as AGENT_EVENT_ACTIONS
from kefu.domain.agent import Agent
from kefu.domain.agent_presence import AgentStatus
from kefu.domain.agent_presence import next_status as agent_next
from kefu.domain.call import Call
from kefu.domain.complaint import EVENT_ACTIONS as COMPLAINT_EVENT_ACTIONS
from kefu.domain.complaint import Complaint
from kefu.domain.complaint_lifecycle import ComplaintStatus
from kefu.domain.complaint_lifecycle import next_status as complaint_next
from kefu.domain.ticket import EVENT_ACTIONS as TICKET_EVENT_ACTIONS
from kefu.domain.ticket import Ticket
from kefu.domain.ticket_lifecycle import TicketStatus
from kefu.domain.ticket_lifecycle import next_status as ticket_next
from kefu.domain.visit import Visit

RESPONSES = (
    Ticket.Reviewed, Ticket.Dispatched, Ticket.Redispatched, Ticket.Started, Ticket.Resolved,
    Ticket.FollowedUp, Ticket.FeedbackGiven, Ticket.AwaitingCustomer,
)  # fmt: skip
SLA_KINDS = {Ticket.SlaAssigned: "assigned", Ticket.SlaWarned: "warning",
             Ticket.SlaBreached: "breach", Ticket.Escalated: "escalation"}  # fmt: skip
REMEDY_KINDS = ("apology", "compensation", "exchange", "refund", "repair", "service_upgrade")


def period_label(day: date, period: str) -> str:
    if period == "day":
        return day.isoformat()
    if period == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    return f"{day.year:04d}-{day.month:02d}"


def period_span(day: date, period: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """The [start, end) instants of the period `day` falls in."""
    if period == "day":
        first, after = day, day + timedelta(days=1)
    elif period == "week":
        first = day - timedelta(days=day.weekday())
        after = first + timedelta(days=7)
    else:
        first = day.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
    return (datetime.combine(first, time(), zone), datetime.combine(after, time(), zone))


@dataclass
class Ask:
    """One report request."""

    start: datetime
    end: datetime
    period: str
    group_by: str | None
    zone: tzinfo
    now: datetime
    threshold: int = 20

    def within(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def label(self, moment: datetime) -> str:
        return period_label(moment.astimezone(self.zone).date(), self.period)

    def periods(self) -> dict[str, tuple[datetime, datetime]]:
        found: dict[str, tuple[datetime, datetime]] = {}
        day = self.start.astimezone(self.zone).date()
        while datetime.combine(day, time(), self.zone) < self.end:
            found.setdefault(
                period_label(day, self.period), period_span(day, self.period, self.zone)
            )
            day += timedelta(days=1)
        return found


@dataclass
class Table:
    """Rows by (period, group) of named numbers."""

    ask: Ask
    rows: dict[tuple[str, Any], dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.ask.group_by is None:
            for label in self.ask.periods():
                self.row(label, None)

    def row(self, label: str, group: Any) -> dict[str, Any]:
        key = (label, group if self.ask.group_by else None)
        return self.rows.setdefault(key, defaultdict(float))

    def add(
        self, moment_or_label: datetime | str, group: Any, name: str, amount: float = 1
    ) -> None:
        label = (
            moment_or_label if isinstance(moment_or_label, str) else self.ask.label(moment_or_label)
        )
        self.row(label, group)[name] += amount

    def samples(self, moment: datetime, group: Any, name: str, value: float) -> None:
        row = self.row(self.ask.label(moment), group)
        row.setdefault(name + "[]", []).append(value)


def pct(a: float, b: float) -> float | None:
    return round(100 * a / b, 1) if b else None


def avg(total: float, n: float, digits: int = 1) -> float | None:
    return round(total / n, digits) if n else None


def nearest_rank_p90(values: list[float]) -> float | None:
    if not values:
        return None
    return round(sorted(values)[math.ceil(0.9 * len(values)) - 1], 1)


class Oracle:
    """Facts found by walking every event once, in log order."""

    def __init__(self, events: list[Any]) -> None:
        self.tickets: dict[Any, dict[str, Any]] = {}
        self.ticket_facts: list[dict[str, Any]] = []
        self.calls: dict[Any, dict[str, Any]] = {}
        self.segments: list[dict[str, Any]] = []
        self.spells: list[dict[str, Any]] = []
        self.complaints: dict[Any, dict[str, Any]] = {}
        self.complaint_facts: list[dict[str, Any]] = []
        self.sla_facts: list[dict[str, Any]] = []
        self.visits: dict[Any, dict[str, Any]] = {}
        agents: dict[Any, dict[str, Any]] = {}
        for e in events:
            if isinstance(e, Ticket.Event):
                self._ticket(e)
            elif isinstance(e, Call.Event):
                self._call(e)
            elif isinstance(e, Agent.Event):
                self._agent(agents, e)
            elif isinstance(e, Complaint.Event):
                self._complaint(e)
            elif isinstance(e, Visit.Event):
                self._visit(e)

    # --- walking the log
    def _ticket(self, e: Any) -> None:
        t, at = self.tickets.get(e.originator_id), e.timestamp
        if isinstance(e, Ticket.Opened):
            t = self.tickets[e.originator_id] = {
                "id": str(e.originator_id), "opened_at": at, "channel": str(e.channel),
                "category": e.category, "priority": str(e.priority), "customer_id": e.customer_id,
                "department": None, "assignee_id": None, "status": TicketStatus.OPEN,
                "response_due_at": e.response_due_at, "resolution_due_at": e.resolution_due_at,
                "first_response_at": None, "resolved_at": None, "closed_at": None,
                "reopen_count": 0, "rating": None, "spell_start": at, "marks": [(at, "start")],
                "policy": e.sla.policy if e.sla else None,
            }  # fmt: skip
            self._tfact(t, e, "opened")
            if e.sla:
                self._sla_fact(t, e, "assigned")
            return
        assert t is not None
        if type(e) in SLA_KINDS:
            self._sla_fact(t, e, SLA_KINDS[type(e)])
        if type(e) not in TICKET_EVENT_ACTIONS:
            return  # SLA records: no lifecycle action
        t["status"] = ticket_next(t["status"], TICKET_EVENT_ACTIONS[type(e)])
        if isinstance(e, Ticket.Dispatched | Ticket.Redispatched):
            t["department"], t["assignee_id"] = e.department, e.agent_id
        if isinstance(e, Ticket.Escalated):
            t["priority"] = str(e.priority or t["priority"])
            if e.department is not None:
                t["department"], t["assignee_id"] = e.department, e.agent_id
            elif e.agent_id is not None:
                t["assignee_id"] = e.agent_id
        if isinstance(e, Ticket.PriorityChanged):
            t["priority"] = str(e.priority)
        if isinstance(e, Ticket.Recategorised):
            t["category"] = e.category
        if isinstance(e, RESPONSES) and t["first_response_at"] is None:
            t["first_response_at"] = at
            self._tfact(
                t,
                e,
                "first_response",
                (at - t["opened_at"]).total_seconds(),
                at <= t["response_due_at"],
            )
        if isinstance(e, Ticket.Resolved):
            t["resolved_at"] = at
            self._tfact(
                t,
                e,
                "resolved",
                (at - t["spell_start"]).total_seconds(),
                at <= t["resolution_due_at"],
            )
            t["marks"].append((at, "end"))
        elif isinstance(e, Ticket.Rated):
            t["rating"] = e.score
            self._tfact(t, e, "rated", score=e.score)
        elif isinstance(e, Ticket.Closed):
            t["closed_at"] = at
            self._tfact(t, e, "closed")
        elif isinstance(e, Ticket.Cancelled | Ticket.MarkedDuplicate):
            self._tfact(t, e, "withdrawn")  # out of the backlog, never resolved
            t["marks"].append((at, "end"))
        elif isinstance(e, Ticket.Reopened):
            t.update(resolution_due_at=e.resolution_due_at, rating=None, spell_start=at)
            t["reopen_count"] += 1
            t["marks"].append((at, "start"))
            self._tfact(t, e, "reopened")

    def _sla_fact(self, t: dict[str, Any], e: Any, kind: str) -> None:
        """As the ticket stands before the event (the priority an escalation raises from)."""
        if kind == "assigned" and not isinstance(e, Ticket.Opened):
            t["policy"] = e.policy
        self.sla_facts.append({
            "kind": kind, "at": e.timestamp, "ticket": t, "policy": t["policy"],
            "clock": getattr(e, "clock", None) or None, "priority": t["priority"],
        })  # fmt: skip

    def _tfact(self, t: dict[str, Any], e: Any, kind: str, seconds: float | None = None,
               met: bool | None = None, score: int | None = None) -> None:  # fmt: skip
        self.ticket_facts.append({
            "kind": kind, "at": e.timestamp, "ticket": t, "seconds": seconds, "met": met,
            "score": score, "agent": t["assignee_id"], "department": t["department"],
        })  # fmt: skip

    def _call(self, e: Any) -> None:
        if isinstance(e, Call.Started):
            self.calls[e.originator_id] = {
                "direction": str(e.direction), "queued_at": None, "queue": None, "group": None,
                "answered_at": None, "agent": None, "ended": False, "abandoned": False,
                "offered_at": None, "callback_due": None, "called_back": None,
            }  # fmt: skip
            return
        c = self.calls[e.originator_id]
        if isinstance(e, Call.Queued) and c["queued_at"] is None:
            c["queued_at"], c["queue"] = e.timestamp, e.group
        if isinstance(e, Call.Queued | Call.Transferred) and e.group is not None:
            c["group"] = e.group
        if isinstance(e, Call.Offered) and c["offered_at"] is None:
            c["offered_at"] = e.timestamp
        if isinstance(e, Call.Answered) and c["answered_at"] is None:
            c["answered_at"], c["agent"] = e.timestamp, str(e.agent_id)
        if isinstance(e, Call.Ended):
            c["abandoned"] = c["answered_at"] is None and c["queued_at"] is not None
            c["callback_due"] = e.callback_due_at
        if isinstance(e, Call.CalledBack):
            c["called_back"] = e.timestamp

    def _agent(self, agents: dict[Any, dict[str, Any]], e: Any) -> None:
        key, at = str(e.originator_id), e.timestamp
        if isinstance(e, Agent.Registered):
            agents[e.originator_id] = {
                "status": AgentStatus.LOGGED_OUT,
                "spell": None,
                "seg": None,
                "wrap": None,
            }
            return
        a = agents[e.originator_id]
        if isinstance(e, Agent.CallAnswered | Agent.CallDialled):
            inbound = isinstance(e, Agent.CallAnswered)
            a["seg"] = {"agent": key, "inbound": inbound, "released": None, "wrap": None,
                        "queue": self.calls[e.call_id]["group"] if inbound else None}  # fmt: skip
            self.segments.append(a["seg"])
        elif isinstance(e, Agent.CallReleased):
            a["seg"].update(released=at, talk=e.talk_seconds)
            a["wrap"], a["seg"] = a["seg"], None
        elif a["status"] is AgentStatus.WRAP_UP and a["wrap"] is not None:
            a["wrap"]["wrap"] = (at - a["wrap"]["released"]).total_seconds()
            a["wrap"] = None
        if type(e) not in AGENT_EVENT_ACTIONS:
            return
        status = agent_next(a["status"], AGENT_EVENT_ACTIONS[type(e)])
        if status is not a["status"]:
            if a["spell"] is not None:
                a["spell"]["end"] = at
            a["status"], a["spell"] = status, None
            if status is not AgentStatus.LOGGED_OUT:
                a["spell"] = {"agent": key, "status": str(status), "start": at, "end": None}
                self.spells.append(a["spell"])

    def _complaint(self, e: Any) -> None:
        at = e.timestamp
        if isinstance(e, Complaint.Registered):
            self.complaints[e.originator_id] = {
                "id": str(e.originator_id), "registered_at": at, "channel": str(e.channel),
                "customer_id": e.customer_id, "type": str(e.complaint_type),
                "severity": str(e.severity), "major": e.major, "department": None,
                "status": ComplaintStatus.REGISTERED, "first_reply_due_at": e.first_reply_due_at,
                "final_answer_due_at": e.final_answer_due_at, "acknowledged_at": None,
                "answered_at": None, "closed_at": None, "reopen_count": 0, "satisfaction": None,
                "proposals": {},
            }  # fmt: skip
            return
        c = self.complaints[e.originator_id]
        if type(e) in COMPLAINT_EVENT_ACTIONS:
            c["status"] = complaint_next(c["status"], COMPLAINT_EVENT_ACTIONS[type(e)])
        if isinstance(e, Complaint.MadeMajor):
            c["major"] = True
        elif isinstance(e, Complaint.Acknowledged) and c["acknowledged_at"] is None:
            c["acknowledged_at"] = at
        elif isinstance(e, Complaint.ResponsibilityAttributed):
            c["department"] = e.department
        elif isinstance(e, Complaint.ResolutionProposed):
            c["proposals"][e.number] = [str(r.kind) for r in e.remedies]
        elif isinstance(e, Complaint.ResolutionAccepted):
            c["answered_at"] = c["answered_at"] or at
            for kind in c["proposals"][e.number]:
                self.complaint_facts.append({"kind": "remedy", "at": at, "c": c, "remedy": kind})
        elif isinstance(e, Complaint.Confirmed):
            c["satisfaction"] = e.satisfaction
        elif isinstance(e, Complaint.Reopened):
            c["reopen_count"] += 1
        elif isinstance(e, Complaint.Closed):
            c["closed_at"] = at
            seconds = (at - c["registered_at"]).total_seconds()
            self.complaint_facts.append({"kind": "closed", "at": at, "c": c, "seconds": seconds})

    def _visit(self, e: Any) -> None:
        if isinstance(e, Visit.Scheduled):
            self.visits[e.originator_id] = {
                "rule": e.rule, "agent": e.assignee_id, "due_on": e.due_on, "done_at": None,
                "reached": False,
            }  # fmt: skip
            return
        v = self.visits[e.originator_id]
        if isinstance(e, Visit.Assigned):
            v["agent"] = e.agent_id
        elif isinstance(e, Visit.Rescheduled):
            v["due_on"] = e.due_on
        elif isinstance(e, Visit.Done):
            v["done_at"], v["reached"] = e.timestamp, e.reached

    # --- the reports
    def report(self, name: str, ask: Ask) -> list[dict[str, Any]]:
        table: Table = getattr(self, f"{name}_report")(ask)
        return finish(table)

    def satisfaction_report(self, ask: Ask) -> Table:
        table = Table(ask)
        for f in self.ticket_facts:
            if f["kind"] == "rated" and ask.within(f["at"]):
                group = {"agent": f["agent"], "department": f["department"]}.get(
                    ask.group_by or "", f["ticket"].get(ask.group_by or "", None)
                )
                row = table.row(ask.label(f["at"]), group)
                row["ratings"] += 1
                row["total"] += f["score"]
                row[f"score_{f['score']}"] += 1
        for row in table.rows.values():
            n = row["ratings"]
            row["average"] = avg(row.pop("total", 0), n, 2)
            row["csat_pct"] = pct(row["score_4"] + row["score_5"], n)
        return table

    def tickets_report(self, ask: Ask) -> Table:
        table = Table(ask)
        names = {
            "opened": "created",
            "resolved": "resolved",
            "closed": "closed",
            "reopened": "reopened",
            "withdrawn": "withdrawn",
        }
        for f in self.ticket_facts:
            group = f["ticket"][ask.group_by] if ask.group_by else None
            if not ask.within(f["at"]):
                continue
            if f["kind"] in names:
                table.add(f["at"], group, names[f["kind"]])
            if f["kind"] in ("first_response", "resolved"):
                name = "response" if f["kind"] == "first_response" else "resolution"
                table.samples(f["at"], group, name, f["seconds"])
                table.add(f["at"], group, name + "_met", int(f["met"]))
        for label, (_, period_end) in ask.periods().items():
            at = min(period_end, ask.end)
            for t in self.tickets.values():
                before = [kind for moment, kind in t["marks"] if moment < at]
                if before and before[-1] == "start":
                    table.add(label, t[ask.group_by] if ask.group_by else None, "backlog")
        for row in table.rows.values():
            response, resolution = row.pop("response[]", []), row.pop("resolution[]", [])
            row["first_response_avg_seconds"] = avg(sum(response), len(response))
            row["first_response_p90_seconds"] = nearest_rank_p90(response)
            row["response_compliance_pct"] = pct(row.pop("response_met", 0), len(response))
            row["resolution_avg_seconds"] = avg(sum(resolution), len(resolution))
            row["resolution_p90_seconds"] = nearest_rank_p90(resolution)
            row["deadline_compliance_pct"] = pct(row.pop("resolution_met", 0), len(resolution))
        counted = {"warning": "sla_warnings", "breach": "sla_breaches",
                   "escalation": "sla_escalations"}  # fmt: skip
        for f in self.sla_facts:
            if f["kind"] in counted and ask.within(f["at"]):
                group = f["ticket"][ask.group_by] if ask.group_by else None
                table.add(f["at"], group, counted[f["kind"]])
        return table

    def sla_report(self, ask: Ask) -> Table:
        table = Table(ask)
        counted = {"warning": "warnings", "breach": "breaches", "escalation": "escalations"}
        tickets: dict[tuple[str, Any, str], set[str]] = defaultdict(set)
        for f in self.sla_facts:
            if not ask.within(f["at"]):
                continue
            group = f[ask.group_by] if ask.group_by else None
            key = (ask.label(f["at"]), group if ask.group_by else None)
            table.row(*key)
            tickets[(*key, f["kind"])].add(f["ticket"]["id"])
            if f["kind"] in counted:
                table.add(f["at"], group, counted[f["kind"]])
        for key, row in table.rows.items():
            assigned = len(tickets[(*key, "assigned")])
            breached = len(tickets[(*key, "breach")])
            row["assigned"] = assigned
            row["breach_free_pct"] = pct(max(assigned - breached, 0), assigned)
        return table

    def calls_report(self, ask: Ask) -> Table:
        table = Table(ask)
        for c in self.calls.values():
            if (
                c["direction"] != "inbound"
                or c["queued_at"] is None
                or not ask.within(c["queued_at"])
            ):
                continue
            group = {
                "queue": c["queue"],
                "agent": c["agent"],
                "hour": c["queued_at"].astimezone(ask.zone).hour,
            }
            row = table.row(ask.label(c["queued_at"]), group.get(ask.group_by or ""))
            row["offered"] += 1
            if c["answered_at"] is not None:
                wait = (c["answered_at"] - c["queued_at"]).total_seconds()
                row["answered"] += 1
                row["wait"] += wait
                row["in_time"] += wait <= ask.threshold
                ring = (c["answered_at"] - c["offered_at"]).total_seconds()
                row["answered_in_3_rings"] += ring <= 15
            row["abandoned"] += c["abandoned"]
            if c["callback_due"] is not None:
                row["callbacks_owed"] += 1
                made = c["called_back"]
                row["callbacks_in_time"] += made is not None and made <= c["callback_due"]
        for s in self.segments:
            if s["inbound"] and s["wrap"] is not None and ask.within(s["released"]):
                group = {
                    "queue": s["queue"],
                    "agent": s["agent"],
                    "hour": s["released"].astimezone(ask.zone).hour,
                }
                row = table.row(ask.label(s["released"]), group.get(ask.group_by or ""))
                row["handled"] += 1
                row["handle"] += s["talk"] + s["wrap"]
                row["talk_over_3_min"] += s["talk"] > 180
                row["talk_over_5_min"] += s["talk"] > 300
        for row in table.rows.values():
            offered, answered = row["offered"], row["answered"]
            row["answer_rate_pct"] = pct(answered, offered)
            row["abandon_rate_pct"] = pct(row["abandoned"], offered)
            row["service_level_pct"] = pct(row.pop("in_time", 0), offered)
            row["asa_seconds"] = avg(row.pop("wait", 0), answered)
            row["aht_seconds"] = avg(row.pop("handle", 0), row["handled"])
            row["answered_in_3_rings_pct"] = pct(row["answered_in_3_rings"], answered)
            row["callbacks_in_time_pct"] = pct(row["callbacks_in_time"], row["callbacks_owed"])
        return table

    def agents_report(self, ask: Ask) -> Table:
        table = Table(ask)
        for s in self.segments:
            if s["wrap"] is not None and ask.within(s["released"]):
                row = table.row(ask.label(s["released"]), s["agent"])
                row["calls_handled"] += 1
                row["talk_seconds"] += s["talk"]
                row["wrap_up_seconds"] += s["wrap"]
        for f in self.ticket_facts:
            if (
                f["kind"] in ("resolved", "rated")
                and f["agent"] is not None
                and ask.within(f["at"])
            ):
                row = table.row(ask.label(f["at"]), f["agent"])
                if f["kind"] == "resolved":
                    row["tickets_resolved"] += 1
                else:
                    row["ratings"] += 1
                    row["total"] += f["score"]
        until = min(ask.end, ask.now)
        for spell in self.spells:
            for label, (p_start, p_end) in ask.periods().items():
                low = max(spell["start"], p_start, ask.start)
                high = min(spell["end"] or until, p_end, until)
                if high > low:
                    row = table.row(label, spell["agent"])
                    row["logged_in_seconds"] += (high - low).total_seconds()
                    name = {"available": "available_seconds", "on_break": "break_seconds"}
                    if spell["status"] in name:
                        row[name[spell["status"]]] += (high - low).total_seconds()
        for row in table.rows.values():
            for name in list(row):
                if name.endswith("_seconds"):
                    row[name] = round(row[name], 1)
            row["average_rating"] = avg(row.pop("total", 0), row["ratings"], 2)
        return table

    def complaints_report(self, ask: Ask) -> Table:
        table = Table(ask)
        by = {"type": "type", "department": "department", "severity": "severity"}
        seen: Counter[tuple[Any, ...]] = Counter()
        for c in self.complaints.values():
            if ask.within(c["registered_at"]):
                group = c[by[ask.group_by]] if ask.group_by else None
                row = table.row(ask.label(c["registered_at"]), group)
                row["registered"] += 1
                row["major"] += c["major"]
                answered, due = c["answered_at"], c["final_answer_due_at"]
                row["overdue"] += (answered is not None and answered > due) or (
                    answered is None and due < ask.now
                )
                seen[ask.label(c["registered_at"]), group, c["customer_id"]] += 1
        for (label, group, _), times in seen.items():
            table.add(label, group, "repeat_complainants", times > 1)
        for f in self.complaint_facts:
            if ask.within(f["at"]):
                group = f["c"][by[ask.group_by]] if ask.group_by else None
                if f["kind"] == "closed":
                    table.add(f["at"], group, "closed")
                    table.add(f["at"], group, "total", f["seconds"])
                else:
                    table.add(f["at"], group, f"remedy_{f['remedy']}")
        for row in table.rows.values():
            row["close_avg_seconds"] = avg(row.pop("total", 0), row["closed"])
        return table

    def visits_report(self, ask: Ask) -> Table:
        table = Table(ask)
        today = ask.now.astimezone(ask.zone).date()
        for v in self.visits.values():
            due_at = datetime.combine(v["due_on"], time(), ask.zone)
            if not ask.within(due_at):
                continue
            group = {"rule": v["rule"], "agent": v["agent"]}.get(ask.group_by or "")
            row = table.row(period_label(v["due_on"], ask.period), group)
            deadline = v["due_on"] + timedelta(days=3)
            done_on = v["done_at"].astimezone(ask.zone).date() if v["done_at"] else None
            row["due"] += 1
            row["done"] += done_on is not None
            row["done_in_time"] += done_on is not None and done_on <= deadline
            row["late"] += (done_on is not None and done_on > deadline) or (
                done_on is None and deadline < today
            )
            row["reached"] += done_on is not None and v["reached"]
        for row in table.rows.values():
            row["reached_rate_pct"] = pct(row["reached"], row["done"])
        return table

    def ledger_report(self, ask: Ask) -> list[dict[str, Any]]:
        rows = []
        for t in self.tickets.values():
            if ask.within(t["opened_at"]):
                rows.append({
                    "kind": "ticket", **{k: t[k] for k in (
                        "id", "opened_at", "channel", "customer_id", "category", "priority",
                        "department", "assignee_id", "first_response_at", "response_due_at",
                        "resolved_at", "resolution_due_at", "closed_at", "reopen_count", "rating",
                    )}, "status": str(t["status"]), "major": None,
                })  # fmt: skip
        for c in self.complaints.values():
            if ask.within(c["registered_at"]):
                rows.append({
                    "kind": "complaint", "id": c["id"], "opened_at": c["registered_at"],
                    "channel": c["channel"], "customer_id": c["customer_id"],
                    "category": c["type"], "priority": c["severity"], "major": c["major"],
                    "department": c["department"], "assignee_id": None,
                    "status": str(c["status"]), "first_response_at": c["acknowledged_at"],
                    "response_due_at": c["first_reply_due_at"], "resolved_at": c["answered_at"],
                    "resolution_due_at": c["final_answer_due_at"], "closed_at": c["closed_at"],
                    "reopen_count": c["reopen_count"], "rating": c["satisfaction"],
                })  # fmt: skip
        for row in rows:
            row["period"] = ask.label(row["opened_at"])
        return sorted(rows, key=lambda r: (r["opened_at"], r["kind"], r["id"]))


def finish(table: Table | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as plain dicts, the grouping under its own name."""
    if isinstance(table, list):
        return table
    rows = []
    for (label, group), values in table.rows.items():
        head: dict[str, Any] = {"period": label}
        if table.ask.group_by:
            head[table.ask.group_by] = group
        rows.append(head | dict(values))
    return rows
