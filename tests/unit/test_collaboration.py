"""协同工单: node lights, the escalation decision, and the ticket's rules about its nodes."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

import msgspec
import pytest
from eventsourcing.domain import Snapshot

from kefu.domain.collaboration import Light, Node, NodeStatus, light, warning_time
from kefu.domain.errors import RuleViolated
from kefu.domain.ticket import Ticket
from kefu.domain.ticket_lifecycle import TicketStatus
from kefu.projections.ticket_document import fold
from kefu.store.mapper import MsgspecMapper
from tests.unit.test_ticket import T0, later, meta, open_ticket

DUE = later(60)
WARN = warning_time(T0, DUE, 0.8)  # 48 minutes in


def with_nodes(*departments: str) -> Ticket:
    ticket = open_ticket()
    ticket.dispatch(department="after_sales", agent_id=None, meta=meta(), at=T0)
    for department in departments:
        ticket.open_node(
            department=department, owner_id=None, deliverable="its part", warn_at=WARN,
            due_at=DUE, meta=meta(), at=T0,
        )  # fmt: skip
    return ticket


def test_the_warning_time_is_the_share_of_the_node_time() -> None:
    assert later(48) == WARN


@pytest.mark.parametrize(
    ("minutes", "finished", "expected"),
    [
        (0, None, Light.GREEN),
        (47.9, None, Light.GREEN),
        (48, None, Light.YELLOW),  # at the warning share
        (59.9, None, Light.YELLOW),
        (60, None, Light.RED),  # at the deadline, still open
        (600, 59, Light.GREEN),  # done on time stays green
        (600, 60, Light.GREEN),
        (600, 61, Light.RED),  # done late stays red
        (50, 49, Light.GREEN),  # done at risk, but on time
    ],
)
def test_a_node_light_is_green_then_yellow_then_red_and_a_done_node_keeps_its_verdict(
    minutes: float, finished: float | None, expected: Light
) -> None:
    done_at = None if finished is None else later(finished)

    assert light(WARN, DUE, done_at, later(minutes)) is expected


@pytest.mark.parametrize(
    ("node", "minutes", "due"),
    [
        (Node("finance", None, "", T0, WARN, DUE), 59, False),
        (Node("finance", None, "", T0, WARN, DUE), 60, True),
        (Node("finance", None, "", T0, WARN, DUE, escalated=True), 90, False),
        (Node("finance", None, "", T0, WARN, DUE, NodeStatus.DONE, later(61)), 90, False),
        (Node("finance", None, "", T0, WARN, DUE, NodeStatus.OVERRIDDEN, later(1)), 90, False),
    ],
    ids=["not-yet", "at-the-deadline", "escalated-before", "done", "overridden"],
)
def test_only_an_open_node_past_its_deadline_and_not_escalated_is_escalated(
    node: Node, minutes: float, due: bool
) -> None:
    assert node.escalation_due(later(minutes)) is due


def test_a_node_is_escalated_once_and_only_when_overdue() -> None:
    ticket = with_nodes("finance")
    with pytest.raises(RuleViolated, match="not overdue"):
        ticket.escalate_node(department="finance", reason="late", meta=meta(), at=later(59))

    ticket.escalate_node(department="finance", reason="late", meta=meta(), at=later(60))

    with pytest.raises(RuleViolated, match="escalated already"):
        ticket.escalate_node(department="finance", reason="late", meta=meta(), at=later(90))
    assert ticket.nodes["finance"].escalated


def test_a_department_has_one_node_and_a_node_is_due_after_it_opens() -> None:
    ticket = with_nodes("finance")
    with pytest.raises(RuleViolated, match="already has a node"):
        with_nodes("finance").open_node(
            department="finance", owner_id=None, deliverable="", warn_at=WARN, due_at=DUE,
            meta=meta(), at=T0,
        )  # fmt: skip
    with pytest.raises(RuleViolated, match="due after it opens"):
        ticket.open_node(
            department="warehouse", owner_id=None, deliverable="", warn_at=T0, due_at=T0,
            meta=meta(), at=T0,
        )  # fmt: skip


def test_a_collaborative_ticket_resolves_only_when_every_node_is_finished() -> None:
    ticket = with_nodes("finance", "warehouse", "logistics")
    ticket.complete_node(department="finance", note="refunded", meta=meta(), at=later(10))

    with pytest.raises(RuleViolated, match="warehouse, logistics"):
        ticket.resolve(resolution="done", code="ok", meta=meta(), at=later(11))
    ticket.complete_node(department="warehouse", note="sent", meta=meta(), at=later(12))
    ticket.override_nodes(reason="carrier not needed", meta=meta(), at=later(13))
    ticket.resolve(resolution="done", code="ok", meta=meta(), at=later(14))

    assert ticket.status is TicketStatus.RESOLVED
    assert [n.status for n in ticket.nodes.values()] == ["done", "done", "overridden"]
    assert ticket.pending_events[-2].departments == ("logistics",)  # type: ignore[attr-defined]


def test_completing_a_node_needs_an_open_one_and_overriding_needs_a_reason() -> None:
    ticket = with_nodes("finance")
    with pytest.raises(RuleViolated, match="warehouse has no open node"):
        ticket.complete_node(department="warehouse", note="", meta=meta(), at=later(1))
    with pytest.raises(RuleViolated, match="needs a reason"):
        ticket.override_nodes(reason=" ", meta=meta(), at=later(1))
    ticket.complete_node(department="finance", note="", meta=meta(), at=later(1))
    with pytest.raises(RuleViolated, match="finance has no open node"):
        ticket.complete_node(department="finance", note="", meta=meta(), at=later(2))
    with pytest.raises(RuleViolated, match="no node is open"):
        ticket.override_nodes(reason="why", meta=meta(), at=later(2))


@pytest.mark.parametrize("withdraw", ["cancel", "mark_duplicate"])
def test_a_ticket_with_open_nodes_is_withdrawn_only_after_they_are_overridden(
    withdraw: str,
) -> None:
    ticket = with_nodes("finance")
    arguments = {"reason": "opened twice"}
    if withdraw == "mark_duplicate":
        arguments["original_id"] = str(UUID(int=5))

    with pytest.raises(RuleViolated, match="open: finance"):
        getattr(ticket, withdraw)(**arguments, meta=meta(), at=later(1))
    ticket.override_nodes(reason="withdrawn", meta=meta(), at=later(1))
    getattr(ticket, withdraw)(**arguments, meta=meta(), at=later(2))

    assert ticket.status in (TicketStatus.CANCELLED, TicketStatus.DUPLICATE)


def test_the_ticket_view_lists_the_nodes_with_lights_as_the_aggregate_has_them() -> None:
    ticket = with_nodes("finance", "warehouse")
    ticket.complete_node(department="finance", note="", meta=meta(), at=later(61))
    ticket.escalate_node(department="warehouse", reason="late", meta=meta(), at=later(62))
    view = None
    for position, event in enumerate(ticket.collect_events(), start=1):
        view = fold(view, event, position)

    assert view is not None
    assert [(n.department, n.status, n.escalated) for n in view.nodes] == [
        ("finance", "done", False),
        ("warehouse", "open", True),
    ]
    assert [n.light(later(30)) for n in view.nodes] == ["red", "green"]
    assert [n.light(later(50)) for n in view.nodes] == ["red", "yellow"]


def test_a_cancelled_ticket_needs_a_reason_and_a_ticket_cannot_duplicate_itself() -> None:
    ticket = open_ticket()
    with pytest.raises(RuleViolated, match="needs a reason"):
        ticket.cancel(reason="\u3000", meta=meta(), at=later(1))
    with pytest.raises(RuleViolated, match="itself"):
        ticket.mark_duplicate(original_id=str(ticket.id), reason="", meta=meta(), at=later(1))

    ticket.mark_duplicate(original_id=str(UUID(int=5)), reason="", meta=meta(), at=later(1))
    view = None
    for position, event in enumerate(ticket.collect_events(), start=1):
        view = fold(view, event, position)

    assert view is not None
    assert (view.status, view.duplicate_of) == ("duplicate", str(UUID(int=5)))
    assert view.overdue(later(10**6)) == {"response_overdue": False, "resolution_overdue": False}
    assert view.cancelled_at == later(1)


def test_a_ticket_snapshot_taken_before_nodes_existed_reads_as_a_ticket_without_nodes() -> None:
    ticket = open_ticket()
    ticket.collect_events()
    mapper = MsgspecMapper()
    stored = mapper.to_stored_event(Snapshot.take(ticket))
    envelope = msgspec.json.decode(stored.state)
    del envelope["state"]["nodes"], envelope["state"]["class_version"]  # as version 1 wrote it
    old = replace(stored, state=msgspec.json.encode(envelope))

    rebuilt = mapper.to_domain_event(old).mutate(None)  # type: ignore[attr-defined]

    assert rebuilt.nodes == {}
    assert vars(rebuilt) == vars(ticket)
