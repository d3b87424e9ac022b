"""/openapi.json lists exactly what falcon serves: every route's responders, and nothing else.

A falcon template (`/tickets/{aggregate_id:uuid}/{action}`) and the OpenAPI paths it serves
(`/tickets/{ticket_id}/dispatch`, ...) are matched segment by segment: a field matches any
field, a literal only itself, and the most literal template wins, as in falcon's router.
"""

from __future__ import annotations

from collections.abc import Iterable

import falcon.inspect
import falcon.testing

Route = tuple[str, str]  # (falcon template, HTTP method)


def served(app: falcon.App[falcon.Request, falcon.Response]) -> set[Route]:
    """Every (template, method) with a responder of ours (not falcon's 405 or OPTIONS)."""
    return {
        (route.path, method.method)
        for route in falcon.inspect.inspect_routes(app)
        for method in route.methods
        if not method.internal
    }


def _is_field(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _matches(template: list[str], path: list[str]) -> bool:
    return len(template) == len(path) and all(
        _is_field(t) or (t == p and not _is_field(p)) for t, p in zip(template, path, strict=True)
    )


def template_of(path: str, templates: Iterable[str]) -> str | None:
    """The falcon template that serves an OpenAPI path, or None."""
    wanted = path.strip("/").split("/")
    found = [t for t in templates if _matches(t.strip("/").split("/"), wanted)]
    # Literal segments win over fields, the leftmost difference first.
    return min(found, key=lambda t: [_is_field(s) for s in t.strip("/").split("/")], default=None)


def documented(client: falcon.testing.TestClient) -> set[tuple[str, str]]:
    paths = client.simulate_get("/openapi.json").json["paths"]
    return {(path, method.upper()) for path, methods in paths.items() for method in methods}


def test_every_documented_operation_is_served(client: falcon.testing.TestClient) -> None:
    routes = served(client.app)
    templates = {template for template, _ in routes}

    unserved = sorted(
        f"{method} {path}"
        for path, method in documented(client)
        if (template_of(path, templates), method) not in routes
    )

    assert not unserved, "documented in /openapi.json but not served:\n" + "\n".join(unserved)


def test_every_served_route_is_documented(client: falcon.testing.TestClient) -> None:
    routes = served(client.app)
    templates = {template for template, _ in routes}
    covered = {(template_of(path, templates), method) for path, method in documented(client)}

    missing = sorted(f"{method} {template}" for template, method in routes - covered)

    assert not missing, (
        "served but missing from /openapi.json (pass openapi= to add_route):\n" + "\n".join(missing)
    )


def test_a_literal_segment_beats_a_field_as_in_falcon() -> None:
    templates = ["/t/{id:uuid}/{action}", "/t/{id:uuid}/history", "/t/{id:uuid}"]
    assert template_of("/t/{t_id}/history", templates) == "/t/{id:uuid}/history"
    assert template_of("/t/{t_id}/close", templates) == "/t/{id:uuid}/{action}"
    assert template_of("/t/{t_id}/{x}/y", templates) is None
