"""The `kefu` command."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kefu.settings import ENVIRONMENT_HELP, Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kefu",
        description="kefu: event-sourced backend for customer-service desks (客服).",
        epilog=ENVIRONMENT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve", help="run the HTTP API (gunicorn) and the projection runner; Ctrl-C stops both"
    )
    serve.add_argument("--bind", "-b", default="127.0.0.1:8000", help="HOST:PORT (gunicorn's flag)")
    serve.add_argument("--workers", "-w", type=int, default=2, help="gunicorn worker processes")
    projections = commands.add_parser("projections", help="the read models")
    what = projections.add_subparsers(dest="action", required=True, metavar="ACTION")
    what.add_parser("run", help="follow the event log and keep every read model current")
    what.add_parser("status", help="position and lag (events, seconds) of each projection")
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
    _archive_parser(commands)
    _outbox_parser(commands)
    docs = commands.add_parser("docs", help="print reference tables")
    docs.add_argument("topic", choices=["transitions"], help="transitions: every lifecycle table")
    token = commands.add_parser("hash-token", help="print a token's line for KEFU_API_TOKENS_FILE")
    token.add_argument("token")
    token.add_argument("actor")
    token.add_argument("role", choices=["service", "auditor", "reporter", "admin"])
    return parser


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
    args = _parser().parse_args(argv)
    if args.command == "serve":
        from kefu.cli.serve import serve

        return serve(args.bind, args.workers)
    if args.command == "projections":
        return _projections(args.action, getattr(args, "name", None))
    if args.command == "archive":
        return _archive(args)
    if args.command == "outbox":
        return _outbox(args)
    if args.command == "audit":
        return _audit(args.action, getattr(args, "digest", None))
    if args.command == "docs":
        from kefu.domain import agent_presence, call_lifecycle, complaint_lifecycle
        from kefu.domain import ticket_lifecycle as tickets

        for title, module in (
            ("Tickets (工单)", tickets),
            ("Complaints (投诉)", complaint_lifecycle),
            ("Calls (通话)", call_lifecycle),
            ("Agent presence (坐席)", agent_presence),
        ):
            print(f"## {title}\n\n{module.transition_table_markdown()}\n")
        return 0
    from kefu.auth import hash_token

    print(f"{hash_token(args.token)}:{args.actor}:{args.role}")
    return 0


def _audit(action: str, digest: str | None) -> int:
    from kefu.application import ServiceDesk
    from kefu.cli.audit import print_digest, run_verify

    if action == "replay":
        from kefu.bootstrap import build_services
        from kefu.cli.audit import run_replay

        services = build_services(Settings.from_env())
        try:
            return run_replay(services)
        finally:
            services.close()
    app = ServiceDesk(Settings.from_env().database_url)
    try:
        return print_digest(app) if action == "digest" else run_verify(app, digest)
    finally:
        app.close()


def _projections(action: str, name: str | None) -> int:
    from kefu.bootstrap import build_services
    from kefu.cli.projections import print_status, run_rebuild

    services = build_services(Settings.from_env())
    try:
        if action == "status":
            return print_status(services.app, services.read_models, services.clock())
        if action == "rebuild":
            return run_rebuild(services.app, services.read_models, name)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        services.projection_runner().run_forever(stop)
        return 0
    finally:
        services.close()
