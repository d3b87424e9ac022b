"""Managed tokens' cost per request, beside the static tokens' (the same run, same store).

    python -m bench.tokens [--database-url URL] [--repeats R]

Measures (medians of R calls, microseconds) the authentication alone (`Authenticator.caller`)
and a whole request through the app (`GET /tickets?limit=1`, falcon's test client, no
network) with a static token and with a managed one. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

import falcon.testing

from kefu.auth import Role
from kefu.bootstrap import build_services
from kefu.commands.context import Context
from kefu.commands.tokens import IssueToken
from kefu.http.app import create_app
from kefu.settings import Settings

STATIC = "bench-static-token"


def median_us(action: Callable[[], object], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1_000_000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeats", type=int, default=2000)
    args = parser.parse_args()
    logging.disable(logging.INFO)  # one JSON line per request would be the bench's output
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'kefu.sqlite3'}"
        settings = Settings(database_url=url, api_tokens=f"{STATIC}:bench:admin")
        services = build_services(settings)
        try:
            ctx = Context(
                actor_id="bench", actor_role="admin", command_id=uuid4(), correlation_id=uuid4()
            )
            issued = IssueToken(actor_id="bench-app", role=Role.SERVICE, label="bench")
            managed = services.managed_tokens.issue(issued, ctx).token
            assert managed is not None
            client = falcon.testing.TestClient(create_app(services))

            def request(token: str) -> Callable[[], object]:
                headers = {"Authorization": f"Bearer {token}"}
                return lambda: client.simulate_get("/tickets?limit=1", headers=headers)

            authenticate = services.tokens.caller
            rows = {
                "authentication": (
                    median_us(lambda: authenticate(STATIC), args.repeats),
                    median_us(lambda: authenticate(managed), args.repeats),
                ),
                "GET /tickets?limit=1": (
                    median_us(request(STATIC), args.repeats),
                    median_us(request(managed), args.repeats),
                ),
            }
        finally:
            services.close()
    print(f"{url.split(':')[0]}, median of {args.repeats} calls")
    print(f"{'':<22} {'static µs':>10} {'managed µs':>11} {'ratio':>6}")
    for name, (static, managed_us) in rows.items():
        print(f"{name:<22} {static:>10.1f} {managed_us:>11.1f} {managed_us / static:>6.2f}")


if __name__ == "__main__":
    main()
