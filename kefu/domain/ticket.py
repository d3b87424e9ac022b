"""The ticket (工单): the unit of work of the service desk, as an event-sourced aggregate."""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import Aggregate, event

from kefu.domain.channels import Channel
from kefu.domain.deadlines import DeadlinePolicy, Priority
from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata
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

    class Opened(Aggregate.Created):
        """受理: the ticket was accepted, with deadlines from its priority."""

        channel: Channel
        customer_id: str | None
        category: str
        priority: Priority
        subject: str
        description: str
        response_due_at: datetime
        resolution_due_at: datetime
        meta: EventMetadata

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
    ) -> Ticket:
        """受理: accept a new ticket; its deadlines follow from its priority."""
        return cls(
            channel=channel,
            customer_id=customer_id,
            category=category,
            priority=priority,
            subject=subject,
            description=description,
            response_due_at=policy.response_due(priority, at),
            resolution_due_at=policy.resolution_due(priority, at),
            meta=meta,
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
        """处理: record how the request was resolved."""
        self._check_allowed(A.RESOLVE)
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
}
