"""Department scopes: which records a scoped token may read and act on, in one place.

A token scoped to departments (and call queues) sees and changes only their records
(`Caller.departments`, `Caller.queues`; None is unscoped). Which department a record belongs to:

- a ticket: the department it was dispatched to — before dispatch (受理, 复核) the front desk,
  `FRONT_DESK` (客服部, which accepts and reviews every ticket) — and the department of each of
  its collaborative nodes (协同工单);
- a complaint: the front desk always (it receives, answers and confirms every complaint: 五清楚),
  the responsible department once attributed (定责) and each task's department (执行);
- a call: its queue group (`queues`); a call not queued yet is the hotline's, the front desk's;
- an agent: its skill groups, each matched against the token's departments and queues;
- a customer file: every file for the front desk (it receives every customer and finds returning
  ones by phone); for another scope, the files of which it sees a ticket, complaint or call
  (a file is shared by the desks that serve its customer: 服务中台; no other file is shown).

How each kind of request is scoped is one table, `ROUTES`, keyed by falcon's route template;
a route not in it is refused (403) to a scoped token, so a new endpoint is closed until someone
decides its scope. `ScopeMiddleware` applies the table: a single record outside the scope
answers 404 exactly as a record that does not exist (its existence does not leak); a command
on it is refused the same way, before its body is read, and a command naming such a record
(`refuse_unseen_references`) is refused as naming one that does not exist; opening a ticket,
complaint, call or customer file needs the front desk in the scope (they open there), else
403. Lists filter in SQL through `list_condition` (so pagination stays right), and so does
`GET /search`; `within_scope(caller, table, query)` is the same for any reader that pages a
view for a caller (the user export). Reports, audit, the event stream, webhooks, the wallboard and
the other routes of every department answer 403 to a scoped token: their figures mix
departments, and unscoped tokens (admin, auditor, reporter) read them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any
from uuid import UUID

import falcon

from kefu.auth import Caller
from kefu.bootstrap import Services
from kefu.commands.base import Command
from kefu.commands.errors import UnknownReference
from kefu.commands.references import Names
from kefu.domain.agent import Agent
from kefu.domain.call import Call
from kefu.domain.complaint import Complaint
from kefu.domain.customer import Customer
from kefu.domain.errors import NotFound
from kefu.domain.ticket import Ticket
from kefu.http.middleware import responds_to
from kefu.projections.listing import ListQuery

FRONT_DESK = "customer_service"  # 客服部: accepts every ticket and complaint, answers the hotline

SqlCondition = tuple[str, dict[str, object]]


class OutOfScope(falcon.HTTPForbidden):
    """A scoped token asked for something outside its departments (403, no record named)."""

    def __init__(self, description: str) -> None:
        super().__init__(title="Out of scope", description=description)


# --- Which departments a record belongs to (on the aggregate: no lag behind the log) ---


def ticket_departments(ticket: Ticket) -> frozenset[str]:
    return frozenset({ticket.department or FRONT_DESK, *ticket.nodes})


def complaint_departments(complaint: Complaint) -> frozenset[str]:
    tasks = (task.department for task in complaint.tasks.values())
    return frozenset({FRONT_DESK, *filter(None, (complaint.department,)), *tasks})


SCOPED_KINDS = (Ticket, Complaint, Call, Agent)


def may_see(caller: Caller, record: object) -> bool:
    """Whether a scoped caller may read and act on this ticket, complaint, call or agent."""
    if not caller.scoped:
        return True
    departments = caller.departments or frozenset()
    queues = caller.queues or frozenset()
    if isinstance(record, Ticket):
        return bool(ticket_departments(record) & departments)
    if isinstance(record, Complaint):
        return bool(complaint_departments(record) & departments)
    if isinstance(record, Call):
        return record.group in queues if record.group else FRONT_DESK in departments
    if isinstance(record, Agent):
        return bool(set(record.skill_groups) & (departments | queues))
    return False


def refuse_unseen_references(req: falcon.Request, command: Command) -> None:
    """A scoped caller's command may name (`references()`) only tickets, complaints, calls,
    agents and customer files it may see: another is refused exactly as a record that does not
    exist (422), so a command can neither link to, nor probe for, a record outside the scope
    (nor gain sight of a file by naming it in a new ticket)."""
    caller: Caller | None = getattr(req.context, "caller", None)
    scope: ScopeMiddleware | None = getattr(req.context, "scope", None)
    if caller is None or scope is None or not caller.scoped:
        return
    for reference in command.references():
        if not isinstance(reference, Names) or reference.aggregate_id is None:
            continue
        if not scope.may_name(caller, reference.kind, reference.aggregate_id):
            name = reference.kind.__name__.lower()
            message = f"{name} {reference.aggregate_id} does not exist"
            raise UnknownReference(reference.field, message)


# --- The same rules as SQL on the views (lists, search, export) ---


class _Marks:
    """Named parameters for one condition (`scope_0`, `scope_1`, ...), never clashing with
    the list's own (`f0`, `q0`, `c_sort`)."""

    def __init__(self) -> None:
        self.params: dict[str, object] = {}

    def mark(self, value: object) -> str:
        name = f"scope_{len(self.params)}"
        self.params[name] = value
        return ":" + name

    def one_of(self, column: str, values: Iterable[str]) -> str:
        names = sorted(values)
        if not names:
            return "1 = 0"
        return f"{column} IN ({', '.join(self.mark(v) for v in names)})"

    def any_listed(self, column: str, values: Iterable[str]) -> str:
        """`column` (`|a|b|`, see `groups_column`) lists one of `values`."""
        terms = [f"{column} LIKE {self.mark(_listed(v))} ESCAPE '\\'" for v in sorted(values)]
        return f"({' OR '.join(terms)})" if terms else "1 = 0"


