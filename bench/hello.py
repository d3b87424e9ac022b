"""The hello-world baseline of `python -m bench.http`: falcon with the same routes, no work."""

from __future__ import annotations

import uuid

import falcon


class Tickets:
    """Answers like kefu's ticket routes, without touching any store."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.get_media()
        resp.status = falcon.HTTP_201
        resp.media = {"id": str(uuid.uuid4()), "version": 1, "status": "open", "position": 1}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {"items": [], "cursor": None}

    def on_get_one(self, req: falcon.Request, resp: falcon.Response, ticket_id: str) -> None:
        resp.media = {"id": ticket_id, "version": 1, "status": "open"}


def make_app() -> falcon.App:
    app = falcon.App()
    tickets = Tickets()
    app.add_route("/tickets", tickets)
    app.add_route("/tickets/{ticket_id}", tickets, suffix="one")
    return app
