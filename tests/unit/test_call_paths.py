"""Every call path, in memory, through the real call handlers: the call and its agents agree.

`Desk` plays the command layer: it runs a handler on the call, and on a refusal throws the
changes away as a failed save would.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from kefu.commands import calls as handlers
from kefu.commands.actions import Env
from kefu.commands.calls import (
    AnswerCall,
    EndCall,
    HoldCall,
    MissOffer,
    OfferCall,
    ResumeCall,
    RouteCall,
    Staff,
    TransferCall,
    TransferOut,
)
from kefu.commands.policies import Policies
from kefu.domain.agent import Agent
from kefu.domain.agent_presence import AgentStatus
from kefu.domain.call import Call
from kefu.domain.call_lifecycle import CallStatus
from kefu.domain.errors import ActionNotAllowed, NotFound, RuleViolated
from kefu.domain.metadata import EventMetadata
from kefu.domain.routing import AgentSnapshot, NoAgentAvailable, QueueRule, RoutingPolicy, Strategy
from kefu.projections.call_document import fold

A, C = AgentStatus, CallStatus
T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
META = EventMetadata("pbx", "service", UUID(int=1), UUID(int=2), None, "pbx")
END_OF_DAY_SHANGHAI = datetime(2030, 3, 4, 15, 59, 59, 999999, tzinfo=UTC)


class Desk(Staff):
    """Agents in memory, seen by routing exactly as they are (no stale read unless asked)."""

    def __init__(self, strategy: Strategy = Strategy.FEWEST_ANSWERED, agents: int = 3) -> None:
        self.availability = self
        self.minutes = 0.0
        self.agents: dict[UUID, Agent] = {}
        self.stale: dict[UUID, bool] = {}
        rule = QueueRule(strategy, fallback=Strategy.FEWEST_ANSWERED)
        self.policies = Policies(routing=RoutingPolicy(default=rule, rng=random.Random(3)))
        self.ids = [self.hire(order) for order in range(agents)]

    def hire(self, order: int) -> UUID:
        agent = Agent.register(
            name=f"agent {order}", extension=f"80{order}", skill_groups=("sales",), order=order,
            meta=META, at=self.now(),
        )  # fmt: skip
        agent.log_in(meta=META, at=self.now())
        agent.become_available(meta=META, at=self.now())
        self.agents[agent.id] = agent
        return agent.id

    def now(self) -> datetime:
        return T0 + timedelta(minutes=self.minutes)

    def env(self) -> Env:
        return Env(META, self.now(), self.policies)

    def agent(self, agent_id: UUID) -> Agent:
        if agent_id not in self.agents:
            raise NotFound("agent", agent_id)
        return self.agents[agent_id]

    def snapshot(self, group: str, also: UUID | None) -> list[AgentSnapshot]:
        return [
            AgentSnapshot(
                agent_id=a.id,
                order=a.order,
                available=self.stale.get(a.id, a.status is A.AVAILABLE),
                skill_groups=frozenset(a.skill_groups),
                answered_calls=a.answered_calls,
            )
            for a in self.agents.values()
        ]

    def status(self, n: int) -> AgentStatus:
        return self.agents[self.ids[n]].status

    def act(self, call: Call, handler: Callable[..., Any], cmd: Any, after: float = 0.5) -> Call:
        """Runs one handler `after` minutes later; a refusal leaves call and agents untouched."""
        self.minutes += after
        saved = copy.deepcopy((call, self.agents))
        call_only = handler in (handlers.hold, handlers.resume)
        try:
            handler(call, cmd, self.env(), *(() if call_only else (self,)))
        except Exception:
            call.__dict__.update(saved[0].__dict__)
            self.agents = saved[1]
            raise
        return call

    def queued_call(self, owner: UUID | None = None) -> Call:
        call = Call.arrive(
            caller="13800000000", hotline="4008", customer_id=None, meta=META, at=self.now()
        )
        call.choose_ivr(path=("1", "2"), meta=META, at=self.now())
        call.queue(group="sales", owner_agent_id=owner, meta=META, at=self.now())
        return call

    def connected_call(self) -> Call:
        call = self.act(self.queued_call(), handlers.route, RouteCall())
        return self.act(call, handlers.answer, AnswerCall(agent_id=call.offered_to[0]))


def view_of(call: Call) -> Any:
    view: Any = None
    for position, event in enumerate(call.collect_events(), start=1):
        view = fold(view, event, position)
    return view


def test_an_answered_call_connects_the_routed_agent_and_ends_in_wrap_up() -> None:
    desk = Desk()
    call = desk.act(desk.queued_call(), handlers.route, RouteCall())
    assert (call.status, call.offered_to, desk.status(0)) == (C.OFFERED, (desk.ids[0],), A.RINGING)

    desk.act(call, handlers.answer, AnswerCall(agent_id=desk.ids[0]))
    assert (call.status, desk.status(0)) == (C.CONNECTED, A.BUSY)
    desk.act(call, handlers.end, EndCall(hung_up_by="caller"), after=3)

    assert (call.status, desk.status(0)) == (C.ENDED, A.WRAP_UP)
    assert desk.agents[desk.ids[0]].talk_seconds == 180.0
    view = view_of(call)
    assert (view.status, view.wait_seconds, view.talk_seconds) == ("ended", 60.0, 180.0)
    assert view.callback_due_at is None and view.ivr_path == ("1", "2")


def test_a_caller_who_hangs_up_in_the_queue_is_an_abandoned_call_owed_a_callback_today() -> None:
    desk = Desk()
    call = desk.queued_call()

    desk.act(call, handlers.end, EndCall(hung_up_by="caller"), after=2)

    view = view_of(call)
    assert (call.status, view.status, view.wait_seconds) == (C.ABANDONED, "abandoned", 120.0)
    assert view.callback_due_at == END_OF_DAY_SHANGHAI


def test_a_caller_who_hangs_up_while_ringing_abandons_and_frees_the_ringing_agents() -> None:
    desk = Desk(Strategy.RING_ALL)
    call = desk.act(desk.queued_call(), handlers.route, RouteCall())
    assert [desk.status(n) for n in range(3)] == [A.RINGING] * 3

    desk.act(call, handlers.end, EndCall(hung_up_by="caller"))

    assert call.status is C.ABANDONED
    assert [desk.status(n) for n in range(3)] == [A.AVAILABLE] * 3


def test_a_missed_offer_requeues_the_call_which_is_then_answered_elsewhere() -> None:
    desk = Desk()
    call = desk.act(desk.queued_call(), handlers.route, RouteCall())

    desk.act(call, handlers.miss, MissOffer())
    assert (call.status, desk.status(0)) == (C.QUEUED, A.NOT_READY)
    assert desk.agents[desk.ids[0]].missed_offers == 1
    desk.act(call, handlers.route, RouteCall())
    desk.act(call, handlers.answer, AnswerCall(agent_id=desk.ids[1]))

    assert (call.status, call.agent_id, desk.status(1)) == (C.CONNECTED, desk.ids[1], A.BUSY)
    view = view_of(call)
    assert (view.offers, view.missed_offers, view.agent_id) == (2, 1, desk.ids[1])


def test_ring_all_connects_the_first_to_answer_and_withdraws_the_other_offers() -> None:
    desk = Desk(Strategy.RING_ALL)
    call = desk.act(desk.queued_call(), handlers.route, RouteCall())

    desk.act(call, handlers.answer, AnswerCall(agent_id=desk.ids[2]))

    assert [desk.status(n) for n in range(3)] == [A.AVAILABLE, A.AVAILABLE, A.BUSY]
    assert [desk.agents[i].missed_offers for i in desk.ids] == [0, 0, 0]


def test_an_agent_not_rung_by_the_call_cannot_answer_it() -> None:
    desk = Desk()
    call = desk.act(desk.queued_call(), handlers.route, RouteCall())

    with pytest.raises(RuleViolated, match="not rung"):
        desk.act(call, handlers.answer, AnswerCall(agent_id=desk.ids[1]))
    assert (call.status, desk.status(0), desk.status(1)) == (C.OFFERED, A.RINGING, A.AVAILABLE)


def test_routing_with_nobody_available_refuses_and_leaves_the_call_queued() -> None:
    desk = Desk(agents=1)
    desk.act(desk.connected_call(), lambda *a: None, None)
    call = desk.queued_call()

    with pytest.raises(NoAgentAvailable) as refused:
        desk.act(call, handlers.route, RouteCall())
    assert call.status is C.QUEUED
    assert "end" in refused.value.allowed_now


def test_routing_skips_an_agent_the_stale_snapshot_calls_available_and_rings_the_next() -> None:
    desk = Desk()
    first = desk.connected_call()  # agent 0 is busy ...
    desk.stale[first.agent_id or UUID(int=0)] = True  # ... but the read model has not seen it

    call = desk.act(desk.queued_call(), handlers.route, RouteCall())

    assert call.offered_to == (desk.ids[1],)
    assert desk.agents[desk.ids[0]].call_id == first.id


def test_the_owner_agent_of_a_familiar_customer_is_rung_first() -> None:
    desk = Desk(Strategy.FAMILIAR)

    call = desk.act(desk.queued_call(owner=desk.ids[2]), handlers.route, RouteCall())

    assert call.offered_to == (desk.ids[2],)


def test_a_manual_offer_to_a_busy_agent_is_refused_and_changes_nothing() -> None:
    desk = Desk()
    desk.connected_call()
    call = desk.queued_call()

    with pytest.raises(ActionNotAllowed, match="not available"):
        desk.act(call, handlers.offer, OfferCall(agent_ids=(desk.ids[1], desk.ids[0])))
    assert (call.status, desk.status(1)) == (C.QUEUED, A.AVAILABLE)


def test_hold_and_resume_keep_the_agent_busy_and_hold_time_is_not_talk_time() -> None:
    desk = Desk()
    call = desk.connected_call()

    desk.act(call, handlers.hold, HoldCall(), after=1)
    with pytest.raises(ActionNotAllowed):
        desk.act(call, handlers.hold, HoldCall(), after=0)
    assert (call.status, desk.status(0)) == (C.ON_HOLD, A.BUSY)
    desk.act(call, handlers.resume, ResumeCall(), after=2)
    desk.act(call, handlers.end, EndCall(hung_up_by="agent"), after=1)

    view = view_of(call)
    assert (view.hold_seconds, view.talk_seconds) == (120.0, 120.0)


def test_a_transfer_to_an_agent_frees_the_first_agent_and_rings_the_second() -> None:
    desk = Desk()
    call = desk.connected_call()

    desk.act(call, handlers.transfer, TransferCall(agent_id=desk.ids[2]))
    assert (call.status, call.offered_to) == (C.OFFERED, (desk.ids[2],))
    assert (desk.status(0), desk.status(2)) == (A.WRAP_UP, A.RINGING)
    desk.act(call, handlers.answer, AnswerCall(agent_id=desk.ids[2]))

    assert (call.status, call.agent_id) == (C.CONNECTED, desk.ids[2])
    assert view_of(call).transfers == 1


def test_a_transfer_to_a_busy_agent_is_refused_and_the_call_stays_connected() -> None:
    desk = Desk()
    call = desk.connected_call()
    other = desk.connected_call()

    with pytest.raises(ActionNotAllowed):
        desk.act(call, handlers.transfer, TransferCall(agent_id=other.agent_id))
    assert (call.status, desk.status(0)) == (C.CONNECTED, A.BUSY)


def test_a_transfer_to_a_group_requeues_the_call_there() -> None:
    desk = Desk()
    call = desk.connected_call()

    desk.act(call, handlers.transfer, TransferCall(group="billing"))

    assert (call.status, call.group, desk.status(0)) == (C.QUEUED, "billing", A.WRAP_UP)


def test_a_transfer_to_an_outside_number_frees_the_agent_and_the_call_ends_later() -> None:
    desk = Desk()
    call = desk.connected_call()

    desk.act(call, handlers.transfer_out, TransferOut(number="+862112345678"))
    assert (call.status, desk.status(0)) == (C.EXTERNAL, A.WRAP_UP)
    desk.act(call, handlers.end, EndCall(hung_up_by="caller"))

    assert call.status is C.ENDED
    assert view_of(call).transferred_to_number == "+862112345678"


def dialled(desk: Desk) -> Call:
    call = Call.dial(
        agent_id=desk.ids[1], number="13900000000", hotline="4008", customer_id="cust-9",
        purpose="return_visit", meta=META, at=desk.now(),
    )  # fmt: skip
    desk.agents[desk.ids[1]].dial(call_id=call.id, meta=META, at=desk.now())
    return call


def test_an_outbound_call_answered_by_the_customer_connects_the_dialling_agent() -> None:
    desk = Desk()
    call = dialled(desk)
    assert (call.status, desk.status(1)) == (C.DIALING, A.BUSY)

    desk.act(call, handlers.answer, AnswerCall())
    desk.act(call, handlers.end, EndCall(hung_up_by="agent"), after=2)

    assert (call.status, desk.status(1)) == (C.ENDED, A.WRAP_UP)


def test_an_unreached_customer_gets_a_callback_due_before_the_end_of_the_day() -> None:
    desk = Desk()
    call = dialled(desk)

    desk.act(call, handlers.end, EndCall(hung_up_by="system", cause="no_answer"))

    view = view_of(call)
    assert (call.status, desk.status(1)) == (C.UNREACHED, A.WRAP_UP)
    assert view.callback_due_at == END_OF_DAY_SHANGHAI
    assert (view.direction, view.purpose, view.customer_id) == (
        "outbound",
        "return_visit",
        "cust-9",
    )


def test_an_ended_call_still_takes_recordings_notes_and_links_but_nothing_else() -> None:
    desk = Desk()
    call = desk.connected_call()
    desk.act(call, handlers.end, EndCall())

    call.attach_recording(
        uri="s3://rec/a.wav", duration_seconds=61.0, sha256="ab" * 32, meta=META, at=desk.now()
    )
    call.add_note(when="9:05", who="caller", where="home", what="router down", why="outage",
                  how="reset", meta=META, at=desk.now())  # fmt: skip
    call.link(customer_id="cust-1", ticket_id="T-1", complaint_id=None, meta=META, at=desk.now())

    with pytest.raises(ActionNotAllowed) as refused:
        desk.act(call, handlers.end, EndCall())
    assert refused.value.allowed_now == ("recording", "notes", "link")
    view = view_of(call)
    assert (view.recordings[0].sha256, view.notes[0].why, view.ticket_ids) == (
        "ab" * 32,
        "outage",
        ("T-1",),
    )


def owed_a_callback(desk: Desk) -> Call:
    call = desk.queued_call()
    return desk.act(call, handlers.end, EndCall(hung_up_by="caller"))


def callback_call(desk: Desk) -> Call:
    return Call.dial(
        agent_id=desk.ids[0], number="13800000000", hotline="4008", customer_id=None,
        purpose="callback", meta=META, at=desk.now(),
    )  # fmt: skip


def test_an_outbound_call_answers_the_callback_an_abandoned_call_is_owed_and_both_are_linked() -> (
    None
):
    desk = Desk()
    original, callback = owed_a_callback(desk), callback_call(desk)

    callback.answer_callback(original=original, meta=META, at=desk.now())

    assert original.called_back_by == callback.id
    assert (view_of(original).called_back_by, view_of(callback).callback_for) == (
        callback.id,
        original.id,
    )
    with pytest.raises(RuleViolated, match="called back already"):
        callback_call(desk).answer_callback(original=original, meta=META, at=desk.now())


def test_a_call_owed_no_callback_cannot_be_called_back() -> None:
    desk = Desk()
    answered = desk.act(desk.connected_call(), handlers.end, EndCall(hung_up_by="caller"))

    with pytest.raises(RuleViolated, match="owed no callback"):
        callback_call(desk).answer_callback(original=answered, meta=META, at=desk.now())
    assert answered.called_back_by is None
