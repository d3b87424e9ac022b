"""GET /reports/appraisal: monthly KPI actuals against the configured targets (绩效考核)."""

from __future__ import annotations

import csv
import io
import re
from typing import ClassVar
from zoneinfo import ZoneInfo

import falcon

from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.http.responses import write_json
from kefu.http.routes import ApiApp, Operation
from kefu.projections.appraisal import (
    AppraisalFacts,
    Row,
    appraisal,
    month_window,
    previous_months,
    target_met,
)

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
PARAMS = frozenset({"month", "months", "format"})
CSV_HEADER = ("scope", "metric", "month", "target", "higher_is_better", "actual", "met")


def _bad(description: str) -> falcon.HTTPBadRequest:
    return falcon.HTTPBadRequest(title="Bad query parameter", description=description)


class AppraisalResource:
    """?month=YYYY-MM (required), months= (trend length, 1-24, default 3), format=json|csv."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": frozenset({Role.REPORTER})}

    def __init__(self, s: Services) -> None:
        self.plan = s.kpi_plan
        models = s.read_models
        self.facts = AppraisalFacts(models.tickets, models.quality, models.visits)
        self.zone = ZoneInfo(s.settings.timezone)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        unknown = set(req.params) - PARAMS
        if unknown:
            raise _bad(f"unknown: {', '.join(sorted(unknown))}; known: month, months, format")
        month = req.get_param("month", required=True)
        if not MONTH.match(month):
            raise _bad("month is YYYY-MM")
        count = req.get_param_as_int("months", min_value=1, max_value=24, default=3)
        by_month = {
            m: self.facts.month(*month_window(m, self.zone)) for m in previous_months(month, count)
        }
        rows = appraisal(self.plan, by_month, month)
        if _wants_csv(req):
            resp.content_type = "text/csv; charset=utf-8"
            resp.text = _csv(rows)
            return
        write_json(resp, {"month": month, "rows": rows})


def _wants_csv(req: falcon.Request) -> bool:
    fmt = req.get_param("format")
    if fmt not in (None, "json", "csv"):
        raise _bad("format is json or csv")
    preferred = req.client_prefers(["application/json", "text/csv"])
    return fmt == "csv" or (fmt is None and preferred == "text/csv")


def _csv(rows: list[Row]) -> str:
    """One line per scope, metric and month of the trend (the last month is the appraised)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        for month, actual in r.trend:
            met = "" if actual is None else target_met(actual, r.target, r.higher_is_better)
            writer.writerow((r.scope, r.metric, month, r.target, r.higher_is_better,
                             "" if actual is None else actual, met))  # fmt: skip
    return out.getvalue()


def add_appraisal_routes(app: ApiApp, s: Services) -> None:
    month = {"name": "month", "in": "query", "required": True, "schema": {"type": "string"}}
    operation = Operation(
        "KPI actual vs target per agent or team, with the trend (docs/quality.md)",
        parameters=(month,),
    )
    path = "/reports/appraisal"
    app.add_route(path, AppraisalResource(s), openapi={path: {"get": operation}})
