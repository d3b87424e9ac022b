"""`kefu audit digest|verify|migrate-chain|rotate-key|new-key`: the log head, a full
re-computation of the chains, and the chain's keys.

Exit statuses of `verify` and `digest`: 0 verified, 1 findings, 2 a malformed digest, 3 a key
the log needs is not in the keyring (its segments could not be checked)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from uuid import UUID

import msgspec

from kefu.application import ServiceDesk
from kefu.audit.access_tables import AccessLogStore
from kefu.audit.archive import export_archive, state_from_archive, verify_archive
from kefu.audit.log_reading import verify_all, verify_log
from kefu.audit.replay import replay
from kefu.audit.selection import active_streams, archived_streams, customer_streams
from kefu.audit.verify import Verification
from kefu.bootstrap import Services
from kefu.cli.progress import TerminalProgress
from kefu.store.chain import format_digest, parse_digest
from kefu.store.chain_keys import ChainKeyError, ChainKeyMissing, new_key_line

KEY_MISSING = 3


def print_digest(app: ServiceDesk) -> int:
    """Prints the log head as `position:hash` (recomputed from the events' bytes)."""
    result = verify_log(app, progress=_progress)
    if result.missing_keys:
        _report_missing_keys(result)
        return KEY_MISSING
    print(format_digest(result.head_position, result.head_hash))
    return 0 if result.ok else 1


def print_new_key(key_id: str) -> int:
    try:
        print(new_key_line(key_id))
    except ChainKeyError as e:
        print(f"kefu audit new-key: {e}", file=sys.stderr)
        return 2
    return 0


def run_key_change(app: ServiceDesk, rotating: bool) -> int:
    """`migrate-chain` / `rotate-key`: a key marker after the head, with the active key."""
    command = "rotate-key" if rotating else "migrate-chain"
    active = app.chain.keyring.active
    if active is None:
        print(f"kefu audit {command}: no chain key configured", file=sys.stderr)
        return 2
    try:
        segment = app.chain.start_segment(active, rotating)
    except (ChainKeyError, ChainKeyMissing) as e:
        print(f"kefu audit {command}: {e}", file=sys.stderr)
        return 1
    print(f"links from position {segment.from_position} on are keyed with key {active!r}")
    return 0


def _report_missing_keys(result: Verification) -> None:
    for key_id, positions in result.missing_keys.items():
        span = f"positions {positions[0]}..{positions[-1]}" if positions else "no event yet"
        print(
            f"key-missing: key {key_id!r} ({span}, {len(positions)} links) is not in the "
            "keyring: add it to KEFU_CHAIN_KEYS_FILE to verify those links",
            file=sys.stderr,
        )


def run_verify(app: ServiceDesk, digest: str | None) -> int:
    try:
        published = parse_digest(digest) if digest else None
    except ValueError as e:
        print(f"kefu audit verify: {e}", file=sys.stderr)
        return 2
    access_log = AccessLogStore(app.database_url)
    try:
        result = verify_all(app, access_log, published, progress=_progress)
    finally:
        access_log.close()
    for finding in result.findings:
        print(finding)
    if result.unkeyed:
        print("unkeyed: no link of this log is keyed; run `kefu audit migrate-chain`")
    elif result.keyed_from is not None and result.keyed_from > 1:
        print(f"links before position {result.keyed_from} are unkeyed SHA-256 (before keys)")
    if result.missing_keys:
        _report_missing_keys(result)
        print(f"checked {result.checked} events; INCOMPLETE: a key is missing")
        return KEY_MISSING if not result.findings else 1
    head = format_digest(result.head_position, result.head_hash)
    print(f"checked {result.checked} events; head {head}")
    if published is not None:
        print("extends the digest" if result.extends_digest else "does NOT extend the digest")
    print("OK" if result.ok else f"FAILED: {len(result.findings)} finding(s)")
    return 0 if result.ok else 1


def _progress(checked: int) -> None:
    print(f"  … {checked} events checked", file=sys.stderr, flush=True)


def run_export(
    services: Services,
    out: Path,
    streams: list[str],
    customer: str | None,
    since: str | None,
    until: str | None,
    archived: bool,
) -> int:
    """`kefu archive export`: exactly one selection."""
    chosen = [bool(streams), customer is not None, since is not None or until is not None, archived]
    if sum(chosen) != 1:
        print(
            "kefu archive export: choose one of --stream, --customer, --from/--to, --archived",
            file=sys.stderr,
        )
        return 2
    try:
        selection, ids = _selection(services, streams, customer, since, until)
    except ValueError as e:
        print(f"kefu archive export: {e}", file=sys.stderr)
        return 2
    manifest = export_archive(
        services.app, ids, out, selection, TerminalProgress(), files=services.attachments
    )
    if manifest.streams == 0:
        out.unlink()
        print(
            f"kefu archive export: nothing matched ({selection}); no archive written",
            file=sys.stderr,
        )
        return 1
    print(f"{out}: {manifest.streams} streams, {manifest.events} events, log {manifest.log_digest}")
    return 0


def _moment(text: str, flag: str) -> datetime:
    """A command-line time: RFC 3339 with its offset (a naive time would be a guess)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{flag} {text!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        raise ValueError(f"{flag} {text!r} needs a UTC offset, e.g. +08:00")
    return moment


def _selection(
    services: Services,
    streams: list[str],
    customer: str | None,
    since: str | None,
    until: str | None,
) -> tuple[str, Iterable[UUID]]:
    if streams:
        try:
            ids = [UUID(s) for s in streams]
        except ValueError:
            raise ValueError(f"--stream takes record ids (UUIDs): {' '.join(streams)}") from None
        return f"streams {', '.join(streams)}", ids
    if customer is not None:
        return f"customer {customer}", customer_streams(services.read_models, customer)
    if since is not None or until is not None:
        low = _moment(since or "1900-01-01T00:00:00+00:00", "--from")
        high = _moment(until or "2999-12-31T00:00:00+00:00", "--to")
        return f"active from {low.isoformat()} to {high.isoformat()}", active_streams(
            services.app, low, high
        )
    return "every archived record", archived_streams(services.read_models)


def run_archive_verify(path: Path) -> int:
    check = verify_archive(path, TerminalProgress())
    for problem in check.problems:
        print(problem)
    if check.manifest is not None:
        print(f"{check.events} events; log digest at export {check.manifest.log_digest}")
    print("OK" if check.ok else f"FAILED: {len(check.problems)} problem(s)")
    return 0 if check.ok else 1


def run_archive_show(path: Path, stream: str, at: str | None) -> int:
    try:
        moment = _moment(at, "--at") if at else None
        state = state_from_archive(path, UUID(stream), moment)
    except (LookupError, ValueError) as e:
        print(f"kefu archive show: {e}", file=sys.stderr)
        return 1
    print(msgspec.json.format(msgspec.json.encode(state)).decode())
    return 0


def run_replay(services: Services) -> int:
    """`kefu audit replay`: every difference printed; exit status 1 if there is any."""
    result = replay(services.app, services.read_models, TerminalProgress())
    for difference in result.differences:
        print(difference)
    for name, position in result.positions.items():
        print(f"{name:<24} compared at position {position}")
    print(
        "OK: the read models equal a replay of the events"
        if result.ok
        else f"FAILED: {len(result.differences)} difference(s)"
    )
    return 0 if result.ok else 1
