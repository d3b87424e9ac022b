"""The composition root: plain constructor calls, nothing global at import time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from uuid import UUID
from zoneinfo import ZoneInfo

from kefu.application import ServiceDesk
from kefu.audit.access_recorder import AccessRecorder
from kefu.audit.access_tables import AccessLogStore
from kefu.auth import Authenticator, CoarseUse, ManagedTokens, TokenRegistry
from kefu.commands.agents import AgentCommands
from kefu.commands.articles import ArticleCommands
from kefu.commands.caller_recognition import CallerRecognition
from kefu.commands.calls import CallCommands
from kefu.commands.chat_intake import ChatIntake
from kefu.commands.complaints import ComplaintCommands
from kefu.commands.customers import CustomerCommands
from kefu.commands.execution import Clock, CommandRunner, utc_now
from kefu.commands.importing import Importer
from kefu.commands.intake import MailIntake
from kefu.commands.messages import MessageCommands
from kefu.commands.phrases import PhraseCommands
from kefu.commands.policies import Policies
from kefu.commands.privacy import PersonalDataCommands
from kefu.commands.quality import InspectionCommands, ScorecardCommands
from kefu.commands.thread import ThreadCommands
from kefu.commands.tickets import TicketCommands
from kefu.commands.tokens import TokenCommands
from kefu.commands.visit_config import visit_policy
from kefu.commands.visits import VisitCommands
from kefu.commands.webhooks import WebhookCommands
from kefu.domain.callbacks import CallbackPolicy
from kefu.domain.channels import Channel
from kefu.domain.directory import Directory
from kefu.domain.templates import EMAIL, SMS, TemplateBook
from kefu.processes.automation import Automation, Timers
from kefu.processes.automation_dispatch import SkillDispatcher
from kefu.processes.channel_senders import (
    ChannelSender,
    SmsGatewaySender,
    SmsGatewaySettings,
    SmtpSender,
    SmtpSettings,
    Unconfigured,
)
from kefu.processes.collaboration_watch import CollaborationWatch
from kefu.processes.delivery_worker import DeliveryWorker
from kefu.processes.message_sender import MessageSender
from kefu.processes.notification_config import load_directory, load_templates
from kefu.processes.notifier import Notifier, NotifierPolicy
from kefu.processes.outbox_service import OutboxService
from kefu.processes.retention import Retention
from kefu.processes.retention_config import RecordKind, load_retention
from kefu.processes.rules_config import RuleSource
from kefu.processes.sla_config import sla_setup
from kefu.processes.visit_planner import VisitPlanner
from kefu.processes.webhook_sender import WebhookSender
from kefu.processes.wrap_up import WrapUpTimer
from kefu.projections.appraisal import KpiPlan, load_plan
from kefu.projections.outbox_follower import OutboxFollower
from kefu.projections.outbox_tables import OutboxStore
from kefu.projections.quality_projection import ReadSideSamples
from kefu.projections.read_models import ReadModels
from kefu.projections.runner import LogProcess, ProjectionRunner
from kefu.projections.ticket_workload import TicketWorkload
from kefu.projections.waiting import waiter_for
from kefu.settings import Settings, SettingsError
from kefu.store.attachments import FolderStore


@dataclass
class Services:
    """Everything a process needs, built once from the settings."""

    settings: Settings
    app: ServiceDesk
    read_models: ReadModels
    tickets: TicketCommands
    agents: AgentCommands
    calls: CallCommands
    complaints: ComplaintCommands
    customers: CustomerCommands
    visits: VisitCommands
    articles: ArticleCommands
    phrases: PhraseCommands
    scorecards: ScorecardCommands
    inspections: InspectionCommands
    kpi_plan: KpiPlan
    visit_planner: VisitPlanner
    wrap_up_timer: WrapUpTimer
    automation: Automation
    collaboration_watch: CollaborationWatch
    webhooks: WebhookCommands
    messages: MessageCommands
    outbox: OutboxStore
    templates: TemplateBook
    directory: Directory
    tokens: Authenticator
    managed_tokens: TokenCommands
    clock: Clock
    attachments: FolderStore
    threads: ThreadCommands
    intake: MailIntake
    chat_intake: ChatIntake
    privacy: PersonalDataCommands
    retention: Retention
    access_log: AccessRecorder  # reads of personal data over HTTP (docs/audit.md)
    standby_models: ReadModels | None = None  # opened by `for_queries`, when there is a standby
    # What was built on these services and must stop before they close (the console's
    # wallboard thread reads the views): called first by `close`, shared by `for_queries` copies.
    before_close: list[Callable[[], None]] = field(default_factory=list)

    def for_queries(self) -> Services:
        """These services as the HTTP API reads with them: views on the standby named by
        KEFU_READ_DATABASE_URL, if any (commands, processes and the runner keep the primary's;
        a standby has the same tables and positions, replicated). See docs/operations.md."""
        if not self.settings.read_database_url:
            return self
        if self.standby_models is None:
            self.standby_models = ReadModels(
                self.settings.read_database_url,
                self.settings.timezone,
                self.read_models.sla,
                standby=True,
            )
        return replace(self, read_models=self.standby_models)

    def projection_runner(self) -> ProjectionRunner:
        processes: list[LogProcess] = [self.visit_planner, self.wrap_up_timer, self.retention]
        if self.settings.automation == "on":
            processes.extend((self.automation, self.collaboration_watch))
        return ProjectionRunner(
            self.app,
            self.read_models.projections,
            processes=processes,
            health=self.read_models.health,
        )

    def outbox_parts(self) -> Outbox:
        return Outbox(
            self.settings, self.app, self.outbox, self.templates, self.directory, self.clock
        )

    def webhook_key(self) -> bytes:
        return self.outbox_parts().webhook_key()

    def outbox_service(self) -> OutboxService:
        return self.outbox_parts().service()

    def notifier(self) -> Notifier:
        return self.outbox_parts().notifier()

    def importer(self, source_system: str, actor_id: str) -> Importer:
        """`kefu import`'s writer: another system's history through these commands."""
        return Importer(
            tickets=self.tickets,
            customers=self.customers,
            complaints=self.complaints,
            threads=self.threads,
            clock=self.clock,
            source_system=source_system,
            actor_id=actor_id,
        )

    def close(self) -> None:
        for stop in self.before_close:
            stop()
        self.access_log.close()
        self.tokens.close()
        self.outbox.close()
        if self.standby_models is not None:
            self.standby_models.close()
        self.read_models.close()
        self.app.close()


@dataclass
class Outbox:
    """What `kefu outbox run` needs, and no more: the log, the outbox's tables, the
    templates and the directory (no read models: it starts beside the projection runner
    without competing with it for the database)."""

    settings: Settings
    app: ServiceDesk
    store: OutboxStore
    templates: TemplateBook
    directory: Directory
    clock: Clock

    def webhook_key(self) -> bytes:
        """The key webhook secrets derive from; refuses to sign with none configured."""
        if not self.settings.webhook_key:
            raise SettingsError("KEFU_WEBHOOK_KEY is not set: webhooks cannot be signed")
        return self.settings.webhook_key.encode()

    def service(self) -> OutboxService:
        s = self.settings
        worker = DeliveryWorker(
            self.store.tables,
            WebhookSender(self.webhook_key(), s.outbox_timeout_seconds),
            s.backoff(),
            self.clock,
            lanes=s.outbox_lanes,
        )
        follower = OutboxFollower(self.app, self.store, self.clock, ZoneInfo(s.timezone))
        messages = MessageSender(
            self.app, self.store.messages, channel_senders(s), s.backoff(), self.clock
        )
        waiter = partial(waiter_for, self.app, s.outbox_poll_seconds)
        return OutboxService(waiter, follower, worker, self.notifier(), messages)

    def notifier(self) -> Notifier:
        s = self.settings
        policy = NotifierPolicy(
            ZoneInfo(s.timezone),
            s.reminder_days,
            s.message_hour,
            timedelta(hours=s.notify_horizon_hours),
        )
        return Notifier(
            self.app, self.templates, self.directory, self.store.messages, policy, self.clock
        )

    def close(self) -> None:
        self.store.close()
        self.app.close()


def build_outbox(settings: Settings, clock: Clock = utc_now) -> Outbox:
    return Outbox(
        settings,
        ServiceDesk(settings.database_url, settings.chain_keyring(), settings.personal_data_key()),
        OutboxStore(settings.database_url),
        load_templates(settings.templates_file),
        load_directory(settings.directory_file),
        clock,
    )


def build_services(settings: Settings, clock: Clock = utc_now) -> Services:
    app = ServiceDesk(settings.database_url, settings.chain_keyring(), settings.personal_data_key())
    runner = CommandRunner(app, clock)
    policies = Policies(deadlines=settings.deadline_policy())
    policies = replace(
        policies, routing=settings.routing_policy(), callbacks=CallbackPolicy(settings.timezone)
    )
    sla = sla_setup(settings)
    policies = replace(policies, sla=sla.policies)
    read_models = ReadModels(settings.database_url, settings.timezone, sla)
    attachments = FolderStore(settings.attachments_folder(), settings.attachment_max_bytes)
    policies = replace(
        policies,
        visits=visit_policy(settings.visit_rules_file),
        timezone=ZoneInfo(settings.timezone),
        departments=settings.department_directory(),
        complaints=settings.complaints(),
        node_warn_share=settings.node_warn_share,
    )
    threads = ThreadCommands(app, runner, policies, attachments)
    return Services(
        settings=settings,
        app=app,
        read_models=read_models,
        tickets=TicketCommands(app, runner, policies),
        agents=AgentCommands(app, runner, policies),
        calls=CallCommands(
            app, runner, policies, read_models.agents, CallerRecognition(app, read_models.customers)
        ),
        complaints=ComplaintCommands(app, runner, policies),
        customers=CustomerCommands(app, runner, policies),
        visits=VisitCommands(app, runner, policies),
        visit_planner=VisitPlanner(
            app,
            policies,
            clock,
            read_models.timeline.silent_customers,
            open_visits=read_models.visits,
        ),
        wrap_up_timer=WrapUpTimer(app, read_models.agents.wrapping_up, settings.wrap_up(), clock),
        articles=ArticleCommands(app, runner, policies),
        phrases=PhraseCommands(app, runner, policies),
        scorecards=ScorecardCommands(app, runner, policies),
        inspections=InspectionCommands(
            app, runner, policies, ReadSideSamples(read_models.calls, read_models.tickets)
        ),
        kpi_plan=load_plan(settings.kpi_targets_file),
        automation=Automation(
            app,
            sla,
            Timers(read_models.sla_timers, read_models.complaint_timers, read_models.visit_timers),
            read_models.automation,
            clock,
            rules=RuleSource(settings.rules_file, settings.department_directory()),
            dispatcher=SkillDispatcher(read_models.agents, TicketWorkload(read_models.tickets)),
        ),
        collaboration_watch=CollaborationWatch(
            app, read_models.ticket_nodes, read_models.automation, clock
        ),
        webhooks=WebhookCommands(app, runner, policies),
        messages=MessageCommands(app, runner, policies),
        outbox=OutboxStore(settings.database_url),
        templates=load_templates(settings.templates_file),
        directory=load_directory(settings.directory_file),
        tokens=Authenticator(
            TokenRegistry.from_settings(settings.api_tokens, settings.api_tokens_file),
            ManagedTokens(app, CoarseUse(read_models.token_use), clock),
        ),
        managed_tokens=TokenCommands(app, runner, policies),
        clock=clock,
        attachments=attachments,
        threads=threads,
        intake=MailIntake(app, runner, policies, threads, read_models.customers),
        chat_intake=ChatIntake(
            app,
            runner,
            policies,
            threads,
            CallerRecognition(app, read_models.customers),
            read_models.customers,
        ),
        privacy=PersonalDataCommands(app, runner),
        retention=Retention(
            app,
            partial(closed_records, read_models),
            load_retention(settings.retention_file),
            clock,
        ),
        access_log=AccessRecorder(lambda: AccessLogStore(settings.database_url), app.chain.keyring),
    )


def closed_records(
    read_models: ReadModels, kind: RecordKind, since: datetime | None, until: datetime
) -> list[tuple[UUID, datetime]]:
    """The records of `kind` closed (a call: ended) in [since, until), from their view (for
    retention)."""
    if kind == "call":
        return read_models.calls.times_between("ended_at", since, until)
    view = read_models.tickets if kind == "ticket" else read_models.complaints
    return view.times_between("closed_at", since, until)


def channel_senders(s: Settings) -> dict[str, ChannelSender]:
    """The configured sender of each channel; an unconfigured one fails saying what to set."""
    email: ChannelSender = Unconfigured(EMAIL, "KEFU_SMTP_HOST")
    if s.smtp_host:
        smtp = SmtpSettings(
            s.smtp_host, s.smtp_port, s.smtp_from, s.smtp_user, s.smtp_password, s.smtp_starttls
        )
        email = SmtpSender(smtp)
    sms: ChannelSender = Unconfigured(SMS, "KEFU_SMS_GATEWAY_URL")
    if s.sms_gateway_url:
        sms = SmsGatewaySender(SmsGatewaySettings(s.sms_gateway_url, s.sms_gateway_token))
    senders = {EMAIL: email, SMS: sms}
    for chat in (Channel.CHAT, Channel.WECHAT):  # replies go to the adapter's webhook
        senders[chat] = Unconfigured(chat, "KEFU_CHAT_WEBHOOK_URL")
        if s.chat_webhook_url:
            adapter = SmsGatewaySettings(s.chat_webhook_url, s.chat_webhook_token)
            senders[chat] = SmsGatewaySender(adapter)
    return senders
