"""What the automation's dispatch strategies ask of the ticket view: each agent's open tickets
and who was given a ticket last (kefu/processes/automation_dispatch.py, through a protocol)."""

from __future__ import annotations

from collections.abc import Sequence

from kefu.projections.ticket_projection import NOT_CLOSED, TicketView


class TicketWorkload:
    """Queries over the ticket view's `assignee_id` (the work-queue index serves them)."""

    def __init__(self, view: TicketView) -> None:
        self.view = view

    def open_tickets(self, agent_ids: Sequence[str]) -> dict[str, int]:
        """How many tickets each agent has that are not closed or archived (0: none)."""
        if not agent_ids:
            return {}
        names, params = _in_list(agent_ids)
        rows = self.view.query(
            f"SELECT assignee_id, COUNT(*) AS n FROM {self.view.table} "
            f"WHERE assignee_id IN ({names}) AND {NOT_CLOSED} GROUP BY assignee_id",
            params,
        )
        return {str(row["assignee_id"]): int(row["n"]) for row in rows}

    def newest_assignee(self, agent_ids: Sequence[str]) -> str | None:
        """Which of the agents has the most recently opened ticket (ties: the larger id)."""
        if not agent_ids:
            return None
        names, params = _in_list(agent_ids)
        rows = self.view.query(
            f"SELECT assignee_id FROM {self.view.table} WHERE assignee_id IN ({names}) "
            "ORDER BY opened_at DESC, id DESC LIMIT 1",
            params,
        )
        return str(rows[0]["assignee_id"]) if rows else None


def _in_list(values: Sequence[str]) -> tuple[str, dict[str, object]]:
    params: dict[str, object] = {f"agent{n}": value for n, value in enumerate(values)}
    return ", ".join(f":{name}" for name in params), params
