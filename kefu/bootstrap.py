"""The composition root: plain constructor calls, nothing global at import time."""

from __future__ import annotations

from dataclasses import dataclass

from kefu.commands.application import ServiceDesk
from kefu.commands.execution import Clock, CommandRunner, utc_now
from kefu.commands.policies import Policies
from kefu.commands.tickets import TicketCommands
from kefu.http.auth import TokenRegistry
from kefu.projections.read_models import ReadModels
from kefu.projections.runner import ProjectionRunner
from kefu.settings import Settings


@dataclass
class Services:
    """Everything a process needs, built once from the settings."""

    settings: Settings
    app: ServiceDesk
    read_models: ReadModels
    tickets: TicketCommands
    tokens: TokenRegistry
    clock: Clock

    def projection_runner(self) -> ProjectionRunner:
        return ProjectionRunner(self.app, self.read_models.projections)

    def close(self) -> None:
        self.read_models.close()
        self.app.close()


def build_services(settings: Settings, clock: Clock = utc_now) -> Services:
    app = ServiceDesk(settings.database_url)
    runner = CommandRunner(app, clock)
    policies = Policies(deadlines=settings.deadline_policy())
    return Services(
        settings=settings,
        app=app,
        read_models=ReadModels(settings.database_url),
        tickets=TicketCommands(app, runner, policies),
        tokens=TokenRegistry.from_settings(settings.api_tokens, settings.api_tokens_file),
        clock=clock,
    )
