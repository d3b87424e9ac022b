"""`kefu serve`: gunicorn in this process, the projection runner as a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from gunicorn.app.base import BaseApplication

from kefu.auth import new_token
from kefu.bootstrap import build_services
from kefu.settings import Settings
from kefu.store.database import Backend, backend_of

WSGI_APP = "kefu.http.wsgi:make_app()"


class _Gunicorn(BaseApplication):  # type: ignore[misc]  # gunicorn is untyped
    """gunicorn configured from our flags; the app is loaded by each worker."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from gunicorn.util import import_app

        return import_app(WSGI_APP)


def ensure_dev_token(settings: Settings) -> str | None:
    """On the embedded default with no tokens, make one so a new user can try the API."""
    if settings.api_tokens or settings.api_tokens_file:
        return None
    if backend_of(settings.database_url) is not Backend.SQLITE:
        return None
    token = new_token()
    os.environ["KEFU_API_TOKENS"] = f"{token}:developer:admin"
    return token


def serve(bind: str, workers: int) -> int:
    settings = Settings.from_env()
    # Create the store and views once, here, before the workers and the runner start: with
    # several processes creating SQLite tables at once, one can fail to boot ("locked").
    build_services(settings).close()
    token = ensure_dev_token(settings)
    if token:
        print(f"kefu: development token (role admin): {token}", flush=True)
        print(f'kefu: try  curl -H "Authorization: Bearer {token}" http://{bind}/ready', flush=True)
    children = [_child("projections"), *_outbox_child(settings)]
    try:
        _Gunicorn({"bind": bind, "workers": workers, "accesslog": "-"}).run()
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(timeout=15)
    return 0


OUTBOX_NICENESS = 5


def _child(group: str, niceness: int = 0) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "kefu.cli", group, "run"]
    if niceness:
        # The outbox is background delivery; the API and the projections answer callers who
        # wait (read-your-writes), so on a busy machine they get the CPU first.
        return subprocess.Popen(command, preexec_fn=lambda: os.nice(niceness))
    return subprocess.Popen(command)


def _outbox_child(settings: Settings) -> list[subprocess.Popen[bytes]]:
    """The webhook sender, when webhooks can be signed (KEFU_WEBHOOK_KEY, or a development
    key made here for the embedded default)."""
    if not settings.webhook_key:
        if backend_of(settings.database_url) is not Backend.SQLITE:
            print("kefu: KEFU_WEBHOOK_KEY is not set: webhooks will not be sent", flush=True)
            return []
        os.environ["KEFU_WEBHOOK_KEY"] = new_token()
        print("kefu: development webhook key for this run (set KEFU_WEBHOOK_KEY)", flush=True)
    return [_child("outbox", OUTBOX_NICENESS)]
