"""`kefu serve`: gunicorn in this process, the followers of the log as supervised children
(none with `--no-workers`: then they run as services of their own, on any host).

gunicorn's configuration applies the usual ways, lowest first: kefu's defaults (the same as
infra/gunicorn.conf.py), a config file (`--config`, else GUNICORN_CMD_ARGS' `--config`, else
./gunicorn.conf.py when present), GUNICORN_CMD_ARGS, then `kefu serve`'s own flags.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gunicorn.app.base import Application
from gunicorn.config import get_default_config_file

from kefu.auth import new_token
from kefu.bootstrap import build_services
from kefu.cli.errors import AddressInUse, ServeConfigError
from kefu.cli.supervisor import Supervisor
from kefu.metrics import multiprocess_directory, process_exited
from kefu.settings import Settings
from kefu.store.availability import probe
from kefu.store.chain_keys import DEVELOPMENT_KEYS_FILE
from kefu.store.database import Backend, backend_of
from kefu.store.master_key import DEVELOPMENT_KEY_FILE

WSGI_APP = "kefu.http.wsgi:make_app()"
READ_WAIT_MARGIN_SECONDS = 5


def worker_exited(server: Any, worker: Any) -> None:
    """gunicorn's `child_exit` hook: a dead worker's live gauges stop counting in /metrics."""
    process_exited(worker.pid)


DEFAULTS: dict[str, Any] = {
    "bind": ["127.0.0.1:8000"],
    "workers": 2,
    "worker_class": "kefu.http.worker.ProblemThreadWorker",
    "threads": 8,
    "keepalive": 5,
    "timeout": 30,
    "graceful_timeout": 15,
    "accesslog": "-",
    # gunicorn 24+ opens a control socket in the home directory, one path for every instance.
    "control_socket_disable": True,
    "child_exit": worker_exited,
}


def follower_commands(settings: Settings) -> list[list[str]]:
    """The children `kefu serve` keeps running: each follows the log in a process of its own."""
    return [_follower("projections"), *_outbox_follower(settings)]


def _follower(group: str) -> list[str]:
    return [sys.executable, "-m", "kefu.cli", group, "run"]


@dataclass(frozen=True)
class ServeOptions:
    """`kefu serve`'s flags; None where not given (the configuration below applies)."""

    bind: list[str] | None = None
    workers: int | None = None
    threads: int | None = None
    config: str | None = None
    no_workers: bool = False  # the API only: the followers run elsewhere (`kefu projections run`)

    def overrides(self) -> dict[str, Any]:
        given = {"bind": self.bind, "workers": self.workers, "threads": self.threads}
        return {key: value for key, value in given.items() if value is not None}


class _Gunicorn(Application):  # type: ignore[misc]  # gunicorn is untyped
    """gunicorn configured kefu's way; the app is loaded by each worker."""

    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        super().__init__(prog="kefu serve")

    def load_config(self) -> None:
        for key, value in DEFAULTS.items():
            if key in self.cfg.settings:  # older gunicorns lack some settings
                self.cfg.set(key, value)
        from_env = self.cfg.parser().parse_args(self.cfg.get_cmd_args_from_env())
        config = self.options.config or from_env.config or get_default_config_file()
        if config:
            self.load_config_from_file(config)
        for key, value in vars(from_env).items():
            if value is not None and key != "args":
                self.cfg.set(key.lower(), value)
        for key, value in self.options.overrides().items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from gunicorn.util import import_app

        return import_app(WSGI_APP)


DEV_TOKEN_FILE = "kefu-dev-token"


def ensure_dev_token(settings: Settings) -> str | None:
    """On the embedded default with no tokens, an admin token so a new user can try the API:
    kept in the data folder (beside the SQLite file, readable by its owner only), so a
    restart keeps it. Delete the file for a new one."""
    if settings.api_tokens or settings.api_tokens_file:
        return None
    if backend_of(settings.database_url) is not Backend.SQLITE:
        return None
    token = _stored_dev_token(dev_token_path(settings))
    os.environ["KEFU_API_TOKENS"] = f"{token}:developer:admin"
    return token


def dev_token_path(settings: Settings) -> Path:
    return settings.data_folder() / DEV_TOKEN_FILE


