"""The WSGI entry point's deferred application."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from typing import Any

from kefu.http.wsgi import DeferredApp


def _hello(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def test_what_the_worker_built_is_kept_out_of_full_collections() -> None:
    gc.unfreeze()
    try:
        app = DeferredApp(lambda: _hello)
        assert gc.get_freeze_count() > 0
        answered: list[str] = []
        body = app({}, lambda status, headers: answered.append(status))
        assert (answered, list(body)) == (["200 OK"], [b"hello"])
    finally:
        gc.unfreeze()
