"""HTTP benchmark: kefu beside a hello-world falcon app under identical gunicorn settings.

    python -m bench.http [--database-url URL] [--seconds S] [--connections C]
                         [--workers W] [--threads T]

Both apps run under gunicorn with the gthread worker class (W workers x T threads, keep-alive
5 s, no access log); kefu also runs its projection runner, as `kefu serve` does. Keep-alive
clients (C connections, in two client processes) measure, per app, the maximum req/s of
`POST /tickets`, `GET /tickets/{id}` and `GET /tickets?status=open&limit=20`, and print the
ratios kefu/hello-world. Then `POST /tickets` is sent open-loop at half of kefu's measured
maximum and its p50/p99 latency printed (measured from each request's scheduled start, so a
stall is not hidden). Figures are printed, never asserted. Default store: SQLite in a
temporary folder; give a PostgreSQL URL (fsync on) for production-like figures.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

TOKEN = "bench-token"
OPEN_BODY = json.dumps({"channel": "phone", "category": "billing", "subject": "double charge"})
LIST_PATH = "/tickets?status=open&limit=20"
CREATE_STORE = (
    "from kefu.bootstrap import build_services; from kefu.settings import Settings; "
    "build_services(Settings.from_env()).close()"
)


@dataclass(frozen=True)
class Target:
    """One running app: where it listens."""

    name: str
    port: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def gunicorn_command(app: str, port: int, args: argparse.Namespace) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}",
        "--worker-class", "gthread", "--workers", str(args.workers),
        "--threads", str(args.threads), "--keep-alive", "5", "--log-level", "warning",
    ]  # fmt: skip


@contextmanager
def running(command: list[str], env: dict[str, str], port: int) -> Iterator[None]:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        _wait_for(port, process)
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with status {process.returncode}")
        try:
            status, _ = request(http.client.HTTPConnection("127.0.0.1", port), "GET", LIST_PATH)
            if status < 500:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not answer within 60 s")


def request(
    conn: http.client.HTTPConnection, method: str, path: str, body: str | None = None
) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    if body is not None:
        headers["Idempotency-Key"] = uuid.uuid4().hex
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


# --- load generation, in client processes ---------------------------------------------------


def _closed_loop(
    port: int, method: str, paths: list[str], seconds: float, threads: int
) -> list[float]:
    """`threads` keep-alive clients sending back to back; returns every latency."""
    import threading

    latencies: list[float] = []
    stop = time.monotonic() + seconds

    def client(offset: int) -> None:
        conn, n = http.client.HTTPConnection("127.0.0.1", port), offset
        while time.monotonic() < stop:
            began = time.perf_counter()
            status, _ = request(conn, method, paths[n % len(paths)], _body(method))
            if status >= 400:
                raise SystemExit(f"{method} {paths[0]} answered {status}")
            latencies.append(time.perf_counter() - began)
            n += 1

    pool = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return latencies


def _open_loop(port: int, rate: float, seconds: float, threads: int) -> list[float]:
    """POST /tickets at `rate`/s (this process's share), each latency from its due time."""
    import threading

    latencies: list[float] = []
    start = time.perf_counter() + 0.2
    total = int(rate * seconds)

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for k in range(offset, total, threads):
            due = start + k / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            request(conn, "POST", "/tickets", OPEN_BODY)
            latencies.append(time.perf_counter() - due)

    pool = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return latencies


def _body(method: str) -> str | None:
    return OPEN_BODY if method == "POST" else None


def in_processes(function: object, *args: object, processes: int = 2) -> list[float]:
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        parts = pool.starmap(function, [args] * processes)  # type: ignore[arg-type]
    return [x for part in parts for x in part]


# --- measurement ---------------------------------------------------------------------------


def throughput(target: Target, method: str, paths: list[str], args: argparse.Namespace) -> float:
    latencies = in_processes(
        _closed_loop, target.port, method, paths, args.seconds, args.connections // 2
    )
    return len(latencies) / args.seconds


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ticket_ids(port: int, count: int) -> list[str]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    return [json.loads(request(conn, "POST", "/tickets", OPEN_BODY)[1])["id"] for _ in range(count)]


def measure(target: Target, args: argparse.Namespace, bar: tqdm) -> dict[str, float]:
    ids = [f"/tickets/{i}" for i in ticket_ids(target.port, 50)]
    figures = {}
    for label, method, paths in (
        ("POST /tickets", "POST", ["/tickets"]),
        ("GET /tickets/{id}", "GET", ids),
        ("GET /tickets?…", "GET", [LIST_PATH]),
    ):
        bar.set_description(f"{target.name}: {label}")
        figures[label] = throughput(target, method, paths, args)
        bar.update()
    return figures


def half_load_latency(
    target: Target, max_rate: float, args: argparse.Namespace
) -> tuple[float, float, float]:
    rate = max_rate / 2
    latencies = in_processes(_open_loop, target.port, rate / 2, args.seconds, args.connections // 2)
    return rate, percentile(latencies, 0.5), percentile(latencies, 0.99)


def kefu_env(database_url: str) -> dict[str, str]:
    return {**os.environ, "KEFU_DATABASE_URL": database_url,
            "KEFU_API_TOKENS": f"{TOKEN}:bench:admin"}  # fmt: skip


@contextmanager
def kefu_running(database_url: str, port: int, args: argparse.Namespace) -> Iterator[None]:
    env = kefu_env(database_url)
    # The store and views are created once, before the workers start (as `kefu serve` does).
    subprocess.run([sys.executable, "-c", CREATE_STORE], env=env, check=True)
    runner = subprocess.Popen([sys.executable, "-m", "kefu.cli", "projections", "run"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        with running(gunicorn_command("kefu.http.wsgi:make_app()", port, args), env, port):
            yield
    finally:
        runner.terminate()
        runner.wait(timeout=30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.http", description=__doc__)
    parser.add_argument("--database-url", help="kefu's store (default: SQLite in a temp folder)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory() as folder,
        tqdm(total=7, disable=not sys.stderr.isatty(), file=sys.stderr) as bar,
    ):
        url = args.database_url or f"sqlite:///{Path(folder) / 'kefu.sqlite3'}"
        hello = Target("hello-world", free_port())
        with running(
            gunicorn_command("bench.hello:make_app()", hello.port, args),
            dict(os.environ),
            hello.port,
        ):
            base = measure(hello, args, bar)
        kefu = Target("kefu", free_port())
        with kefu_running(url, kefu.port, args):
            figures = measure(kefu, args, bar)
            bar.set_description("kefu: POST /tickets at half load")
            rate, p50, p99 = half_load_latency(kefu, figures["POST /tickets"], args)
            bar.update()
    report(args, url, base, figures, (rate, p50, p99))


def report(args: argparse.Namespace, url: str, base: dict[str, float], kefu: dict[str, float],
           half: tuple[float, float, float]) -> None:  # fmt: skip
    backend = url.split(":", 1)[0]
    print(f"\ngunicorn gthread, {args.workers} workers x {args.threads} threads, keep-alive 5 s; "
          f"{args.connections} keep-alive connections; kefu on {backend}")  # fmt: skip
    print(f"  {'endpoint':<20} {'hello-world req/s':>18} {'kefu req/s':>11} {'ratio':>7}")
    for label, rate in kefu.items():
        print(f"  {label:<20} {base[label]:>18,.0f} {rate:>11,.0f} {rate / base[label]:>7.3f}")
    rate, p50, p99 = half
    print(f"  POST /tickets at {rate:,.0f} req/s (half of kefu's maximum): "
          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
