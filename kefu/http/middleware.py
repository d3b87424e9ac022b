"""Authentication and role checks, applied once for every resource."""

from __future__ import annotations

from typing import Any

import falcon

from kefu.auth import Authenticator, DelegationRefused, Role

PUBLIC = frozenset[Role]()


class AuthMiddleware:
    """Maps the bearer token to a caller; 401 without a valid token, 403 for a wrong role.
    A delegating token's `X-On-Behalf-Of: <agent id>` makes that agent the actor (its own
    token stays the sender): 403 for a token that may not delegate, 422 for no such agent.

    Each resource declares `roles`: HTTP method → the roles allowed (admin always is).
    A resource with `public = True` needs no token (health checks, the OpenAPI document).
    """

    def __init__(self, tokens: Authenticator) -> None:
        self.tokens = tokens

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        # No store keeps a NUL character (PostgreSQL text refuses it): refuse it at the door.
        if "\x00" in req.path or "%00" in req.query_string.lower() or "\x00" in req.query_string:
            raise falcon.HTTPBadRequest(
                title="Bad request", description="the path and query may not contain NUL"
            )

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, params: dict[str, Any]
    ) -> None:
        if resource is None or getattr(resource, "public", False):
            return
        caller = self._authenticate(req)
        req.context.caller = caller
        roles: dict[str, frozenset[Role]] = getattr(resource, "roles", {})
        if req.method not in roles and not responds_to(resource, req.method):
            return  # falcon answers 405 with Allow: no role may do what does not exist
        allowed = roles.get(req.method, PUBLIC)
        if caller.role is not Role.ADMIN and caller.role not in allowed:
            raise falcon.HTTPForbidden(
                title="Forbidden",
                description=f"role {caller.role} may not {req.method} {req.path}",
            )

    def _authenticate(self, req: falcon.Request) -> Any:
        scheme, _, token = (req.get_header("Authorization") or "").partition(" ")
        caller = self.tokens.caller(token.strip()) if scheme.lower() == "bearer" else None
        if caller is None:
            raise falcon.HTTPUnauthorized(
                title="Unauthorized",
                description="send Authorization: Bearer <token>",
                challenges=['Bearer realm="kefu"'],
            )
        agent = req.get_header("X-On-Behalf-Of")
        if agent is None:
            return caller
        try:
            return self.tokens.on_behalf_of(caller, agent.strip())
        except DelegationRefused as refused:
            raise falcon.HTTPError(
                falcon.code_to_http_status(refused.status),
                title="On behalf of refused",
                description=refused.message,
            ) from None


def responds_to(resource: Any, method: str) -> bool:
    prefix = f"on_{method.lower()}"
    return any(name == prefix or name.startswith(prefix + "_") for name in dir(resource))
