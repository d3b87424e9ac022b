"""Commands on one kind of aggregate: create it, or run a named action on it.

Every aggregate kind (tickets, complaints, calls, ...) declares an action table: action name →
(command Struct, handler). A handler calls one domain verb; loading, metadata, idempotency
and saving happen here, once for all kinds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from kefu.application import ServiceDesk
from kefu.commands.base import Command
from kefu.commands.context import Context
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.policies import Policies
from kefu.commands.references import ReferenceCheck
from kefu.domain.metadata import EventMetadata

TAggregate = TypeVar("TAggregate", bound=Aggregate)
TCommand = TypeVar("TCommand", bound=Command)


@dataclass(frozen=True)
class Env:
    """What a handler needs besides the aggregate and the command."""

    meta: EventMetadata
    at: datetime
    policies: Policies


# A handler calls one domain verb. It returns the other aggregates the verb changed (a merge
# changes both files), which are then saved in the same transaction; usually None.
Handler = Callable[[TAggregate, Any, Env], "Sequence[Aggregate] | None"]
ActionTable = Mapping[str, tuple[type[Command], Handler[TAggregate]]]


def action(
    command: type[TCommand],
    handler: Callable[[TAggregate, TCommand, Env], Sequence[Aggregate] | None],
) -> tuple[type[Command], Handler[TAggregate]]:
    """An action table entry. A table mixes commands, so its handlers take `Any`; this is
    where each handler is checked against the Struct its action decodes."""
    return command, handler


class UnknownAction(LookupError):
    """No such action on this kind of aggregate."""

    def __init__(self, kind: str, action: str, known: list[str]) -> None:
        super().__init__(f"no {kind} action {action!r}; actions: {', '.join(known)}")


class AggregateCommands(Generic[TAggregate]):
    """The write side of one aggregate kind."""

    def __init__(
        self,
        app: ServiceDesk,
        runner: CommandRunner,
        policies: Policies,
        kind: type[TAggregate],
        actions: ActionTable[TAggregate],
    ) -> None:
        self.app = app
        self.runner = runner
        self.policies = policies
        self.kind = kind
        self.actions = actions

    def command_for(self, action: str) -> type[Command]:
        try:
            return self.actions[action][0]
        except KeyError:
            raise UnknownAction(self.kind.__name__.lower(), action, list(self.actions)) from None

    def action_commands(self) -> dict[str, type[Command]]:
        """Each action's command Struct, by action name."""
        return {name: command for name, (command, _) in self.actions.items()}

    def check(self, cmd: Command) -> None:
        """Refuses (422) a command naming a record or department that does not exist."""
        ReferenceCheck(self.app, self.policies.departments)(cmd.references())

    def create(self, ctx: Context, make: Callable[[Env], TAggregate]) -> Outcome:
        return self.runner.run(ctx, 201, lambda meta, at: make(Env(meta, at, self.policies)))

    def act(self, aggregate_id: UUID, action: str, command: Command, ctx: Context) -> Outcome:
        self.command_for(action)
        self.check(command)
        _, handler = self.actions[action]

        def change(meta: EventMetadata, at: datetime) -> Sequence[Aggregate]:
            aggregate = self.app.load(self.kind, aggregate_id, ctx.expected_version)
            others = handler(aggregate, command, Env(meta, at, self.policies))
            return (aggregate, *(others or ()))

        return self.runner.run_together(ctx, 200, change)
