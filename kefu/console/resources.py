"""The console's routes: the page, its versioned modules, the charting library, and the
wallboard (a snapshot, and a stream of them). Reports and the audit viewer read the API's own
endpoints, with the signed-in token, so the console can show nothing the API would not.

Every answer carries a strict Content-Security-Policy: scripts, styles and connections from this
origin only, no inline script or style, no frames, no plugins.
"""

from __future__ import annotations

from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import falcon

from kefu.auth import Role
from kefu.bootstrap import Services
from kefu.console.assets import Asset, ConsoleAssets
from kefu.console.streams import LIFETIME_SECONDS, StreamSlots, WallboardStream
from kefu.console.wallboard import Frame, Wallboard
from kefu.http.routes import ApiApp, Operation
from kefu.projections.wallboard import WallboardReader

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
REVALIDATE = "no-cache"  # the page: kept, but asked again each time (it names the version)
FOREVER = "public, max-age=31536000, immutable"  # a versioned file never changes
EVENT_STREAM = "text/event-stream"
WATCHERS = frozenset({Role.REPORTER})  # admin is always allowed
FIRST_SNAPSHOT_SECONDS = 20.0  # a worker's first viewer waits for the first snapshot


def _secure(resp: falcon.Response) -> None:
    resp.set_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    resp.set_header("X-Content-Type-Options", "nosniff")
    resp.set_header("Referrer-Policy", "no-referrer")
    resp.set_header("Cross-Origin-Opener-Policy", "same-origin")


def _send(req: falcon.Request, resp: falcon.Response, asset: Asset, cache: str) -> None:
    _secure(resp)
    resp.cache_control = [cache]
    resp.etag = asset.etag
    if any(tag == asset.etag for tag in req.if_none_match or ()):
        resp.status = falcon.HTTP_304
        return
    resp.content_type = asset.content_type
    resp.data = asset.body


def _missing(what: str) -> falcon.HTTPNotFound:
    return falcon.HTTPNotFound(title="Not found", description=f"the console has no {what}")


class PageResource:
    """GET /console: the one page (no token: it holds no data, and signs in itself)."""

    public = True

    def __init__(self, assets: ConsoleAssets) -> None:
        self.assets = assets

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        _send(req, resp, self.assets.page, REVALIDATE)


class AssetResource:
    """GET /console/assets/{version}/{name}: a module or style sheet of this version."""

    public = True

    def __init__(self, assets: ConsoleAssets) -> None:
        self.assets = assets

    def on_get(self, req: falcon.Request, resp: falcon.Response, version: str, name: str) -> None:
        asset = self.assets.files.get(name)
        if version != self.assets.version or asset is None:
            raise _missing(f"file {name} in version {version}")
        _send(req, resp, asset, FOREVER)


class VendorResource:
    """GET /console/vendor/{name}: the charting library, named by its version."""

    public = True

    def __init__(self, assets: ConsoleAssets) -> None:
        self.assets = assets

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        if self.assets.charts is None or name != self.assets.charts_name:
            raise _missing(f"library {name} (install it: npm ci --prefix kefu/console)")
        _send(req, resp, self.assets.charts, FOREVER)


class WallboardResource:
    """GET /console/wallboard: the current snapshot, from the shared computation."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": WATCHERS}

    def __init__(self, wallboard: Wallboard) -> None:
        self.wallboard = wallboard

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        _, body = _first_snapshot(self.wallboard)
        _secure(resp)
        resp.cache_control = ["no-store"]
        resp.content_type = falcon.MEDIA_JSON
        resp.data = body


class WallboardStreamResource:
    """GET /console/wallboard/stream (Accept: text/event-stream): a snapshot on every change."""

    roles: ClassVar[dict[str, frozenset[Role]]] = {"GET": WATCHERS}

    def __init__(self, wallboard: Wallboard, slots: StreamSlots, lifetime: float) -> None:
        self.wallboard = wallboard
        self.slots = slots
        self.lifetime = lifetime

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if EVENT_STREAM not in (req.accept or ""):
            raise falcon.HTTPNotAcceptable(
                title="Not acceptable", description=f"this stream is {EVENT_STREAM} only"
            )
        first = _first_snapshot(self.wallboard)
        if not self.slots.take():
            raise falcon.HTTPServiceUnavailable(
                title="Too many streams",
                description=f"this worker already serves {self.slots.max_streams} wallboard "
                "streams; retry, or read GET /console/wallboard",
                retry_after=5,
            )
        _secure(resp)
        resp.cache_control = ["no-store"]
        resp.content_type = EVENT_STREAM
        resp.set_header("X-Accel-Buffering", "no")  # a proxy in front must not buffer it
        resp.stream = WallboardStream(self.wallboard, self.slots, first, self.lifetime)


def _first_snapshot(wallboard: Wallboard) -> Frame:
    try:
        return wallboard.latest(FIRST_SNAPSHOT_SECONDS)
    except TimeoutError:
        raise falcon.HTTPServiceUnavailable(
            title="No snapshot yet",
            description="the wallboard has not read the views yet; retry shortly",
            retry_after=1,
        ) from None


def add_console_routes(
    app: ApiApp,
    s: Services,
    slots: StreamSlots | None = None,
    stream_lifetime: float = LIFETIME_SECONDS,
) -> Wallboard:
    assets = ConsoleAssets()
    views = s.read_models
    reader = WallboardReader(views, ZoneInfo(s.settings.timezone), s.settings.service_level_seconds)
    wallboard = Wallboard(reader, s.clock, views.agents.position_waiter)
    s.before_close.append(wallboard.close)
    routes: dict[str, tuple[Any, str]] = {
        "/console": (PageResource(assets), "The web console's page (no token)"),
        "/console/assets/{version}/{name}": (
            AssetResource(assets),
            "A module or style of the console, by version (no token)",
        ),
        "/console/vendor/{name}": (VendorResource(assets), "The charting library (no token)"),
        "/console/wallboard": (WallboardResource(wallboard), "The wallboard's snapshot"),
        "/console/wallboard/stream": (
            WallboardStreamResource(wallboard, slots or StreamSlots(), stream_lifetime),
            "The wallboard as server-sent events (Accept: text/event-stream)",
        ),
    }
    for path, (resource, summary) in routes.items():
        app.add_route(path, resource, openapi={path: {"get": Operation(summary)}})
    return wallboard
