"""The wrap-up timer: an agent in after-call work (话后处理) becomes available by itself.

Time is driven by the projection runner: it calls `catch_up` on every pass, and a pass comes
at least every second (the runner's safety poll) even when the log is quiet. Each pass asks the
agent view which agents have been in wrap-up for `wrap_up` or longer by the runner's clock, and
ends it on each agent aggregate — which checks again that the agent is still in wrap-up and
that the time is up, so a stale view can only cost a look, never a wrong change. The event is
the ordinary `BecameAvailable`, by the actor `wrap-up-timer`; its time is when the timer acted
(within about a second of the due time, plus the runner's lag). Two runners sweeping at once
conflict on the agent's version and only one saves: the agent becomes available once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid5

from kefu.application import ConcurrentChange, ServiceDesk
from kefu.domain.agent import Agent
from kefu.domain.errors import DomainError, NotFound
from kefu.domain.metadata import EventMetadata

TIMER_ACTOR = "wrap-up-timer"
_NAMESPACE = uuid5(NAMESPACE_URL, "urn:kefu:wrap-up-timer")

# The agents (ids) in wrap-up since before a time, as the agent view last saw them.
WrappingUp = Callable[[datetime], Iterable[UUID]]


class WrapUpTimer:
    """Ends each agent's wrap-up `wrap_up` after its call was released (None: never)."""

    def __init__(
        self,
        app: ServiceDesk,
        wrapping_up: WrappingUp,
        wrap_up: timedelta | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.app = app
        self.wrapping_up = wrapping_up
        self.wrap_up = wrap_up
        self.clock = clock

    def catch_up(self) -> int:
        """Ends every wrap-up that is due; returns how many ended."""
        if self.wrap_up is None:
            return 0
        now = self.clock()
        return sum(self._end(agent_id, now) for agent_id in self.wrapping_up(now - self.wrap_up))

    def _end(self, agent_id: UUID, now: datetime) -> int:
        assert self.wrap_up is not None
        try:
            agent = self.app.load(Agent, agent_id)
            agent.end_wrap_up(wrap_up=self.wrap_up, meta=_meta(agent), at=now)
            self.app.record(agent, None)
        except (DomainError, NotFound, ConcurrentChange):
            return 0  # ended or changed meanwhile; a view behind the log is looked at again
        return 1


def _meta(agent: Agent) -> EventMetadata:
    command_id = uuid5(_NAMESPACE, f"{agent.id}:{agent.version}")
    return EventMetadata(
        actor_id=TIMER_ACTOR,
        actor_role="process",
        command_id=command_id,
        correlation_id=command_id,
        causation_id=None,
        channel="process",
    )
