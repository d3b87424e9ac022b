"""The composition root: plain constructor calls, nothing global at import time."""

from __future__ import annotations

from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from kefu.application import ServiceDesk
from kefu.auth import TokenRegistry
from kefu.commands.agents import AgentCommands
from kefu.commands.articles import ArticleCommands
from kefu.commands.caller_recognition import CallerRecognition
from kefu.commands.calls import CallCommands
from kefu.commands.complaints import ComplaintCommands
from kefu.commands.customers import CustomerCommands
from kefu.commands.execution import Clock, CommandRunner, utc_now
from kefu.commands.phrases import PhraseCommands
from kefu.commands.policies import Policies
from kefu.commands.quality import InspectionCommands, ScorecardCommands
from kefu.commands.tickets import TicketCommands
from kefu.commands.visit_config import visit_policy
from kefu.commands.visits import VisitCommands
from kefu.domain.callbacks import CallbackPolicy
from kefu.processes.automation import Automation, Timers
from kefu.processes.rules_config import RuleSource
from kefu.processes.sla_config import sla_setup
from kefu.processes.visit_planner import VisitPlanner
from kefu.processes.wrap_up import WrapUpTimer
from kefu.projections.appraisal import KpiPlan, load_plan
from kefu.projections.quality_projection import ReadSideSamples
from kefu.projections.read_models import ReadModels
from kefu.projections.runner import LogProcess, ProjectionRunner
from kefu.settings import Settings


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
    tokens: TokenRegistry
    clock: Clock

    def projection_runner(self) -> ProjectionRunner:
        processes: list[LogProcess] = [self.visit_planner, self.wrap_up_timer]
        if self.settings.automation == "on":
            processes.append(self.automation)
        return ProjectionRunner(
            self.app,
            self.read_models.projections,
            processes=processes,
            health=self.read_models.health,
        )

    def close(self) -> None:
        self.read_models.close()
        self.app.close()


def build_services(settings: Settings, clock: Clock = utc_now) -> Services:
    app = ServiceDesk(settings.database_url)
    runner = CommandRunner(app, clock)
    policies = Policies(deadlines=settings.deadline_policy())
    policies = replace(
        policies, routing=settings.routing_policy(), callbacks=CallbackPolicy(settings.timezone)
    )
    sla = sla_setup(settings)
    policies = replace(policies, sla=sla.policies)
    read_models = ReadModels(settings.database_url, settings.timezone, sla)
    policies = replace(
        policies,
        visits=visit_policy(settings.visit_rules_file),
        timezone=ZoneInfo(settings.timezone),
        departments=settings.department_directory(),
        complaints=settings.complaints(),
    )
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
            Timers(read_models.sla_timers, read_models.complaint_timers),
            read_models.automation,
            clock,
            rules=RuleSource(settings.rules_file),
        ),
        tokens=TokenRegistry.from_settings(settings.api_tokens, settings.api_tokens_file),
        clock=clock,
    )
