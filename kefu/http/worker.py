"""kefu's gunicorn worker: gunicorn's threaded worker (`gthread`), whose own error answers
(a malformed request line or header, headers or a URL too long, a bad chunked body) are
RFC 9457 problem+json like every other error, instead of gunicorn's HTML page, and whose
sockets give up on a client that stops sending in the middle of a request.

Threads let one process hold many keep-alive and idle connections (they wait in the worker's
poller, not in a thread) and let concurrent requests share one commit (group commit).
"""

from __future__ import annotations

from typing import Any

import msgspec
from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from kefu.console.streams import WORKER_STOPPING
from kefu.http.problems import PROBLEM_JSON

# A thread reading a request waits at most this long for the client's next bytes: headers
# begun and never finished (or a body that stalls) free their thread instead of holding it.
STALLED_CLIENT_SECONDS = 10.0


def write_problem_error(sock: Any, status: int, reason: str, message: str) -> None:
    """gunicorn's `util.write_error`, answering problem+json (the connection then closes)."""
    slug = reason.lower().replace(" ", "-")
    detail = message or ("the error was logged" if status >= 500 else reason)
    body = msgspec.json.encode(
        {"type": f"/problems/{slug}", "title": reason, "status": status, "detail": detail}
    )
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: {PROBLEM_JSON}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


class ProblemThreadWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn is untyped
    """The gthread worker with problem+json error answers and a read timeout."""

    def init_process(self) -> None:
        # gunicorn's workers call `util.write_error` for the errors they answer themselves;
        # this process is this worker alone, so replacing it here changes nothing else.
        util.write_error = write_problem_error
        super().init_process()

    def handle_exit(self, sig: int, frame: Any) -> None:
        # Open wallboard streams end within a second instead of holding up a graceful stop.
        WORKER_STOPPING.set()
        super().handle_exit(sig, frame)

    def handle(self, conn: Any) -> Any:
        # gthread makes the socket blocking without a timeout, then calls `conn.init()` (a
        # no-op after the first request) right before it reads the request: the timeout is
        # set there, for every request on the connection.
        if not getattr(conn, "kefu_read_timeout", False):
            init = conn.init

            def init_with_read_timeout() -> None:
                init()
                conn.sock.settimeout(STALLED_CLIENT_SECONDS)

            conn.init = init_with_read_timeout
            conn.kefu_read_timeout = True
        return super().handle(conn)
