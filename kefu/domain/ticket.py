"""The ticket (工单): the unit of work of the service desk, as an event-sourced aggregate."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kefu.domain.channels import Channel
from kefu.domain.collaboration import Node, NodeStatus
from kefu.domain.deadlines import DeadlinePolicy, Priority
from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata
from kefu.domain.sla import BREACH, WARNING, Escalation, SlaMark, SlaPolicy, SlaTerms
from kefu.domain.ticket_lifecycle import (
    AGENT_ACTIONS,
    TRANSITIONS,
    TicketAction,
    TicketStatus,
    allowed_actions,
    next_status,
)

A = TicketAction


class Ticket(Aggregate):
    """A customer's request, from 受理 (open) to 归档 (archive).

    Public methods are the domain verbs: each checks the lifecycle table and the ticket's
    rules, then records one event. `at` is when it happened: the domain reads no clock.

    Why a verb and a private `@event` method (here and in every aggregate): eventsourcing runs
    an `@event` method's body when the event is triggered and again each time the aggregate is
    rebuilt from its stored events, and stores the method's arguments as the event's fields.
    So the verb does what must happen once, now: it checks the rules and works out derived
    values (`reopen` turns a deadline policy into a due time); the `@event` method only applies
    the recorded facts to the state. A rule tightened later then never refuses to replay old
    history, and a policy object is never stored in an event.
    """

    # Version 2 added the collaborative nodes: older snapshots read as a ticket without any.
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, object]) -> None:
        state["nodes"] = {}

    # Every attribute is declared: snapshots are decoded by these types.
    channel: Channel
    customer_id: str | None
    category: str
    priority: Priority
    subject: str
    description: str
    response_due_at: datetime
    resolution_due_at: datetime
    status: TicketStatus
    department: str | None
    assignee_id: str | None
    first_response_at: datetime | None
    urge_count: int
    resolution_count: int
    rated_resolutions: int
    rating: int | None
    nodes: dict[str, Node]  # 协同工单: one node per department, by department

    class Opened(Aggregate.Created):
        """受理: the ticket was accepted, with deadlines from its priority and the SLA terms
        its clocks start with (version 2; version 1 events had none and read as None)."""

        class_version = 2

        channel: Channel
        customer_id: str | None
        category: str
        priority: Priority
        subject: str
        description: str
        response_due_at: datetime
        resolution_due_at: datetime
        meta: EventMetadata
        sla: SlaTerms | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["sla"] = None

    class Reviewed(Aggregate.Event):
        note: str
        meta: EventMetadata

    class Dispatched(Aggregate.Event):
        department: str
        agent_id: str | None
        meta: EventMetadata

    class Redispatched(Aggregate.Event):
        department: str
        agent_id: str | None
        reason: str
        meta: EventMetadata

    class Urged(Aggregate.Event):
        urged_by: str
        reason: str
        meta: EventMetadata

    class FollowedUp(Aggregate.Event):
        note: str
        meta: EventMetadata

    class Started(Aggregate.Event):
        meta: EventMetadata

    class Resolved(Aggregate.Event):
        resolution: str
        code: str
        meta: EventMetadata

    class FeedbackGiven(Aggregate.Event):
        channel: Channel
        message: str
        meta: EventMetadata

    class Rated(Aggregate.Event):
        score: int
        comment: str
        meta: EventMetadata

    class Closed(Aggregate.Event):
        meta: EventMetadata

    class Reopened(Aggregate.Event):
        reason: str
        resolution_due_at: datetime
        meta: EventMetadata

    class Archived(Aggregate.Event):
        meta: EventMetadata

    class AwaitingCustomer(Aggregate.Event):
        """待客户回复: the agent asked the customer something; the SLA clocks pause."""

        note: str
        meta: EventMetadata

    class CustomerReplied(Aggregate.Event):
        """The customer answered or contacted the desk again: an agent update is owed."""

        message: str
        meta: EventMetadata

    class Escalated(Aggregate.Event):
        """逾期升级: raised to a level; priority raised and/or handed to a supervisor or group.

        `clock` and `cycle` name the SLA breach it answers ("" and 0 when a person escalated).
        """

        level: int
        reason: str
        priority: Priority | None
        department: str | None
        agent_id: str | None
        clock: str
        cycle: int
        meta: EventMetadata

    class PriorityChanged(Aggregate.Event):
        """The priority was set (by a person or a rule), saying why."""

        priority: Priority
        reason: str
        meta: EventMetadata

    class Recategorised(Aggregate.Event):
        """The category was set (by a person or a rule), saying why."""

        category: str
        reason: str
        meta: EventMetadata

    class Tagged(Aggregate.Event):
        """A tag was added (the ticket view keeps the set)."""

        tag: str
        meta: EventMetadata

    class SlaAssigned(Aggregate.Event):
        """The SLA policy whose targets (in seconds, None: not tracked) the clocks count to."""

        policy: str
        first_response_seconds: int | None
        next_update_seconds: int | None
        resolution_seconds: int | None
        business_hours: bool
        warn_share: float
        meta: EventMetadata

    class SlaWarned(Aggregate.Event):
        """A clock passed the policy's warning share of its target."""

        policy: str
        clock: str
        cycle: int
        due_at: datetime
        meta: EventMetadata

    class SlaBreached(Aggregate.Event):
        """A clock passed its target while still running."""

        policy: str
        clock: str
        cycle: int
        due_at: datetime
        meta: EventMetadata

    class Cancelled(Aggregate.Event):
        """Withdrawn: opened by mistake, or no longer wanted; never counted as resolved."""

        reason: str
        meta: EventMetadata

    class MarkedDuplicate(Aggregate.Event):
        """The same request as ticket `original_id`, which carries the work from now on."""

        original_id: str
        reason: str
        meta: EventMetadata

    class NodeOpened(Aggregate.Event):
        """协同工单: a department was given its part, with an owner and a deadline; the node
        turns yellow at `warn_at` and red at `due_at`."""

        department: str
        owner_id: str | None
        deliverable: str
        warn_at: datetime
        due_at: datetime
        meta: EventMetadata

    class NodeCompleted(Aggregate.Event):
        """A department delivered its part."""

        department: str
        note: str
        meta: EventMetadata

    class NodeEscalated(Aggregate.Event):
        """逾期升级预警: a node passed its deadline open (once per node)."""

        department: str
        reason: str
        meta: EventMetadata

    class NodesOverridden(Aggregate.Event):
        """The lead department closed the open nodes without their deliverables, saying why."""

        departments: tuple[str, ...]
        reason: str
        meta: EventMetadata

    @event(Opened)
    def __init__(
        self,
        channel: Channel,
        customer_id: str | None,
        category: str,
        priority: Priority,
        subject: str,
        description: str,
        response_due_at: datetime,
        resolution_due_at: datetime,
        meta: EventMetadata,
        sla: SlaTerms | None,
        timestamp: datetime,
    ) -> None:
        self.channel = channel
        self.customer_id = customer_id
        self.category = category
        self.priority = priority
        self.subject = subject
        self.description = description
        self.response_due_at = response_due_at
        self.resolution_due_at = resolution_due_at
        self.status = TicketStatus.OPEN
        self.department = None
        self.assignee_id = None
        self.first_response_at = None
        self.urge_count = 0
        self.resolution_count = 0
        self.rated_resolutions = 0
        self.rating = None
        self.nodes = {}

    @classmethod
    def open(
        cls,
        *,
        channel: Channel,
        customer_id: str | None,
        category: str,
        priority: Priority,
        subject: str,
        description: str,
        policy: DeadlinePolicy,
        meta: EventMetadata,
        at: datetime,
        sla: SlaPolicy | None = None,
        record_id: UUID | None = None,
    ) -> Ticket:
        """受理: accept a new ticket; its deadlines follow from its priority, and its SLA
        clocks start under `sla` (a policy) if one is given. `record_id`: an id given by the
        caller (an import's, derived from the source record), else a new one."""
        return cls._create(
            cls.Opened,
            id=record_id,
            channel=channel,
            customer_id=customer_id,
            category=category,
            priority=priority,
            subject=subject,
            description=description,
            response_due_at=policy.response_due(priority, at),
            resolution_due_at=policy.resolution_due(priority, at),
            meta=meta,
            sla=sla.terms() if sla else None,
            timestamp=at,
        )

    @property
    def allowed_now(self) -> tuple[str, ...]:
        return allowed_actions(self.status)

    def review(self, *, note: str, meta: EventMetadata, at: datetime) -> None:
        """复核: check the ticket's content before dispatching it."""
        self._check_allowed(A.REVIEW)
        self._reviewed(note=note, meta=meta, timestamp=at)

    def dispatch(
        self, *, department: str, agent_id: str | None, meta: EventMetadata, at: datetime
    ) -> None:
        """派单: hand the ticket to a department, optionally to one agent."""
        self._check_allowed(A.DISPATCH)
        self._dispatched(department=department, agent_id=agent_id, meta=meta, timestamp=at)

    def redispatch(
        self,
        *,
        department: str,
        agent_id: str | None,
        reason: str,
        meta: EventMetadata,
        at: datetime,
    ) -> None:
        """再派单: move the ticket to another department or agent, saying why."""
        self._check_allowed(A.REDISPATCH)
        self._redispatched(
            department=department, agent_id=agent_id, reason=reason, meta=meta, timestamp=at
        )

    def urge(self, *, urged_by: str, reason: str, meta: EventMetadata, at: datetime) -> None:
        """催单: someone presses for progress; every urge is counted."""
        self._check_allowed(A.URGE)
        self._urged(urged_by=urged_by, reason=reason, meta=meta, timestamp=at)

    def follow_up(self, *, note: str, meta: EventMetadata, at: datetime) -> None:
        """追单: add a follow-up note."""
        self._check_allowed(A.FOLLOW_UP)
        self._followed_up(note=note, meta=meta, timestamp=at)

    def start(self, *, meta: EventMetadata, at: datetime) -> None:
        """Start processing the ticket."""
        self._check_allowed(A.START)
        self._started(meta=meta, timestamp=at)

    def resolve(self, *, resolution: str, code: str, meta: EventMetadata, at: datetime) -> None:
        """处理: record how the request was resolved (every node done or overridden first)."""
        self._check_allowed(A.RESOLVE)
        self._check_no_open_nodes("resolved")
        self._resolved(resolution=resolution, code=code, meta=meta, timestamp=at)

    def give_feedback(
        self, *, channel: Channel, message: str, meta: EventMetadata, at: datetime
    ) -> None:
        """反馈: tell the customer the outcome, through the channel used."""
        self._check_allowed(A.FEEDBACK)
        self._feedback_given(channel=channel, message=message, meta=meta, timestamp=at)

    def rate(self, *, score: int, comment: str, meta: EventMetadata, at: datetime) -> None:
        """满意度: the customer's rating, 1 to 5, once per resolution."""
        self._check_allowed(A.RATE)
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise RuleViolated("a rating is a whole number from 1 to 5", self.allowed_now)
        if self.rated_resolutions >= self.resolution_count:
            raise RuleViolated("this resolution has already been rated", self.allowed_now)
        self._rated(score=score, comment=comment, meta=meta, timestamp=at)

    def close(self, *, meta: EventMetadata, at: datetime) -> None:
        """Close the resolved ticket."""
        self._check_allowed(A.CLOSE)
        self._closed(meta=meta, timestamp=at)

    def reopen(
        self, *, reason: str, policy: DeadlinePolicy, meta: EventMetadata, at: datetime
    ) -> None:
        """Reopen when the customer says it is not solved; a new resolution deadline runs."""
        self._check_allowed(A.REOPEN)
        if not reason.strip():
            raise RuleViolated("reopening needs a reason", self.allowed_now)
        due = policy.resolution_due(self.priority, at)
        self._reopened(reason=reason, resolution_due_at=due, meta=meta, timestamp=at)

    def archive(self, *, meta: EventMetadata, at: datetime) -> None:
        """归档: archive the ticket; nothing may change it afterwards."""
        self._check_allowed(A.ARCHIVE)
        self._archived(meta=meta, timestamp=at)

    def await_customer(self, *, note: str, meta: EventMetadata, at: datetime) -> None:
        """待客户回复: wait for the customer's answer; the SLA clocks pause meanwhile."""
        self._check_allowed(A.AWAIT_CUSTOMER)
        self._awaiting_customer(note=note, meta=meta, timestamp=at)

    def record_customer_reply(self, *, message: str, meta: EventMetadata, at: datetime) -> None:
        """The customer answered: a waiting ticket resumes, and an agent update is owed."""
        self._check_allowed(A.CUSTOMER_REPLY)
        self._customer_replied(message=message, meta=meta, timestamp=at)

    def escalate(self, *, escalation: Escalation, meta: EventMetadata, at: datetime) -> None:
        """逾期升级: raise the priority (never lowers it) and/or reassign, at a level."""
        self._check_allowed(A.ESCALATE)
        e = escalation
        if not e.reason.strip():
            raise RuleViolated("an escalation needs a reason", self.allowed_now)
        priority = e.priority if e.priority and e.priority.outranks(self.priority) else None
        self._escalated(
            level=e.level, reason=e.reason, priority=priority, department=e.department,
            agent_id=e.agent_id, clock=e.clock, cycle=e.cycle, meta=meta, timestamp=at,
        )  # fmt: skip

    def set_priority(
        self, *, priority: Priority, reason: str, meta: EventMetadata, at: datetime
    ) -> None:
        """Set the priority (either way, unlike an escalation); the SLA policy follows."""
        self._check_allowed(A.SET_PRIORITY)
        self._priority_changed(priority=priority, reason=reason, meta=meta, timestamp=at)

    def recategorise(
        self, *, category: str, reason: str, meta: EventMetadata, at: datetime
    ) -> None:
        """Set the category; the SLA policy follows."""
        self._check_allowed(A.SET_CATEGORY)
        if not category.strip():
            raise RuleViolated("a category cannot be blank", self.allowed_now)
        self._recategorised(category=category, reason=reason, meta=meta, timestamp=at)

    def tag(self, *, tag: str, meta: EventMetadata, at: datetime) -> None:
        """Add a tag (a label for lists, rules and reports)."""
        self._check_allowed(A.TAG)
        if not tag.strip():
            raise RuleViolated("a tag cannot be blank", self.allowed_now)
        self._tagged(tag=tag, meta=meta, timestamp=at)

    def cancel(self, *, reason: str, meta: EventMetadata, at: datetime) -> None:
        """Withdraw a ticket opened by mistake (or no longer wanted), saying why."""
        self._check_allowed(A.CANCEL)
        self._check_no_open_nodes("cancelled")
        if not reason.strip():
            raise RuleViolated("cancelling needs a reason", self.allowed_now)
        self._cancelled(reason=reason, meta=meta, timestamp=at)

    def mark_duplicate(
        self, *, original_id: str, reason: str, meta: EventMetadata, at: datetime
    ) -> None:
        """Name the ticket this one repeats (its existence is checked by the command)."""
        self._check_allowed(A.MARK_DUPLICATE)
        self._check_no_open_nodes("marked a duplicate")
        if original_id == str(self.id):
            raise RuleViolated("a ticket cannot duplicate itself", self.allowed_now)
        self._marked_duplicate(original_id=original_id, reason=reason, meta=meta, timestamp=at)

    @property
    def open_nodes(self) -> tuple[str, ...]:
        """The departments whose nodes are still open."""
        return tuple(d for d, n in self.nodes.items() if n.status is NodeStatus.OPEN)

    def open_node(
        self,
        *,
        department: str,
        owner_id: str | None,
        deliverable: str,
        warn_at: datetime,
        due_at: datetime,
        meta: EventMetadata,
        at: datetime,
    ) -> None:
        """协同工单: give a department its part, due at `due_at` (one node per department)."""
        self._check_allowed(A.OPEN_NODE)
        if department in self.nodes:
            raise RuleViolated(f"{department} already has a node", self.allowed_now)
        if not at <= warn_at <= due_at or due_at <= at:
            raise RuleViolated("a node is due after it opens", self.allowed_now)
        self._node_opened(
            department=department, owner_id=owner_id, deliverable=deliverable, warn_at=warn_at,
            due_at=due_at, meta=meta, timestamp=at,
        )  # fmt: skip

    def complete_node(
        self, *, department: str, note: str, meta: EventMetadata, at: datetime
    ) -> None:
        """A department delivered its part."""
        self._check_allowed(A.COMPLETE_NODE)
        self._check_node_open(department)
        self._node_completed(department=department, note=note, meta=meta, timestamp=at)

    def escalate_node(
        self, *, department: str, reason: str, meta: EventMetadata, at: datetime
    ) -> None:
        """逾期升级预警: an open node passed its deadline; escalated once."""
        self._check_allowed(A.ESCALATE_NODE)
        node = self._check_node_open(department)
        if node.escalated:
            raise RuleViolated(f"the node of {department} was escalated already", self.allowed_now)
        if at < node.due_at:
            raise RuleViolated(f"the node of {department} is not overdue", self.allowed_now)
        self._node_escalated(department=department, reason=reason, meta=meta, timestamp=at)

    def override_nodes(self, *, reason: str, meta: EventMetadata, at: datetime) -> None:
        """The lead department closes every open node without its deliverable, saying why."""
        self._check_allowed(A.OVERRIDE_NODES)
        if not self.open_nodes:
            raise RuleViolated("no node is open", self.allowed_now)
        if not reason.strip():
            raise RuleViolated("overriding open nodes needs a reason", self.allowed_now)
        self._nodes_overridden(departments=self.open_nodes, reason=reason, meta=meta, timestamp=at)

    def _check_no_open_nodes(self, becoming: str) -> None:
        if waiting := self.open_nodes:
            raise RuleViolated(
                f"a ticket is {becoming} only when its nodes are finished; open: "
                f"{', '.join(waiting)} (complete them, or override them with a reason)",
                self.allowed_now,
            )

    def _check_node_open(self, department: str) -> Node:
        node = self.nodes.get(department)
        if node is None or node.status is not NodeStatus.OPEN:
            raise RuleViolated(f"{department} has no open node", self.allowed_now)
        return node

    def assign_sla(self, *, policy: SlaPolicy, meta: EventMetadata, at: datetime) -> None:
        """Put the ticket under an SLA policy (again, when its priority or category changed)."""
        self._check_not_archived()
        terms = policy.terms()
        self._sla_assigned(
            policy=terms.policy,
            first_response_seconds=terms.first_response_seconds,
            next_update_seconds=terms.next_update_seconds,
            resolution_seconds=terms.resolution_seconds,
            business_hours=terms.business_hours,
            warn_share=terms.warn_share,
            meta=meta,
            timestamp=at,
        )

    def record_sla_mark(self, *, mark: SlaMark, meta: EventMetadata, at: datetime) -> None:
        """Record that a clock reached its warning share or its target (decided by the caller
        from the ticket's clocks: the domain records, the process manager watches the time)."""
        self._check_not_archived()
        if mark.kind not in (WARNING, BREACH):
            raise ValueError(f"{mark.kind} is not a warning or a breach")
        recorder = self._sla_breached if mark.kind == BREACH else self._sla_warned
        recorder(
            policy=mark.policy,
            clock=mark.clock,
            cycle=mark.cycle,
            due_at=mark.due_at,
            meta=meta,
            timestamp=at,
        )

    def _check_not_archived(self) -> None:
        if self.status is TicketStatus.ARCHIVED:
            raise ActionNotAllowed("an archived ticket cannot change", self.allowed_now)

    def _check_allowed(self, action: TicketAction) -> None:
        if action not in TRANSITIONS[self.status]:
            raise ActionNotAllowed(
                f"cannot {action} a ticket that is {self.status}", self.allowed_now
            )

    def _advance(self, action: TicketAction, at: datetime) -> None:
        self.status = next_status(self.status, action)
        if action in AGENT_ACTIONS and self.first_response_at is None:
            self.first_response_at = at

    @event(Reviewed)
    def _reviewed(self, note: str, meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.REVIEW, timestamp)

    @event(Dispatched)
    def _dispatched(
        self, department: str, agent_id: str | None, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.department, self.assignee_id = department, agent_id
        self._advance(A.DISPATCH, timestamp)

    @event(Redispatched)
    def _redispatched(
        self,
        department: str,
        agent_id: str | None,
        reason: str,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.department, self.assignee_id = department, agent_id
        self._advance(A.REDISPATCH, timestamp)

    @event(Urged)
    def _urged(self, urged_by: str, reason: str, meta: EventMetadata, timestamp: datetime) -> None:
        self.urge_count += 1
        self._advance(A.URGE, timestamp)

    @event(FollowedUp)
    def _followed_up(self, note: str, meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.FOLLOW_UP, timestamp)

    @event(Started)
    def _started(self, meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.START, timestamp)

    @event(Resolved)
    def _resolved(
        self, resolution: str, code: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.resolution_count += 1
        self._advance(A.RESOLVE, timestamp)

    @event(FeedbackGiven)
    def _feedback_given(
        self, channel: Channel, message: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self._advance(A.FEEDBACK, timestamp)

    @event(Rated)
    def _rated(self, score: int, comment: str, meta: EventMetadata, timestamp: datetime) -> None:
        self.rating = score
        self.rated_resolutions = self.resolution_count
        self._advance(A.RATE, timestamp)

    @event(Closed)
    def _closed(self, meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.CLOSE, timestamp)

    @event(Reopened)
    def _reopened(
        self, reason: str, resolution_due_at: datetime, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.resolution_due_at = resolution_due_at
        self.rating = None
        self._advance(A.REOPEN, timestamp)

    @event(Archived)
    def _archived(self, meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.ARCHIVE, timestamp)

    @event(AwaitingCustomer)
    def _awaiting_customer(self, note: str, meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.AWAIT_CUSTOMER, timestamp)

    @event(CustomerReplied)
    def _customer_replied(self, message: str, meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.CUSTOMER_REPLY, timestamp)

    @event(Escalated)
    def _escalated(
        self, level: int, reason: str, priority: Priority | None, department: str | None,
        agent_id: str | None, clock: str, cycle: int, meta: EventMetadata, timestamp: datetime,
    ) -> None:  # fmt: skip
        self.priority = priority or self.priority
        if department is not None:
            self.department, self.assignee_id = department, agent_id
        elif agent_id is not None:
            self.assignee_id = agent_id
        self._advance(A.ESCALATE, timestamp)

    @event(PriorityChanged)
    def _priority_changed(
        self, priority: Priority, reason: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.priority = priority
        self._advance(A.SET_PRIORITY, timestamp)

    @event(Recategorised)
    def _recategorised(
        self, category: str, reason: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.category = category
        self._advance(A.SET_CATEGORY, timestamp)

    @event(Tagged)
    def _tagged(self, tag: str, meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.TAG, timestamp)

    @event(Cancelled)
    def _cancelled(self, reason: str, meta: EventMetadata, timestamp: datetime) -> None:
        self._advance(A.CANCEL, timestamp)

    @event(MarkedDuplicate)
    def _marked_duplicate(
        self, original_id: str, reason: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self._advance(A.MARK_DUPLICATE, timestamp)

    @event(NodeOpened)
    def _node_opened(
        self, department: str, owner_id: str | None, deliverable: str, warn_at: datetime,
        due_at: datetime, meta: EventMetadata, timestamp: datetime,
    ) -> None:  # fmt: skip
        node = Node(department, owner_id, deliverable, timestamp, warn_at, due_at)
        self.nodes = {**self.nodes, department: node}
        self._advance(A.OPEN_NODE, timestamp)

    @event(NodeCompleted)
    def _node_completed(
        self, department: str, note: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self._finish_nodes((department,), NodeStatus.DONE, timestamp)
        self._advance(A.COMPLETE_NODE, timestamp)

    @event(NodeEscalated)
    def _node_escalated(
        self, department: str, reason: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self.nodes = {**self.nodes, department: replace(self.nodes[department], escalated=True)}
        self._advance(A.ESCALATE_NODE, timestamp)

    @event(NodesOverridden)
    def _nodes_overridden(
        self, departments: tuple[str, ...], reason: str, meta: EventMetadata, timestamp: datetime
    ) -> None:
        self._finish_nodes(departments, NodeStatus.OVERRIDDEN, timestamp)
        self._advance(A.OVERRIDE_NODES, timestamp)

    def _finish_nodes(self, departments: tuple[str, ...], status: NodeStatus, at: datetime) -> None:
        finished = {d: replace(self.nodes[d], status=status, finished_at=at) for d in departments}
        self.nodes = {**self.nodes, **finished}

    @event(SlaAssigned)
    def _sla_assigned(
        self,
        policy: str,
        first_response_seconds: int | None,
        next_update_seconds: int | None,
        resolution_seconds: int | None,
        business_hours: bool,
        warn_share: float,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        pass  # the clocks are folded from the events (kefu.domain.sla_clocks)

    @event(SlaWarned)
    def _sla_warned(
        self, policy: str, clock: str, cycle: int, due_at: datetime, meta: EventMetadata,
        timestamp: datetime,
    ) -> None:  # fmt: skip
        pass

    @event(SlaBreached)
    def _sla_breached(
        self, policy: str, clock: str, cycle: int, due_at: datetime, meta: EventMetadata,
        timestamp: datetime,
    ) -> None:  # fmt: skip
        pass


# Which lifecycle action each event records: read models replay the table with it.
EVENT_ACTIONS: dict[type[object], TicketAction] = {
    Ticket.Reviewed: A.REVIEW,
    Ticket.Dispatched: A.DISPATCH,
    Ticket.Redispatched: A.REDISPATCH,
    Ticket.Urged: A.URGE,
    Ticket.FollowedUp: A.FOLLOW_UP,
    Ticket.Started: A.START,
    Ticket.Resolved: A.RESOLVE,
    Ticket.FeedbackGiven: A.FEEDBACK,
    Ticket.Rated: A.RATE,
    Ticket.Closed: A.CLOSE,
    Ticket.Reopened: A.REOPEN,
    Ticket.Archived: A.ARCHIVE,
    Ticket.AwaitingCustomer: A.AWAIT_CUSTOMER,
    Ticket.CustomerReplied: A.CUSTOMER_REPLY,
    Ticket.Escalated: A.ESCALATE,
    Ticket.PriorityChanged: A.SET_PRIORITY,
    Ticket.Recategorised: A.SET_CATEGORY,
    Ticket.Tagged: A.TAG,
    Ticket.Cancelled: A.CANCEL,
    Ticket.MarkedDuplicate: A.MARK_DUPLICATE,
    Ticket.NodeOpened: A.OPEN_NODE,
    Ticket.NodeCompleted: A.COMPLETE_NODE,
    Ticket.NodeEscalated: A.ESCALATE_NODE,
    Ticket.NodesOverridden: A.OVERRIDE_NODES,
}
