"""The /phrases routes: canned responses and scripts per scenario, the forbidden list,
checking a text against it, and the flags raised on agent texts."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

import falcon
import msgspec

from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.commands.phrases import CheckText, CreatePhrase
from kefu.domain.phrase import Phrase
from kefu.http.aggregates import (
    VIEW_READERS,
    AggregateResource,
    CreateResource,
    HistoryResource,
    add_aggregate_routes,
    read_your_writes,
)
from kefu.http.listing import ListResource, Param
from kefu.http.params import optional_time, uuid_param
from kefu.http.requests import decode, read_body
from kefu.http.responses import write_json
from kefu.http.routes import ApiApp, Operation
from kefu.projections.phrase_projection import PhraseView
from kefu.search.phrases import Listed, find_phrases

PREFIX = "/phrases"
DESK = frozenset({Role.SERVICE, Role.REPORTER})


class CheckResource:
    """POST /phrases/check {"text"}: the forbidden phrases a text contains (nothing recorded)."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"POST": DESK}

    def __init__(self, view: PhraseView) -> None:
        self.view = view

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        text = decode(read_body(req), CheckText).text
        forbidden = self.view.forbidden()
        found = find_phrases(text, [Listed(str(i), v.text) for i, v in forbidden.items()])
        matches = [
            {**msgspec.to_builtins(f), "suggestion": forbidden[UUID(f.phrase_id)].suggestion}
            for f in found
        ]
        write_json(resp, {"flagged": bool(matches), "matches": matches})


class FlagsResource:
    """GET /phrases/flags?case=&actor=&from=&to=: agent texts that held a forbidden phrase."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": VIEW_READERS}

    def __init__(self, view: PhraseView) -> None:
        self.view = view

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        case = req.get_param("case")
        flags = self.view.flags(
            case_id=uuid_param("case", case) if case else None,
            actor_id=req.get_param("actor"),
            since=optional_time(req, "from"),
            until=optional_time(req, "to"),
            limit=req.get_param_as_int("limit", min_value=1, max_value=1000, default=100),
        )
        write_json(resp, {"items": flags})


def add_phrase_routes(app: ApiApp, s: Services) -> None:
    view = s.read_models.phrases
    params = [Param("kind", "kind"), Param("scenario", "scenario"), Param("status", "status")]
    sorts = {"title": "title", "updated": "updated_at"}
    lister = ListResource(view, params, sorts, wait=read_your_writes(s, "phrase_views"))
    add_aggregate_routes(
        app,
        PREFIX,
        CreateResource(CreatePhrase, s.phrases.add, PREFIX, lister),
        AggregateResource(
            s.phrases, s.read_models.projection("phrase_views"), s.settings.read_wait_seconds
        ),
        HistoryResource(s.app, Phrase),
        post="Add a canned response, script or forbidden phrase (常用语, 话术, 禁忌用语)",
        get="List phrases: kind, scenario, status",
    )
    check = Operation("Forbidden phrases in a text (nothing is recorded)", CheckText)
    app.add_route(
        f"{PREFIX}/check", CheckResource(view), openapi={f"{PREFIX}/check": {"post": check}}
    )
    flags = Operation("Agent texts that held a forbidden phrase")
    app.add_route(
        f"{PREFIX}/flags", FlagsResource(view), openapi={f"{PREFIX}/flags": {"get": flags}}
    )