def _listed(name: str) -> str:
    escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%|{escaped}|%"


def _tickets(caller: Caller, marks: _Marks, alias: str) -> str:
    departments = caller.departments or frozenset()
    terms = [marks.any_listed(f"{alias}departments", departments)]
    if FRONT_DESK in departments:
        terms.append(f"{alias}department IS NULL")
    return f"({' OR '.join(terms)})"


def _complaints(caller: Caller, marks: _Marks, alias: str) -> str:
    departments = caller.departments or frozenset()
    if FRONT_DESK in departments:
        return "1 = 1"
    return marks.any_listed(f"{alias}departments", departments)


def _calls(caller: Caller, marks: _Marks, alias: str) -> str:
    queued = marks.one_of(f"{alias}group_name", caller.queues or ())
    if FRONT_DESK in (caller.departments or ()):
        return f"({queued} OR {alias}group_name IS NULL)"
    return queued


def _agents(caller: Caller, marks: _Marks, alias: str) -> str:
    groups = (caller.departments or frozenset()) | (caller.queues or frozenset())
    return marks.any_listed(f"{alias}groups", groups)


def _customers(caller: Caller, marks: _Marks, alias: str) -> str:
    if FRONT_DESK in (caller.departments or ()):
        return "1 = 1"  # the front desk receives every customer
    seen = (
        f"SELECT customer_id FROM ticket_views WHERE customer_id IS NOT NULL "
        f"AND {_tickets(caller, marks, '')}",
        f"SELECT customer_id FROM complaint_views WHERE {_complaints(caller, marks, '')}",
        f"SELECT customer_id FROM call_views WHERE customer_id IS NOT NULL "
        f"AND {_calls(caller, marks, '')}",
    )
    return "(" + " OR ".join(f"{alias}id IN ({select})" for select in seen) + ")"


def _nodes(caller: Caller, marks: _Marks, alias: str) -> str:
    return f"{alias}ticket_id IN (SELECT id FROM ticket_views WHERE {_tickets(caller, marks, '')})"


# View table → its scope rule.
RULES: dict[str, Callable[[Caller, _Marks, str], str]] = {
    "ticket_views": _tickets,
    "complaint_views": _complaints,
    "call_views": _calls,
    "agent_views": _agents,
    "customer_views": _customers,
    "ticket_nodes": _nodes,
}


# Views of no department's records: the knowledge base and the phrase lists.
SHARED_VIEWS = frozenset({"article_views", "phrase_views"})


