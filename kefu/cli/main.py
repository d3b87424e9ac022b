"""The `kefu` command."""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from kefu.cli.keys import add_keys_parser, run_keys
from kefu.settings import ENVIRONMENT_HELP, Settings

EXIT_CONFIGURATION = 2  # like a usage error: the command cannot run as configured
EXIT_UNAVAILABLE = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kefu",
        description="kefu: event-sourced backend for customer-service desks (客服).",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kefu {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _serve_parser(commands)
    add_keys_parser(commands)
    projections = commands.add_parser("projections", help="the read models")
    what = projections.add_subparsers(dest="action", required=True, metavar="ACTION")
    what.add_parser("run", help="follow the event log and keep every read model current")
    what.add_parser("status", help="position, lag and parked state of each projection")
    retry = what.add_parser("retry", help="let a parked projection try its failing event again")
    retry.add_argument("name", help="the parked projection (as `status` lists it)")
    rebuild = what.add_parser(
        "rebuild", help="replay into fresh tables from position 0, swapped in when caught up"
    )
    which = rebuild.add_mutually_exclusive_group(required=True)
    which.add_argument("name", nargs="?", help="the projection (as `status` lists them)")
    which.add_argument("--all", action="store_true", help="every projection, one by one")
    audit = commands.add_parser("audit", help="tamper evidence of the event log")
    audit_what = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    audit_what.add_parser("digest", help="print the log head (position:hash) to write down")
    check = audit_what.add_parser(
        "verify", help="re-compute the hash chains; exit status 1 if anything was altered"
    )
    audit_what.add_parser(
        "replay", help="rebuild every read model from the events and compare with the live ones"
    )
    check.add_argument("--digest", help="a digest printed earlier; checks the log extends it")
    audit_what.add_parser(
        "migrate-chain",
        help="key the chain of a store written before chain keys, from its head on "
        "(the links before stay plain SHA-256 and verify as such)",
    )
    audit_what.add_parser(
        "rotate-key",
        help="link the events after the head with the active key (KEFU_CHAIN_KEY or the last "
        "line of KEFU_CHAIN_KEYS_FILE); keep the old keys to verify the old segments",
    )
    new_key = audit_what.add_parser(
        "new-key", help="print a fresh random chain key as a keyring line (id:hexsecret)"
    )
    new_key.add_argument("key_id", help="its id, e.g. 2027-01 (letters, digits, ._-)")
    _archive_parser(commands)
    database = commands.add_parser("db", help="the database schema")
    database.add_subparsers(dest="action", required=True, metavar="ACTION").add_parser(
        "migrate",
        help="create or upgrade kefu's tables (as the schema's owner); the API and the "
        "workers then start without any DDL",
    )
    automation = commands.add_parser(
        "automation", help="SLA timers and escalation: status, pause, resume"
    )
    steer = automation.add_subparsers(dest="action", required=True, metavar="ACTION")
    steer.add_parser("status", help="position, pending timers, next due time, paused or not")
    steer.add_parser("pause", help="stop acting (the log and timers keep being followed)")
    steer.add_parser("resume", help="act again; what fell due meanwhile is acted on once")
    dry = steer.add_parser("dry-run", help="which rules would fire for a ticket or complaint")
    dry.add_argument("record_id", help="a ticket or complaint id")
    dry.add_argument("--on", help="the event kind (default: ticket_opened or complaint_attributed)")
    _outbox_parser(commands)
    _intake_parser(commands)
    _import_parser(commands)
    _convert_parser(commands)
    docs = commands.add_parser("docs", help="print reference tables")
    docs.add_argument("topic", choices=["transitions"], help="transitions: every lifecycle table")
    token = commands.add_parser("hash-token", help="print a token's line for KEFU_API_TOKENS_FILE")
    token.add_argument("token")
    token.add_argument("actor")
    token.add_argument("role", choices=["service", "auditor", "reporter", "admin"])
    token.add_argument("--departments", help="scope: departments joined by + (finance+billing)")
    token.add_argument("--queues", help="scope: call queues joined by + (needs --departments)")
    return parser


def _version() -> str:
    try:
        return version("kefu")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _serve_parser(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the HTTP API (gunicorn) and the followers of the log; Ctrl-C stops all",
        description="gunicorn's own configuration applies as usual (lowest first): kefu's "
        "defaults, the --config file (default ./gunicorn.conf.py when present), "
        "GUNICORN_CMD_ARGS, then the flags below.",
    )
    serve.add_argument("--bind", "-b", action="append", help="HOST:PORT (default 127.0.0.1:8000)")
    serve.add_argument("--workers", "-w", type=int, help="gunicorn worker processes (default 2)")
    serve.add_argument("--threads", type=int, help="threads per worker (default 8)")
    serve.add_argument("--config", "-c", help="a gunicorn configuration file (gunicorn.conf.py)")
    serve.add_argument(
        "--no-workers",
        action="store_true",
        help="the API only: start no projection runner or outbox sender (run "
        "`kefu projections run` and `kefu outbox run` elsewhere)",
    )


def _archive_parser(commands: Any) -> None:
    archive = commands.add_parser("archive", help="归档: self-contained, verifiable exports")
    what = archive.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = what.add_parser("export", help="write whole streams and their chain to one file")
    export.add_argument("--out", required=True, type=Path, help="the archive file to write")
    export.add_argument("--stream", action="append", default=[], help="a stream id (repeat)")
    export.add_argument("--customer", help="every record of one customer")
    export.add_argument("--from", dest="since", help="streams active from (RFC 3339)")
    export.add_argument("--to", dest="until", help="streams active until (RFC 3339)")
    export.add_argument("--archived", action="store_true", help="every archived record")
    check = what.add_parser("verify", help="check an archive offline, without the database")
    check.add_argument("file", type=Path)
    show = what.add_parser("show", help="rebuild a record from an archive alone")
    show.add_argument("file", type=Path)
    show.add_argument("--stream", required=True)
    show.add_argument("--at", help="the moment (RFC 3339); default: its last version")


def _outbox_parser(commands: Any) -> None:
    outbox = commands.add_parser("outbox", help="webhooks: follow the log and deliver")
    what = outbox.add_subparsers(dest="action", required=True, metavar="ACTION")
    what.add_parser("run", help="queue matching events and send them (kefu serve starts it)")
    what.add_parser("status", help="follower position and each subscription's deliveries")
    again = what.add_parser("redeliver", help="send a subscription's deliveries again")
    again.add_argument("subscription", help="the subscription (webhook) id")
    again.add_argument(
        "--event", action="append", default=[], help="an event id (repeat); none: every dead one"
    )


def _intake_parser(commands: Any) -> None:
    intake = commands.add_parser("intake", help="take customers' mail in")
    what = intake.add_subparsers(dest="action", required=True, metavar="ACTION")
    smtp = what.add_parser("smtp", help="an SMTP (or LMTP) listener a mail server relays to")
    smtp.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    smtp.add_argument("--port", type=int, default=2525, help="the port (default 2525)")
    smtp.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")


def _import_parser(commands: Any) -> None:
    load = commands.add_parser(
        "import", help="bring another system's history in, at its own times (docs/import.md)"
    )
    load.add_argument("file", type=Path, help="JSON lines: one record's history a line")
    load.add_argument(
        "--source", required=True, help="the system it comes from (zammad, znuny...); ids follow"
    )
    load.add_argument("--actor", required=True, help="who runs the import (kept on every event)")
    load.add_argument(
        "--rejected", type=Path, help="write rejected lines there as JSON lines (default: stderr)"
    )


def _convert_parser(commands: Any) -> None:
    convert = commands.add_parser("convert", help="another system's export as `kefu import` lines")
    systems = convert.add_subparsers(dest="system", required=True, metavar="SYSTEM")
    zammad = systems.add_parser("zammad", help="Zammad tickets (expanded JSON lines) to stdout")
    zammad.add_argument("file", type=Path, help="one expanded ticket a line (docs/import.md)")
    zammad.add_argument(
        "--department",
        action="append",
        default=[],
        metavar="GROUP=DEPARTMENT",
        help="the kefu department of a Zammad group (repeat)",
    )
    zammad.add_argument(
        "--default-department", default="customer_service", help="for the other groups"
    )


def _convert(args: argparse.Namespace) -> int:
    import msgspec

    from kefu.cli.zammad import convert

    if not args.file.is_file():
        return _fail(f"no file {args.file}", EXIT_CONFIGURATION)
    if any("=" not in pair for pair in args.department):
        return _fail("--department is GROUP=DEPARTMENT", EXIT_CONFIGURATION)
    departments = dict(pair.split("=", 1) for pair in args.department)
    with args.file.open("rb") as lines:
        tickets = (msgspec.json.decode(line) for line in lines if line.strip())
        try:
            for record in convert(tickets, departments, args.default_department):
                sys.stdout.write(msgspec.json.encode(record).decode() + "\n")
        except (msgspec.DecodeError, KeyError) as error:
            return _fail(f"{args.file}: not an expanded Zammad ticket a line: {error}", 1)
    return 0


def _import(args: argparse.Namespace) -> int:
    from kefu.bootstrap import build_services
    from kefu.cli.importing import run_import
    from kefu.cli.progress import TerminalProgress

    if not args.file.is_file():
        return _fail(f"no file {args.file}", EXIT_CONFIGURATION)
    if not args.source.strip() or ":" in args.source:
        return _fail("--source is a name without ':' (zammad, znuny...)", EXIT_CONFIGURATION)
    services = build_services(Settings.from_env())
    try:
        return run_import(
            services,
            args.file,
            source_system=args.source,
            actor_id=args.actor,
            rejected=args.rejected,
            progress=TerminalProgress(),
        )
    finally:
        services.close()


def _intake(args: argparse.Namespace) -> int:
    from kefu.bootstrap import build_services
    from kefu.cli import intake

    settings = Settings.from_env()
    services = build_services(settings)
    try:
        return intake.run(services.intake, args.host, args.port, args.lmtp, settings.intake_address)
    finally:
        services.close()


def _outbox(args: argparse.Namespace) -> int:
    from kefu.bootstrap import build_outbox, build_services
    from kefu.cli import outbox

    if args.action == "run":
        parts = build_outbox(Settings.from_env())
        try:
            return outbox.run(parts)
        finally:
            parts.close()
    services = build_services(Settings.from_env())
    try:
        if args.action == "status":
            return outbox.print_status(services)
        return outbox.redeliver(services, args.subscription, args.event)
    finally:
        services.close()


def _archive(args: argparse.Namespace) -> int:
    from kefu.cli import audit

    if args.action == "verify":
        return audit.run_archive_verify(args.file)
    if args.action == "show":
        return audit.run_archive_show(args.file, args.stream, args.at)
    from kefu.bootstrap import build_services

    services = build_services(Settings.from_env())
    try:
        return audit.run_export(
            services, args.out, args.stream, args.customer, args.since, args.until, args.archived
        )
    finally:
        services.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one command; a bad setting or an unreachable database is one line on stderr."""
    args = _parser().parse_args(argv)
    from kefu.cli.errors import CONFIGURATION_ERRORS, UNAVAILABLE_ERRORS
    from kefu.store.availability import is_database_unavailable

    try:
        return _run(args)
    except CONFIGURATION_ERRORS as error:
        return _fail(error, EXIT_CONFIGURATION)
    except UNAVAILABLE_ERRORS as error:
        return _fail(error, EXIT_UNAVAILABLE)
    except Exception as error:
        if not is_database_unavailable(error):
            raise
        return _fail(f"the database is unavailable: {error}", EXIT_UNAVAILABLE)


def _fail(error: Exception | str, status: int) -> int:
    print(f"kefu: {error}", file=sys.stderr)
    return status


def _run(args: argparse.Namespace) -> int:
    if args.command == "serve":
        from kefu.cli.serve import ServeOptions, serve

        return serve(
            ServeOptions(args.bind, args.workers, args.threads, args.config, args.no_workers)
        )
    if args.command == "projections":
        return _projections(args.action, getattr(args, "name", None))
    if args.command == "archive":
        return _archive(args)
    if args.command == "db":
        return _migrate()
    if args.command == "automation":
        return _automation(args.action, getattr(args, "record_id", None), getattr(args, "on", None))
    if args.command == "outbox":
        return _outbox(args)
    if args.command == "intake":
        return _intake(args)
    if args.command == "import":
        return _import(args)
    if args.command == "convert":
        return _convert(args)
    if args.command == "audit":
        return _audit(args.action, getattr(args, "digest", None), getattr(args, "key_id", None))
    if args.command == "keys":
        return run_keys(args)
    if args.command == "docs":
        from kefu.domain import (
            agent_presence,
            article_lifecycle,
            call_lifecycle,
            complaint_lifecycle,
            inspection_lifecycle,
            phrase_lifecycle,
            scorecard,
        )
        from kefu.domain import ticket_lifecycle as tickets

        for title, module in (
            ("Tickets (工单)", tickets),
            ("Complaints (投诉)", complaint_lifecycle),
            ("Calls (通话)", call_lifecycle),
            ("Agent presence (坐席)", agent_presence),
            ("Knowledge-base articles (知识库)", article_lifecycle),
            ("Phrases: canned, scripts, forbidden (常用语, 话术, 禁忌用语)", phrase_lifecycle),
            ("Scorecards (质检评分表)", scorecard),
            ("Quality inspections (坐席质检)", inspection_lifecycle),
        ):
            print(f"## {title}\n\n{module.transition_table_markdown()}\n")
        return 0
    from kefu.auth import hash_token

    line = [hash_token(args.token), args.actor, args.role]
    if args.departments is not None or args.queues is not None:
        line.append(args.departments or "")  # a scoped line: secret:actor:role:departments
        if args.queues is not None:
            line.append(args.queues)
    print(":".join(line))
    return 0


def _migrate() -> int:
    from kefu.bootstrap import build_services
    from kefu.store.availability import probe
    from kefu.store.schema import migrating

    settings = Settings.from_env()
    probe(settings.database_url)
    with migrating():  # every store and view runs its statements, creating what is missing
        services = build_services(settings)
        services.access_log.create_tables()
        services.close()
    print("kefu: the schema is current", flush=True)
    return 0


def _automation(action: str, record_id: str | None, kind: str | None) -> int:
    from kefu.bootstrap import build_services
    from kefu.cli import automation

    services = build_services(Settings.from_env())
    try:
        if action == "status":
            return automation.print_status(services)
        if action == "dry-run":
            return automation.dry_run(services, record_id or "", kind)
        return automation.set_paused(services, action == "pause")
    finally:
        services.close()


def _audit(action: str, digest: str | None, key_id: str | None) -> int:
    from kefu.application import ServiceDesk
    from kefu.cli.audit import print_digest, print_new_key, run_key_change, run_verify

    if action == "new-key":
        return print_new_key(key_id or "")

    if action == "replay":
        from kefu.bootstrap import build_services
        from kefu.cli.audit import run_replay

        services = build_services(Settings.from_env())
        try:
            return run_replay(services)
        finally:
            services.close()
    settings = Settings.from_env()
    app = ServiceDesk(settings.database_url, settings.chain_keyring(), settings.personal_data_key())
    try:
        if action in ("migrate-chain", "rotate-key"):
            return run_key_change(app, rotating=action == "rotate-key")
        return print_digest(app) if action == "digest" else run_verify(app, digest)
    finally:
        app.close()


def _projections(action: str, name: str | None) -> int:
    from kefu.bootstrap import build_services
    from kefu.cli.projections import print_status, run_rebuild, run_retry
    from kefu.store.availability import probe

    settings = Settings.from_env()
    probe(settings.database_url)  # a server that is down: one clear line, at once
    services = build_services(settings)
    try:
        if action == "status":
            return print_status(services.app, services.read_models, services.clock())
        if action == "rebuild":
            return run_rebuild(services.app, services.read_models, name)
        if action == "retry":
            return run_retry(services.read_models, str(name))
        stop = _stop_on_signals()
        runner = services.projection_runner()
        gc.freeze()  # built to last: out of full collections' way, as in the HTTP workers
        runner.run_forever(stop)
        return 0
    finally:
        services.close()


def _stop_on_signals() -> threading.Event:
    """Set by SIGINT/SIGTERM, and when the supervising process (`kefu serve`) is gone."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    parent = os.environ.get("KEFU_SUPERVISOR_PID")
    if parent:
        _watch(lambda: os.getppid() != int(parent), stop)
    return stop


def _watch(orphaned: Callable[[], bool], stop: threading.Event) -> None:
    def watch() -> None:
        while not stop.wait(1.0):
            if orphaned():
                stop.set()

    threading.Thread(target=watch, name="kefu-orphan-watch", daemon=True).start()
