"""The web console over HTTP: the page and its files (versioned, cached, under a strict
Content-Security-Policy), the wallboard's snapshot and its server-sent events, roles, and the
chain verification the audit viewer runs."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import falcon.testing
import pytest

from kefu.bootstrap import Services
from kefu.console.assets import STATIC, ConsoleAssets
from kefu.console.resources import add_console_routes
from kefu.console.streams import StreamSlots
from kefu.http.middleware import AuthMiddleware
from kefu.http.problems import add_problem_handlers
from kefu.http.routes import ApiApp

Headers = dict[str, str]
DEADLINE_SECONDS = 20  # a bound for a loaded machine; each wait returns as soon as it holds


class PageParts(HTMLParser):
    """The page's scripts, style sheets and any inline code or style."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.sheets: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        self.inline += [
            f"{tag} {name}" for name in named if name == "style" or name.startswith("on")
        ]
        if tag == "style":
            self.inline.append("style element")
        if tag == "script":
            self.scripts.append(named.get("src") or "")
            self._in_script = True
        if tag == "link" and named.get("rel") == "stylesheet":
            self.sheets.append(named.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("script body")


def page_parts(client: falcon.testing.TestClient) -> PageParts:
    parts = PageParts()
    parts.feed(client.simulate_get("/console").text)
    return parts


def test_the_page_is_served_without_a_token_under_a_strict_policy(
    client: falcon.testing.TestClient,
) -> None:
    for path in ("/console", "/console/"):
        page = client.simulate_get(path)
        assert page.status_code == 200
        assert page.headers["Content-Type"].startswith("text/html")
        policy = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "default-src 'none'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy
        assert page.headers["Cache-Control"] == "no-cache"
        assert page.headers["X-Content-Type-Options"] == "nosniff"
    again = client.simulate_get("/console", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304
    parts = page_parts(client)
    assert parts.inline == []
    assert parts.scripts and all(src.startswith("/console/assets/") for src in parts.scripts)


def test_every_file_the_page_names_is_versioned_and_kept_for_a_year(
    client: falcon.testing.TestClient,
) -> None:
    parts = page_parts(client)
    for path in [*parts.scripts, *parts.sheets]:
        answer = client.simulate_get(path)
        assert answer.status_code == 200, path
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Content-Security-Policy" in answer.headers
    (script,) = parts.scripts
    assert client.simulate_get(script).headers["Content-Type"].startswith("text/javascript")
    version = script.split("/")[3]
    # Every module the entry imports is a sibling, under the same version.
    imports = re.findall(
        r'from "\./([a-z]+\.js)"|import "\./([a-z]+\.js)"', client.simulate_get(script).text
    )
    for name in {a or b for a, b in imports}:
        assert client.simulate_get(f"/console/assets/{version}/{name}").status_code == 200
    assert client.simulate_get("/console/assets/0000000000000000/app.js").status_code == 404
    assert client.simulate_get(f"/console/assets/{version}/secret.py").status_code == 404
    assert client.simulate_get(f"/console/assets/{version}/..%2Fassets.py").status_code == 404


def test_the_version_changes_with_any_file(tmp_path: Path) -> None:
    copy = tmp_path / "static"
    copy.mkdir()
    for f in STATIC.iterdir():
        (copy / f.name).write_bytes(f.read_bytes())
    before = ConsoleAssets(copy, tmp_path).version
    (copy / "dom.js").write_text((copy / "dom.js").read_text() + "\n// changed\n")
    assert ConsoleAssets(copy, tmp_path).version != before


def test_the_charting_library_is_served_by_its_version_or_the_page_says_it_is_absent(
    client: falcon.testing.TestClient, tmp_path: Path
) -> None:
    assets = ConsoleAssets()
    if assets.charts is None:
        pytest.fail("the charting library is not installed: npm ci --prefix kefu/console")
    chosen = re.search(
        r'name="kefu-charts" content="([^"]*)"', client.simulate_get("/console").text
    )
    assert chosen and chosen.group(1) == f"/console/vendor/{assets.charts_name}"
    assert re.fullmatch(r"echarts-\d+\.\d+\.\d+\.esm\.min\.js", assets.charts_name)
    library = client.simulate_get(chosen.group(1))
    assert library.status_code == 200
    assert library.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert library.headers["Content-Type"].startswith("text/javascript")
    assert client.simulate_get("/console/vendor/echarts-0.0.0.esm.min.js").status_code == 404

    without = ConsoleAssets(charts_package=tmp_path / "not-installed")
    assert without.charts is None
    assert b'name="kefu-charts" content=""' in without.page.body


def wallboard(client: falcon.testing.TestClient, headers: Headers) -> dict[str, Any]:
    answer = client.simulate_get("/console/wallboard", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = answer.json
    return body


def queue_a_call(
    client: falcon.testing.TestClient, auth: Callable[..., Headers], group: str
) -> None:
    call = client.simulate_post(
        "/calls",
        json={"direction": "inbound", "customer_number": "13800138000", "hotline": "4008001234"},
        headers=auth(),
    )
    assert call.status_code == 201, call.text
    queued = client.simulate_post(
        f"/calls/{call.json['id']}/queue", json={"group": group}, headers=auth()
    )
    assert queued.status_code == 200, queued.text


def until(condition: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not (value := condition()):
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.05)
    return value


def test_the_wallboard_shows_calls_waiting_per_queue_once_the_views_have_them(
    client: falcon.testing.TestClient, auth: Callable[..., Headers], catch_up: Callable[[], int]
) -> None:
    empty = wallboard(client, auth("reporter"))
    assert empty["queues"] == [] and empty["work"]["tickets_overdue"] == 0
    assert empty["today"]["offered"] == 0

    queue_a_call(client, auth, "vip")
    queue_a_call(client, auth, "vip")
    catch_up()

    board = until(lambda: (b := wallboard(client, auth("reporter")))["queues"] and b)
    (vip,) = board["queues"]
    assert (vip["queue"], vip["waiting"]) == ("vip", 2)
    assert board["today"]["offered"] == 2 and board["today"]["abandon_rate_pct"] == 0.0


def test_the_wallboard_is_for_readers_of_reports(
    client: falcon.testing.TestClient, auth: Callable[..., Headers]
) -> None:
    assert client.simulate_get("/console/wallboard").status_code == 401
    for role, status in (("service", 403), ("auditor", 403), ("reporter", 200), ("admin", 200)):
        assert client.simulate_get("/console/wallboard", headers=auth(role)).status_code == status
        stream = client.simulate_get(
            "/console/wallboard/stream", headers={**auth(role), "Accept": "application/json"}
        )
        assert stream.status_code == (status if status != 200 else 406)


def short_streams(services: Services, slots: StreamSlots) -> falcon.testing.TestClient:
    """An app with the console alone, whose streams end after half a second."""
    app = ApiApp(middleware=[AuthMiddleware(services.tokens)])
    add_problem_handlers(app)
    add_console_routes(app, services, slots=slots, stream_lifetime=0.5)
    return falcon.testing.TestClient(app)


def test_the_stream_sends_the_snapshot_as_server_sent_events_and_frees_its_slot(
    services: Services, auth: Callable[..., Headers]
) -> None:
    slots = StreamSlots(1)
    client = short_streams(services, slots)
    headers = {**auth("reporter"), "Accept": "text/event-stream"}

    answer = client.simulate_get("/console/wallboard/stream", headers=headers)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/event-stream"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.text.startswith("retry: ")
    event = answer.text.split("\n\n")[0].splitlines()
    assert "event: wallboard" in event and event[1] == "id: 1"
    snapshot = json.loads(event[-1].removeprefix("data: "))
    assert set(snapshot) == {"as_of", "agents", "queues", "today", "work"}
    assert slots.take(), "the ended stream gave its slot back"


def test_a_worker_serves_a_bounded_number_of_streams(
    services: Services, auth: Callable[..., Headers]
) -> None:
    slots = StreamSlots(1)
    client = short_streams(services, slots)
    assert slots.take()  # another viewer holds the only stream

    refused = client.simulate_get(
        "/console/wallboard/stream", headers={**auth("reporter"), "Accept": "text/event-stream"}
    )

    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
    assert client.simulate_get("/console/wallboard", headers=auth("reporter")).status_code == 200


def test_one_computation_serves_every_viewer_and_each_change_is_computed_once(
    services: Services,
    client: falcon.testing.TestClient,
    auth: Callable[..., Headers],
    catch_up: Callable[[], int],
) -> None:
    app = ApiApp(middleware=[AuthMiddleware(services.tokens)])
    board = add_console_routes(app, services)
    first, _ = board.latest(DEADLINE_SECONDS)
    viewers = [threading.Thread(target=board.latest, args=(DEADLINE_SECONDS,)) for _ in range(8)]
    for viewer in viewers:
        viewer.start()
    for viewer in viewers:
        viewer.join()
    assert board.computations == 1

    queue_a_call(client, auth, "sales")
    catch_up()
    frames = [board.next_after(first, DEADLINE_SECONDS) for _ in range(3)]

    assert all(f is not None and f[0] > first for f in frames)
    assert b'"queue":"sales"' in frames[0][1]  # type: ignore[index]
    # Calls, agents and the report facts moved: one or a few snapshots, never one per viewer.
    assert board.computations <= 1 + len(frames)


def test_an_auditor_runs_the_chain_verification_and_the_run_is_recorded_as_a_read(
    client: falcon.testing.TestClient,
    auth: Callable[..., Headers],
    open_ticket: Any,
    catch_up: Callable[[], int],
) -> None:
    open_ticket()
    open_ticket()

    verified = client.simulate_get("/audit/verify", headers=auth("auditor"))

    assert verified.status_code == 200, verified.text
    body = verified.json
    assert (body["ok"], body["checked"], body["findings"]) == (True, 2, [])
    assert body["head"].startswith("2:")
    assert client.simulate_get("/audit/verify", headers=auth("reporter")).status_code == 403
    bad = client.simulate_get("/audit/verify", params={"digest": "2:zz"}, headers=auth("auditor"))
    assert bad.status_code == 400
    extends = client.simulate_get(
        "/audit/verify", params={"digest": body["head"]}, headers=auth("auditor")
    )
    assert extends.json["extends_digest"] is True
    catch_up()
    reads = client.simulate_get("/audit/reads", headers=auth("admin")).json["items"]
    assert [r["detail"] for r in reads if "verify" in (r["detail"] or "")]
