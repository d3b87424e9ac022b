"""Dispatch strategies (派单策略): which agent with a skill a rule gives a ticket to.

Pure, like the call routing strategies beside it (`routing.py`): a snapshot of the candidates
in, one agent out, no I/O and no clock. Agents available now are preferred; when none is, every
agent with the skill is a candidate, so the ticket still gets an owner (a ticket waits in a
queue; it does not ring). Ties are broken by the agents' order, then by id, so one snapshot
always picks one agent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from kefu.domain.routing import AgentSnapshot


class DispatchStrategy(StrEnum):
    """How a rule picks an agent among those with the skill."""

    FEWEST_OPEN = "fewest_open"  # the fewest tickets assigned and not yet closed
    ROUND_ROBIN = "round_robin"  # in agent order, after the agent given the last ticket
    LONGEST_IDLE = "longest_idle"  # available the longest (the call routing's idea)
    TOP_DOWN = "top_down"  # always the first in agent order


@dataclass(frozen=True)
class Candidate:
    """An agent with the skill, as the read side last saw them, and their open tickets."""

    agent: AgentSnapshot
    open_tickets: int = 0

    def tie(self) -> tuple[int, str]:
        return (self.agent.order, str(self.agent.agent_id))


def pick_agent(
    strategy: DispatchStrategy, candidates: Sequence[Candidate], last_given: UUID | None = None
) -> UUID | None:
    """The agent `strategy` gives the next ticket to; None when nobody has the skill.
    `last_given` is the candidate who got the previous ticket (round robin goes on after)."""
    pool = [c for c in candidates if c.agent.available] or list(candidates)
    if not pool:
        return None
    ordered = sorted(pool, key=Candidate.tie)
    if strategy is DispatchStrategy.FEWEST_OPEN:
        return min(ordered, key=lambda c: c.open_tickets).agent.agent_id
    if strategy is DispatchStrategy.LONGEST_IDLE:
        return min(ordered, key=_idle_since).agent.agent_id
    if strategy is DispatchStrategy.ROUND_ROBIN and last_given is not None:
        last = next((c.tie() for c in candidates if c.agent.agent_id == last_given), None)
        after = [c for c in ordered if last is not None and c.tie() > last]
        return (after or ordered)[0].agent.agent_id
    return ordered[0].agent.agent_id


def _idle_since(candidate: Candidate) -> tuple[bool, float]:
    """Earliest available first; an agent never seen available last."""
    since = candidate.agent.available_since
    return (since is None, since.timestamp() if since else 0.0)