def list_condition(caller: Caller, table: str, alias: str = "") -> SqlCondition | None:
    """The SQL condition (and its parameters) that keeps a query on the view `table` to the
    caller's scope: None for an unscoped caller or a shared view. `alias` prefixes the view's
    columns (`b.`).

    Lists, `GET /search` and exports add it to their WHERE, so a page holds only records in
    scope and the cursor stays right. A view without a rule refuses a scoped caller (403).
    """
    if not caller.scoped or table in SHARED_VIEWS:
        return None
    rule = RULES.get(table)
    if rule is None:
        raise OutOfScope(f"{table} is not readable with a department-scoped token")
    marks = _Marks()
    return rule(caller, marks, alias), marks.params


def within_scope(caller: Caller, table: str, query: ListQuery) -> ListQuery:
    """`query` on the view `table` kept to the caller's records: what a list does, for any
    reader that pages a view for a caller (the user export). Unchanged for an unscoped caller;
    OutOfScope (403) for a scoped caller on a view that has no rule."""
    scope = list_condition(caller, table)
    if scope is None:
        return query
    where, params = scope
    return replace(
        query,
        extra_where=[*query.extra_where, where],
        extra_params={**query.extra_params, **params},
    )


# --- Requests: the route table and the middleware that applies it ---


@dataclass(frozen=True)
class Shared:
    """Not a department's record (the knowledge base, the console's page): open to all."""


@dataclass(frozen=True)
class Listed:
    """A list or search that filters itself with `list_condition`."""


@dataclass(frozen=True)
class OneRecord:
    """The record named by the path's `aggregate_id`: outside the scope it does not exist."""

    kind: type[Any]


@dataclass(frozen=True)
class OneCustomer:
    """A customer file named by the path: in scope when a record in scope names it.
    A merge is refused: it joins the histories of two files, the other one possibly unseen."""

    refused_actions: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Opens:
    """Creates a record at the front desk: the scope must hold `FRONT_DESK`."""

    kind: str


@dataclass(frozen=True)
class OwnDepartment:
    """`/departments/{name}/...`: only the scope's own departments."""


Policy = Shared | Listed | OneRecord | OneCustomer | Opens | OwnDepartment
Methods = dict[str, Policy]


def _record(kind: type[Any], *methods: str) -> Methods:
    return dict.fromkeys(methods, OneRecord(kind))


def _aggregate_routes(prefix: str, kind: type[Any], opens: str | None) -> dict[str, Methods]:
    item = f"{prefix}/{{aggregate_id:uuid}}"
    collection: Methods = {"GET": Listed()}
    if opens is not None:
        collection["POST"] = Opens(opens)
    return {
        prefix: collection,
        item: _record(kind, "GET"),
        f"{item}/{{action}}": _record(kind, "POST"),
        f"{item}/history": _record(kind, "GET"),
    }


ROUTES: dict[str, Methods] = {
    **_aggregate_routes("/tickets", Ticket, opens="ticket"),
    "/tickets/{aggregate_id:uuid}/thread": _record(Ticket, "GET", "POST"),
    "/tickets/{aggregate_id:uuid}/attachments/{sha256}": _record(Ticket, "GET"),
    "/ticket-nodes": {"GET": Listed()},
    **_aggregate_routes("/complaints", Complaint, opens="complaint"),
    "/complaints/{aggregate_id:uuid}/thread": _record(Complaint, "GET", "POST"),
    "/complaints/{aggregate_id:uuid}/attachments/{sha256}": _record(Complaint, "GET"),
    "/complaints/{aggregate_id:uuid}/tasks/{task_id}/{outcome}": _record(Complaint, "POST"),
    **_aggregate_routes("/calls", Call, opens="call"),
    "/callbacks": {"GET": Listed()},
    **_aggregate_routes("/agents", Agent, opens=None),
    "/customers": {"GET": Listed(), "POST": Opens("customer file")},
    "/customers/{aggregate_id:uuid}": {"GET": OneCustomer()},
    "/customers/{aggregate_id:uuid}/{action}": {"POST": OneCustomer(frozenset({"merge"}))},
    "/customers/{aggregate_id:uuid}/history": {"GET": OneCustomer()},
    "/departments/{name}/board": {"GET": OwnDepartment()},
    "/departments/{name}/work": {"GET": OwnDepartment()},
    "/search": {"GET": Listed()},
    # Exports read the lists' own queries to the end (`ListResource.pages`): scoped the same.
    "/exports/tickets": {"GET": Listed()},
    "/exports/complaints": {"GET": Listed()},
    "/exports/customers": {"GET": Listed()},
    "/attachments": {"POST": Shared()},
    "/articles": {"GET": Shared(), "POST": Shared()},
    "/articles/{aggregate_id:uuid}": {"GET": Shared()},
    "/articles/{aggregate_id:uuid}/{action}": {"POST": Shared()},
    "/articles/{aggregate_id:uuid}/history": {"GET": Shared()},
    "/articles/{aggregate_id:uuid}/versions": {"GET": Shared()},
    "/articles/search": {"GET": Shared()},
    "/articles/suggestions": {"GET": Shared()},
    "/phrases": {"GET": Shared()},
    "/phrases/{aggregate_id:uuid}": {"GET": Shared()},
    "/phrases/check": {"POST": Shared()},
    "/console": {"GET": Shared()},
    "/console/assets/{version}/{name}": {"GET": Shared()},
    "/console/vendor/{name}": {"GET": Shared()},
}