def _stored_dev_token(path: Path) -> str:
    """The token kept in `path`; a new one, written with mode 0600, when there is none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.chmod(0o600)
        kept = path.read_text(encoding="utf-8").strip()
        if kept:
            return kept
    token = new_token()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(token + "\n")
    return token


def chain_key_warning(settings: Settings) -> str | None:
    """No chain key configured: the development key in use, said at start-up (loudly with
    PostgreSQL, which is production)."""
    if settings.chain_key or settings.chain_keys_file:
        return None
    where = settings.data_folder() / DEVELOPMENT_KEYS_FILE
    if backend_of(settings.database_url) is Backend.POSTGRES:
        return (
            "kefu: WARNING PostgreSQL without KEFU_CHAIN_KEY or KEFU_CHAIN_KEYS_FILE: the log "
            f"chain is keyed with a development key in {where} on this host only; configure "
            "the key on every host (docs/operations.md)"
        )
    return (
        f"kefu: WARNING no chain key configured: the log chain is keyed with a development "
        f"key in {where} (keep a copy: the log cannot be verified without it)"
    )


def master_key_warning(settings: Settings) -> str | None:
    """No master key configured: personal data sealed with a development key, said at start-up
    (once the settings and the address are known good, like the chain key's)."""
    if settings.master_key or settings.master_key_file:
        return None
    if backend_of(settings.database_url) is Backend.POSTGRES:
        return (
            "kefu: WARNING PostgreSQL without KEFU_MASTER_KEY or KEFU_MASTER_KEY_FILE: personal "
            "data is sealed with a development key derived from the database's address, which "
            "anyone who knows the address can derive (docs/operations.md)"
        )
    where = settings.data_folder() / DEVELOPMENT_KEY_FILE
    return (
        f"kefu: WARNING no master key configured: personal data is sealed with a development "
        f"key in {where} (in production keep the key apart from the database)"
    )


def check_timeout(timeout: int, read_wait_seconds: float) -> None:
    """A `?after=` read must end before gunicorn's worker timeout could cut it off."""
    if timeout and timeout < read_wait_seconds + READ_WAIT_MARGIN_SECONDS:
        raise ServeConfigError(
            f"KEFU_READ_WAIT_SECONDS ({read_wait_seconds:g}) must stay at least "
            f"{READ_WAIT_MARGIN_SECONDS} s below gunicorn's timeout ({timeout} s)"
        )


def check_addresses(addresses: Sequence[Any]) -> None:
    """Fails before anything is printed when a TCP address is taken (gunicorn would only
    retry, then exit, after the token was shown)."""
    for address in addresses:
        if not isinstance(address, tuple):
            continue  # a Unix socket path: gunicorn replaces a stale one itself
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe_socket:
            probe_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe_socket.bind(address[:2])
            except OSError as e:
                raise AddressInUse(
                    f"cannot listen on {address[0]}:{address[1]}: {e.strerror}"
                ) from None


def serve(options: ServeOptions) -> int:
    settings = Settings.from_env()
    probe(settings.database_url)
    if settings.read_database_url:
        probe(settings.read_database_url)  # the standby the queries read: one clear line if down
    # Create the store and views once, here, before the workers and the runner start: with
    # several processes creating SQLite tables at once, one can fail to boot ("locked").
    services = build_services(settings)
    services.access_log.create_tables()
    services.close()
    server = _Gunicorn(options)
    check_timeout(server.cfg.timeout, settings.read_wait_seconds)
    check_addresses(server.cfg.address)
    token = ensure_dev_token(settings)
    for warning in (chain_key_warning(settings), master_key_warning(settings)):
        if warning:
            print(warning, file=sys.stderr, flush=True)
    if token:
        where = server.cfg.bind[0]
        print(f"kefu: development token (role admin): {token}", flush=True)
        print(
            f'kefu: try  curl -H "Authorization: Bearer {token}" http://{where}/ready', flush=True
        )
    empty_metrics_directory()
    followers = Supervisor([] if options.no_workers else follower_commands(settings))
    followers.start()
    try:
        server.run()
    finally:
        followers.stop()
    return 0


def empty_metrics_directory() -> None:
    """Removes the metric files of an earlier run (prometheus_client's multiprocess mode
    wants the directory empty when the server starts; its files are `*.db`)."""
    directory = multiprocess_directory()
    if directory is not None:
        for stale in Path(directory).glob("*.db"):
            stale.unlink(missing_ok=True)


def _outbox_follower(settings: Settings) -> list[list[str]]:
    """The webhook sender, when webhooks can be signed (KEFU_WEBHOOK_KEY, or a development
    key made here for the embedded default)."""
    if not settings.webhook_key:
        if backend_of(settings.database_url) is not Backend.SQLITE:
            print("kefu: KEFU_WEBHOOK_KEY is not set: webhooks will not be sent", flush=True)
            return []
        os.environ["KEFU_WEBHOOK_KEY"] = new_token()
        print("kefu: development webhook key for this run (set KEFU_WEBHOOK_KEY)", flush=True)
    return [_follower("outbox")]
