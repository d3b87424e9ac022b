"""Phrases agents use and must not use: canned responses (常用语), scripts (话术) per scenario,
and the forbidden-phrase list (禁忌用语 / 服务红线)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from eventsourcing.domain import Aggregate, event

from kefu.domain.errors import ActionNotAllowed, RuleViolated
from kefu.domain.metadata import EventMetadata
from kefu.domain.phrase_lifecycle import (
    TRANSITIONS,
    PhraseAction,
    PhraseStatus,
    allowed_actions,
    next_status,
)

A = PhraseAction


class PhraseKind(StrEnum):
    """What a phrase is for."""

    CANNED = "canned"  # 常用语: a ready answer
    SCRIPT = "script"  # 话术: what to say, step by step, in a scenario
    FORBIDDEN = "forbidden"  # 禁忌用语: never to be said; agent texts containing it are flagged


class Scenario(StrEnum):
    """Where a canned response or script is used; forbidden phrases apply everywhere."""

    HOTLINE = "hotline"  # 热线
    ONLINE = "online"  # 在线客服
    RETURN_VISIT = "return_visit"  # 回访
    ANY = "any"


class Phrase(Aggregate):
    """One canned response, script or forbidden phrase; edited, retired and restored."""

    kind: PhraseKind
    scenario: Scenario
    title: str
    text: str
    suggestion: str
    status: PhraseStatus

    class Created(Aggregate.Created):
        kind: PhraseKind
        scenario: Scenario
        title: str
        text: str
        suggestion: str
        meta: EventMetadata

    class Edited(Aggregate.Event):
        scenario: Scenario
        title: str
        text: str
        suggestion: str
        meta: EventMetadata

    class Retired(Aggregate.Event):
        reason: str
        meta: EventMetadata

    class Restored(Aggregate.Event):
        meta: EventMetadata

    @event(Created)
    def __init__(
        self,
        kind: PhraseKind,
        scenario: Scenario,
        title: str,
        text: str,
        suggestion: str,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.kind, self.scenario = kind, scenario
        self.title, self.text, self.suggestion = title, text, suggestion
        self.status = PhraseStatus.ACTIVE

    @classmethod
    def create(
        cls,
        *,
        kind: PhraseKind,
        scenario: Scenario,
        title: str,
        text: str,
        suggestion: str,
        meta: EventMetadata,
        at: datetime,
    ) -> Phrase:
        """Add a phrase. A forbidden phrase applies in every scenario and may suggest what
        to say instead; a canned response or script belongs to one scenario."""
        _check(kind, scenario)
        return cls(
            kind=kind,
            scenario=scenario,
            title=title,
            text=text,
            suggestion=suggestion,
            meta=meta,
            timestamp=at,
        )

    @property
    def allowed_now(self) -> tuple[str, ...]:
        return allowed_actions(self.status)

    def edit(
        self,
        *,
        scenario: Scenario,
        title: str,
        text: str,
        suggestion: str,
        meta: EventMetadata,
        at: datetime,
    ) -> None:
        """Replace the phrase's wording (the kind never changes)."""
        self._check_allowed(A.EDIT)
        _check(self.kind, scenario)
        self._edited(
            scenario=scenario, title=title, text=text, suggestion=suggestion, meta=meta,
            timestamp=at,
        )  # fmt: skip

    def retire(self, *, reason: str, meta: EventMetadata, at: datetime) -> None:
        """Stop offering (or flagging) the phrase."""
        self._check_allowed(A.RETIRE)
        self._retired(reason=reason, meta=meta, timestamp=at)

    def restore(self, *, meta: EventMetadata, at: datetime) -> None:
        """Use the phrase again."""
        self._check_allowed(A.RESTORE)
        self._restored(meta=meta, timestamp=at)

    def _check_allowed(self, action: PhraseAction) -> None:
        if action not in TRANSITIONS[self.status]:
            raise ActionNotAllowed(
                f"cannot {action} a phrase that is {self.status}", self.allowed_now
            )

    @event(Edited)
    def _edited(
        self,
        scenario: Scenario,
        title: str,
        text: str,
        suggestion: str,
        meta: EventMetadata,
        timestamp: datetime,
    ) -> None:
        self.scenario, self.title, self.text, self.suggestion = scenario, title, text, suggestion

    @event(Retired)
    def _retired(self, reason: str, meta: EventMetadata, timestamp: datetime) -> None:
        self.status = next_status(self.status, A.RETIRE)

    @event(Restored)
    def _restored(self, meta: EventMetadata, timestamp: datetime) -> None:
        self.status = next_status(self.status, A.RESTORE)


def _check(kind: PhraseKind, scenario: Scenario) -> None:
    forbidden = kind is PhraseKind.FORBIDDEN
    if forbidden and scenario is not Scenario.ANY:
        raise RuleViolated("a forbidden phrase applies in every scenario (scenario any)")
    if not forbidden and scenario is Scenario.ANY:
        raise RuleViolated(
            f"a {kind} phrase belongs to a scenario: hotline, online or return_visit"
        )


EVENT_ACTIONS: dict[type[object], PhraseAction] = {
    Phrase.Edited: A.EDIT,
    Phrase.Retired: A.RETIRE,
    Phrase.Restored: A.RESTORE,
}