def policy_for(template: str | None, method: str) -> Policy | None:
    """How a scoped caller's request on this route is scoped; None: refused."""
    return ROUTES.get(template or "", {}).get(method)


class ScopeMiddleware:
    """Applies `ROUTES` to every request of a scoped caller, after `AuthMiddleware`."""

    def __init__(self, services: Services) -> None:
        self.s = services

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]
    ) -> None:
        caller: Caller | None = getattr(req.context, "caller", None)
        if resource is None or caller is None or not caller.scoped:
            return
        if not responds_to(resource, req.method):
            return  # falcon answers 405 with Allow, as to everyone
        req.context.scope = self  # for `refuse_unseen_references`
        policy = policy_for(req.uri_template, req.method)
        if policy is None:
            raise OutOfScope(
                f"a department-scoped token may not {req.method} {req.uri_template}: "
                "it reads or changes records of every department"
            )
        if isinstance(policy, OneRecord):
            record = self.s.app.load(policy.kind, params["aggregate_id"])
            if not may_see(caller, record):
                raise NotFound(policy.kind.__name__.lower(), params["aggregate_id"])
        elif isinstance(policy, OneCustomer):
            if params.get("action") in policy.refused_actions:
                raise OutOfScope(f"a department-scoped token may not {params['action']} files")
            self._customer(caller, params["aggregate_id"])
        elif isinstance(policy, Opens) and FRONT_DESK not in (caller.departments or ()):
            raise OutOfScope(
                f"a new {policy.kind} opens at the front desk ({FRONT_DESK}), "
                "which is not among this token's departments"
            )
        elif isinstance(policy, OwnDepartment) and params["name"] not in (caller.departments or ()):
            raise OutOfScope(f"department {params['name']} is not among this token's departments")

    def _customer(self, caller: Caller, customer_id: UUID) -> None:
        if not self.sees_customer(caller, customer_id):
            raise NotFound("customer", customer_id)

    def sees_customer(self, caller: Caller, customer_id: UUID) -> bool:
        """The front desk sees every file at once; another scope sees a file when the views
        show one of its records naming it (a moment after that record is written)."""
        if FRONT_DESK in (caller.departments or ()):
            return True
        condition = list_condition(caller, "customer_views")
        assert condition is not None  # the caller is scoped
        where, values = condition
        view = self.s.read_models.customers
        found = view.query(
            f"SELECT 1 AS found FROM {view.table} WHERE id = :customer_id AND {where}",
            {**values, "customer_id": str(customer_id)},
        )
        return bool(found)

    def may_name(self, caller: Caller, kind: type[Any], aggregate_id: UUID) -> bool:
        """Whether a command of the caller may name this record (one that does not exist is
        left to the command's own check, which refuses it with the same words)."""
        if kind is Customer:
            return not self.s.app.exists(Customer, aggregate_id) or self.sees_customer(
                caller, aggregate_id
            )
        if kind not in SCOPED_KINDS:
            return True
        try:
            record = self.s.app.load(kind, aggregate_id)
        except NotFound:
            return True
        return may_see(caller, record)
