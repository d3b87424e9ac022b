"""The read models kefu keeps, built on the same database as the event store."""

from __future__ import annotations

from functools import partial
from typing import Any

import msgspec
import psycopg
from eventsourcing.persistence import InfrastructureFactory, TrackingRecorder
from eventsourcing.utils import Environment

from kefu.domain.sla import SlaSetup
from kefu.projections.actor_events import ActorEventsProjection, ActorEventsView
from kefu.projections.agent_projection import AgentProjection, AgentView
from kefu.projections.article_projection import ArticleProjection, ArticleView
from kefu.projections.batch import BatchProjection
from kefu.projections.call_projection import CallProjection, CallView
from kefu.projections.complaint_projection import ComplaintProjection, ComplaintView
from kefu.projections.customer_projection import CustomerProjection, CustomerView
from kefu.projections.deadline_timers import ComplaintTimersProjection, ComplaintTimerStore
from kefu.projections.health import RunnerHealthView
from kefu.projections.node_projection import NodeProjection, NodeView
from kefu.projections.phrase_projection import PhraseProjection, PhraseView
from kefu.projections.quality_projection import QualityProjection, QualityView
from kefu.projections.reports.registry import ReportViews
from kefu.projections.signals import CommitSignal
from kefu.projections.sla_timers import AutomationControl, SlaTimersProjection, SlaTimerStore
from kefu.projections.sql import rebuild_class_of, view_class_for
from kefu.projections.thread_projection import ThreadProjection, ThreadView
from kefu.projections.ticket_projection import TicketProjection, TicketView
from kefu.projections.timeline_projection import TimelineProjection, TimelineView
from kefu.projections.token_projection import TokenProjection, TokenView
from kefu.projections.token_use import TokenUseView
from kefu.projections.visit_projection import VisitProjection, VisitView
from kefu.projections.visit_timers import VisitTimersProjection, VisitTimerStore
from kefu.projections.webhook_projection import WebhookProjection, WebhookView
from kefu.store.database import Backend, backend_of, eventsourcing_env


class Lag(msgspec.Struct, frozen=True):
    """How far one projection is behind the head of the log."""

    projection: str
    position: int
    head: int
    behind: int
    seconds: float = 0.0  # now minus the time of the oldest event it has not processed


class ReadModels:
    """Every view, opened once per process; the runner and the query side share them."""

    def __init__(
        self,
        database_url: str,
        timezone: str = "Asia/Shanghai",
        sla: SlaSetup | None = None,
        *,
        standby: bool = False,
    ) -> None:
        env = Environment(name="kefu_views", env=eventsourcing_env(database_url))
        self._factory = InfrastructureFactory[TrackingRecorder].construct(env)
        self._postgres = backend_of(database_url) is Backend.POSTGRES
        # A standby cannot LISTEN (nor receive NOTIFY): `?after=` polls its positions there.
        self._listen = self._postgres and not standby
        self._signal: CommitSignal | None = None  # PostgreSQL: the process's one listener
        self.tickets = self._open(TicketView)
        self.projections: list[BatchProjection[Any]] = [TicketProjection(self.tickets)]
        self.agents: AgentView = self._open(AgentView)
        self.projections.append(AgentProjection(self.agents))
        self.calls: CallView = self._open(CallView)
        self.projections.append(CallProjection(self.calls))
        self.actor_events = self._open(ActorEventsView)
        self.projections.append(ActorEventsProjection(self.actor_events))
        self.complaints: ComplaintView = self._open(ComplaintView)
        self.projections.append(ComplaintProjection(self.complaints))
        self.customers: CustomerView = self._open(CustomerView)
        self.projections.append(CustomerProjection(self.customers))
        self.visits: VisitView = self._open(VisitView)
        self.projections.append(VisitProjection(self.visits))
        self.timeline: TimelineView = self._open(TimelineView)
        self.projections.append(TimelineProjection(self.timeline))
        self.articles: ArticleView = self._open(ArticleView)
        self.projections.append(ArticleProjection(self.articles))
        self.phrases: PhraseView = self._open(PhraseView)
        self.projections.append(PhraseProjection(self.phrases))
        self.quality: QualityView = self._open(QualityView)
        self.projections.append(QualityProjection(self.quality))
        self.sla = sla or SlaSetup()
        self.sla_timers: SlaTimerStore = self._open(SlaTimerStore)
        self.projections.append(SlaTimersProjection(self.sla_timers, self.sla))
        self.complaint_timers: ComplaintTimerStore = self._open(ComplaintTimerStore)
        self.projections.append(ComplaintTimersProjection(self.complaint_timers))
        self.visit_timers: VisitTimerStore = self._open(VisitTimerStore)
        self.projections.append(
            VisitTimersProjection(self.visit_timers, self.sla.calendar.timezone)
        )
        self.automation: AutomationControl = self._open(AutomationControl)
        self.ticket_nodes: NodeView = self._open(NodeView)  # 协同工单 nodes and their timers
        self.projections.append(NodeProjection(self.ticket_nodes))
        self.webhooks: WebhookView = self._open(WebhookView)
        self.projections.append(WebhookProjection(self.webhooks))
        self.threads: ThreadView = self._open(ThreadView)
        self.projections.append(ThreadProjection(self.threads))
        self.tokens: TokenView = self._open(TokenView)
        self.projections.append(TokenProjection(self.tokens))
        # Not a projection: when each managed token was last used (kefu/auth.py notes it).
        self.token_use: TokenUseView = self._open(TokenUseView)
        self.reports = ReportViews(self._open, timezone)  # buckets in the business time zone
        self.projections.extend(self.reports.projections)
        # Not a projection: where runners leave their heartbeat and park what fails.
        self.health: RunnerHealthView = self._open(RunnerHealthView)

    def _open(self, view: type[Any]) -> Any:
        recorder = self._factory.tracking_recorder(view_class_for(view, self._postgres))
        return self._with_waiter(recorder)

    def reopen(self, view: Any, prefix: str) -> Any:
        """Another instance of `view`'s kind on tables of its own, named `prefix + name`."""
        return self._with_waiter(
            self._factory.tracking_recorder(rebuild_class_of(type(view), prefix))
        )

    def _with_waiter(self, recorder: Any) -> Any:
        """On a PostgreSQL primary, every view's `?after=` waits on the same commit listener."""
        if self._listen:
            if self._signal is None:
                self._signal = CommitSignal(partial(listening_connection, recorder.datastore))
            recorder.position_waiter = self._signal
        return recorder

    def projection(self, name: str) -> BatchProjection[Any]:
        return next(p for p in self.projections if p.name == name)

    def lag(self, head: int) -> list[Lag]:
        lags = []
        for p in self.projections:
            position = p.view.max_tracking_id(p.name) or 0
            lags.append(Lag(p.name, position, head, max(head - position, 0)))
        return lags

    def close(self) -> None:
        if self._signal is not None:
            self._signal.close()
        self._factory.close()


def listening_connection(datastore: Any) -> psycopg.Connection[Any]:
    """A connection of its own (not one of the pool's) for LISTEN, to the views' database."""
    settings = datastore.pool.kwargs
    names = ("dbname", "host", "port", "user", "password")
    return psycopg.connect(autocommit=True, **{name: settings[name] for name in names})
