"""The report fact views and their projections, opened together."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from kefu.projections.batch import BatchProjection
from kefu.projections.reports.call_facts import CallFactsProjection, CallFactsView
from kefu.projections.reports.complaint_facts import ComplaintFactsProjection, ComplaintFactsView
from kefu.projections.reports.ticket_facts import TicketFactsProjection, TicketFactsView
from kefu.projections.reports.visit_facts import VisitFactsProjection, VisitFactsView


class ReportViews:
    """Every report's fact tables; `projections` keep them."""

    def __init__(self, open_view: Callable[[type[Any]], Any], timezone: str) -> None:
        self.timezone = timezone
        zone = ZoneInfo(timezone)
        self.tickets: TicketFactsView = open_view(TicketFactsView)
        self.calls: CallFactsView = open_view(CallFactsView)
        self.complaints: ComplaintFactsView = open_view(ComplaintFactsView)
        self.visits: VisitFactsView = open_view(VisitFactsView)
        self.projections: list[BatchProjection[Any]] = [
            TicketFactsProjection(self.tickets, zone),
            CallFactsProjection(self.calls, zone),
            ComplaintFactsProjection(self.complaints, zone),
            VisitFactsProjection(self.visits, zone),
        ]
