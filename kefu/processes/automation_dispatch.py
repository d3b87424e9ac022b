"""A rule's dispatch through a strategy (派单策略): the agent with the skill it picks.

The candidates and their open tickets come from the read side, through protocols injected by
`kefu/bootstrap.py` (the agent view, `kefu/projections/ticket_workload.py`), like call routing
(docs/architecture.md, the documented exceptions). The choice itself is the pure
`kefu/domain/ticket_routing.py`. The runner folds the views after the automation's pass, so
the picks of the running pass are counted here until then: three tickets opened together go
to three agents, not to the one the views last saw with the fewest. The round robin's cursor
(who got the last ticket of a skill) is kept while the process runs; after a restart it is
taken from the ticket view (the agent with the newest ticket). A stale view can at worst make
the spread uneven; the save is the ticket's own (version checked) and is never repeated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from kefu.domain.routing import AgentSnapshot
from kefu.domain.ticket_routing import Candidate, DispatchStrategy, pick_agent


class AgentPool(Protocol):
    """The agents of a skill group as the agent view last saw them."""

    def snapshot(self, group: str, also: UUID | None) -> list[AgentSnapshot]: ...


class Workload(Protocol):
    """Open tickets per agent, and who of them was given a ticket last."""

    def open_tickets(self, agent_ids: Sequence[str]) -> dict[str, int]: ...

    def newest_assignee(self, agent_ids: Sequence[str]) -> str | None: ...


class SkillDispatcher:
    """Picks an agent with a skill by a strategy, counting this pass's own picks."""

    def __init__(self, agents: AgentPool, workload: Workload) -> None:
        self.agents = agents
        self.workload = workload
        self._given: Counter[str] = Counter()
        self._last: dict[str, UUID] = {}

    def new_pass(self) -> None:
        """The views have folded what the last pass dispatched: forget its counts (the round
        robin's cursor stays: it is exact while this process runs)."""
        self._given.clear()

    def pick(self, skill: str, strategy: DispatchStrategy) -> str | None:
        """The agent's id, or None when no agent has the skill."""
        members = [a for a in self.agents.snapshot(skill, None) if skill in a.skill_groups]
        ids = [str(a.agent_id) for a in members]
        counts = self.workload.open_tickets(ids)
        candidates = [
            Candidate(a, counts.get(str(a.agent_id), 0) + self._given[str(a.agent_id)])
            for a in members
        ]
        newest = self.workload.newest_assignee(ids)
        last = self._last.get(skill) or (UUID(newest) if newest else None)
        chosen = pick_agent(strategy, candidates, last)
        if chosen is None:
            return None
        self._given[str(chosen)] += 1
        self._last[skill] = chosen
        return str(chosen)
