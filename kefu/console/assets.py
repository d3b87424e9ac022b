"""The console's files: its own pages and modules (static/), and the charting library installed
from the npm registry (`npm ci --prefix kefu/console`, pinned in package-lock.json; never
committed).

Every module is served under a path naming the version of the whole set (a digest of the
files), so a browser may keep each one for a year and still never mixes two releases: the page
(`/console`) is revalidated on every visit and names the current version. The charting library
is served under its own version. Without it the console still works and says charts are
unavailable.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
STATIC = HERE / "static"
CHARTS_PACKAGE = HERE / "node_modules" / "echarts"
CHARTS_FILE = Path("dist") / "echarts.esm.min.mjs"
PAGE = "index.html"
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".html": "text/html; charset=utf-8",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str  # unquoted; falcon quotes it


def _asset(body: bytes, suffix: str) -> Asset:
    return Asset(body, CONTENT_TYPES[suffix], hashlib.sha256(body).hexdigest()[:20])


class ConsoleAssets:
    """Every file of the console, read once (they are small) and named by version."""

    def __init__(self, static: Path = STATIC, charts_package: Path = CHARTS_PACKAGE) -> None:
        files = {
            p.name: p.read_bytes()
            for p in sorted(static.iterdir())
            if p.is_file() and p.suffix in CONTENT_TYPES and p.name != PAGE
        }
        digest = hashlib.sha256()
        for name, body in files.items():
            digest.update(f"{name}\0{len(body)}\0".encode() + body)
        self.version = digest.hexdigest()[:16]
        self.files = {name: _asset(body, Path(name).suffix) for name, body in files.items()}
        self.charts_name, self.charts = _charts(charts_package)
        page = (static / PAGE).read_text(encoding="utf-8")
        page = page.replace("%ASSETS%", f"/console/assets/{self.version}")
        page = page.replace(
            "%CHARTS%", f"/console/vendor/{self.charts_name}" if self.charts else ""
        )
        self.page = _asset(page.encode(), ".html")


def _charts(package: Path) -> tuple[str, Asset | None]:
    """ECharts' ES module and the name it is served under (`echarts-6.1.0.esm.min.js`), or no
    asset when it was not installed."""
    try:
        version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
        body = (package / CHARTS_FILE).read_bytes()
    except (OSError, ValueError, KeyError):
        return "", None
    return f"echarts-{version}.esm.min.js", _asset(body, ".js")
