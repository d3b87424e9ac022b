"""Phrase commands (常用语, 话术, 禁忌用语) and their handlers: load, call the verb, save."""

from __future__ import annotations

from typing import Annotated

import msgspec

from kefu.application import ServiceDesk
from kefu.commands.actions import ActionTable, AggregateCommands, Env
from kefu.commands.base import Command, Note
from kefu.commands.context import Context
from kefu.commands.execution import CommandRunner, Outcome
from kefu.commands.policies import Policies
from kefu.domain.phrase import Phrase, PhraseKind, Scenario
from kefu.domain.phrase_lifecycle import PhraseAction

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
Wording = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000, pattern=r"\S")]


class PhraseFields(Command, frozen=True):
    """The wording of a phrase: a forbidden one's `text` is what is never to be said, and its
    `suggestion` what to say instead."""

    scenario: Scenario
    title: Title
    text: Wording
    suggestion: Note = ""


class CreatePhrase(PhraseFields, frozen=True, kw_only=True):
    kind: PhraseKind


class EditPhrase(PhraseFields, frozen=True, kw_only=True):
    pass


class RetirePhrase(Command, frozen=True):
    reason: Note = ""


class RestorePhrase(Command, frozen=True):
    pass


class CheckText(Command, frozen=True):
    """A text to check against the forbidden list (nothing is recorded)."""

    text: Annotated[str, msgspec.Meta(max_length=100_000)]


def edit(p: Phrase, c: EditPhrase, e: Env) -> None:
    p.edit(
        scenario=c.scenario, title=c.title, text=c.text, suggestion=c.suggestion, meta=e.meta,
        at=e.at,
    )  # fmt: skip


def retire(p: Phrase, c: RetirePhrase, e: Env) -> None:
    p.retire(reason=c.reason, meta=e.meta, at=e.at)


def restore(p: Phrase, c: RestorePhrase, e: Env) -> None:
    p.restore(meta=e.meta, at=e.at)


A = PhraseAction

PHRASE_ACTIONS: ActionTable[Phrase] = {
    A.EDIT.value: (EditPhrase, edit),
    A.RETIRE.value: (RetirePhrase, retire),
    A.RESTORE.value: (RestorePhrase, restore),
}


class PhraseCommands(AggregateCommands[Phrase]):
    """The phrase write side used by the HTTP layer."""

    def __init__(self, app: ServiceDesk, runner: CommandRunner, policies: Policies) -> None:
        super().__init__(app, runner, policies, Phrase, PHRASE_ACTIONS)

    def add(self, cmd: CreatePhrase, ctx: Context) -> Outcome:
        def make(e: Env) -> Phrase:
            return Phrase.create(
                kind=cmd.kind, scenario=cmd.scenario, title=cmd.title, text=cmd.text,
                suggestion=cmd.suggestion, meta=e.meta, at=e.at,
            )  # fmt: skip

        return self.create(ctx, make)
