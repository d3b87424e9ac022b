"""The /reports endpoints (报表): JSON by default, CSV with a header row on request.

Every report reads its fact tables (see kefu.projections.reports); docs/reports.md gives the
formulas. Readable by the reporter role (and admin).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import falcon

from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.http.params import rfc3339
from kefu.http.responses import write_json
from kefu.http.routes import ApiApp, Operation
from kefu.projections.reports import agents, calls, complaints, ledger, satisfaction, sla, tickets
from kefu.projections.reports import visits as visit_reports
from kefu.projections.reports.buckets import Period
from kefu.projections.reports.query import Report, ReportQuery
from kefu.projections.reports.registry import ReportViews

REPORTERS = frozenset({Role.REPORTER})  # admin is always allowed
PARAMS = frozenset({"from", "to", "period", "group_by", "format", "bom"})
UTF8_BOM = "\ufeff".encode()
MAX_RANGE = timedelta(days=3 * 366)
CSV = "text/csv"


@dataclass(frozen=True)
class ReportSpec:
    """A report: its query, the groupings it allows, and the one used when none is asked."""

    run: Callable[[ReportViews, ReportQuery], Report]
    groups: tuple[str, ...]
    default_group: str | None = None


REPORTS = {
    "satisfaction": ReportSpec(satisfaction.satisfaction_report, tuple(satisfaction.GROUPS)),
    "tickets": ReportSpec(tickets.tickets_report, tuple(tickets.GROUPS)),
    "calls": ReportSpec(calls.calls_report, calls.GROUPS),
    "agents": ReportSpec(agents.agents_report, agents.GROUPS, default_group="agent"),
    "complaints": ReportSpec(complaints.complaints_report, tuple(complaints.GROUPS)),
    "visits": ReportSpec(visit_reports.visits_report, tuple(visit_reports.GROUPS)),
    "ledger": ReportSpec(ledger.ledger_report, ledger.GROUPS),
    "sla": ReportSpec(sla.sla_report, tuple(sla.GROUPS), default_group="policy"),
}


def _bad(description: str) -> falcon.HTTPBadRequest:
    return falcon.HTTPBadRequest(title="Bad query parameter", description=description)


class ReportResource:
    """GET /reports/{name}?from=&to=&period=&group_by= as JSON or CSV."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": REPORTERS}

    def __init__(self, services: Services, name: str, spec: ReportSpec) -> None:
        self.services = services
        self.name = name
        self.spec = spec
        self.zone = ZoneInfo(services.settings.timezone)

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = self._query(req)
        report = self.spec.run(self.services.read_models.reports, query)
        if _wants_csv(req):
            _write_csv(resp, report, f"{self.name}-{query.period}.csv", wants_bom(req))
        else:
            write_json(resp, self._body(query, report))

    def _query(self, req: falcon.Request) -> ReportQuery:
        unknown = set(req.params) - PARAMS
        if unknown:
            raise falcon.HTTPBadRequest(
                title="Unknown query parameter",
                description=f"unknown: {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(PARAMS))}",
            )
        start, end = _moment(req, "from"), _moment(req, "to")
        if not start < end <= start + MAX_RANGE:
            raise _bad("to must be after from, and at most 3 years after it")
        return ReportQuery(
            start=start,
            end=end,
            period=_period(req.get_param("period") or "day"),
            group_by=self._group(req.get_param("group_by")),
            zone=self.zone,
            now=self.services.clock(),
            service_level_seconds=self.services.settings.service_level_seconds,
        )

    def _group(self, text: str | None) -> str | None:
        if text is None:
            return self.spec.default_group
        if text not in self.spec.groups:
            allowed = ", ".join(self.spec.groups) or "none: this report is not grouped"
            raise _bad(f"group_by of the {self.name} report is one of: {allowed}")
        return text

    def _body(self, q: ReportQuery, report: Report) -> dict[str, Any]:
        body: dict[str, Any] = {
            "report": self.name,
            "from": q.start,
            "to": q.end,
            "period": q.period,
            "group_by": q.group_by,
            "timezone": self.services.settings.timezone,
        }
        if self.name == "calls":
            body["service_level_seconds"] = q.service_level_seconds
        return body | {"columns": report.columns, "rows": report.rows}


def _moment(req: falcon.Request, name: str) -> datetime:
    text = req.get_param(name)
    if text is None:
        raise _bad(f"{name} is required: an RFC 3339 time, e.g. 2030-03-01T00:00:00+08:00")
    moment = rfc3339(name, text)
    if not 1900 <= moment.year <= 2999:
        raise _bad(f"{name} must be a time between the years 1900 and 2999")
    return moment.astimezone(UTC)


def _period(text: str) -> Period:
    try:
        return Period(text)
    except ValueError:
        raise _bad(f"period is one of: {', '.join(Period)}") from None


def _wants_csv(req: falcon.Request) -> bool:
    chosen = req.get_param("format")
    if chosen is not None:
        if chosen not in ("json", "csv"):
            raise _bad("format is json or csv")
        return chosen == "csv"
    accept = req.get_header("Accept") or ""
    return CSV in accept and req.client_prefers([falcon.MEDIA_JSON, CSV]) == CSV


def wants_bom(req: falcon.Request) -> bool:
    """A UTF-8 byte-order mark, so Excel reads the Chinese as UTF-8: `?bom=1` or `?bom=0`; by
    default for browsers (every browser's User-Agent starts `Mozilla/`), whose downloads are
    opened in Excel, and not for scripts and tools, which would read the mark as data."""
    chosen = req.get_param("bom")
    if chosen is not None:
        if chosen not in ("0", "1"):
            raise _bad("bom is 0 or 1")
        return chosen == "1"
    return (req.user_agent or "").startswith("Mozilla/")


def _write_csv(resp: falcon.Response, report: Report, filename: str, bom: bool) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(report.columns)
    for row in report.rows:
        writer.writerow(_cell(row[c]) for c in report.columns)
    resp.content_type = f"{CSV}; charset=utf-8"
    resp.set_header("Content-Disposition", f'attachment; filename="{filename}"')
    resp.data = (UTF8_BOM if bom else b"") + out.getvalue().encode()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def add_report_routes(app: ApiApp, s: Services) -> None:
    for name, spec in REPORTS.items():
        path = f"/reports/{name}"
        app.add_route(
            path,
            ReportResource(s, name, spec),
            openapi={path: {"get": report_operation(name, spec)}},
        )


def report_operation(name: str, spec: ReportSpec) -> Operation:
    return Operation(
        f"The {name} report as JSON or CSV (docs/reports.md)",
        parameters=(
            _parameter("from", {"type": "string", "format": "date-time"}, required=True),
            _parameter("to", {"type": "string", "format": "date-time"}, required=True),
            _parameter("period", {"enum": [str(p) for p in Period]}),
            _parameter("group_by", {"enum": list(spec.groups)}),
            _parameter("format", {"enum": ["json", "csv"]}),
            _parameter("bom", {"enum": ["0", "1"]}),
        ),
    )


def _parameter(name: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema}
