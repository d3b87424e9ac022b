"""`kefu audit digest|verify`: the log head, and a full re-computation of the chains."""

from __future__ import annotations

import sys

from kefu.audit.log_reading import all_events, all_links
from kefu.audit.verify import verify
from kefu.commands.application import ServiceDesk
from kefu.store.chain import format_digest, parse_digest


def print_digest(app: ServiceDesk) -> int:
    """Prints the log head as `position:hash` (recomputed from the events' bytes)."""
    result = verify(all_events(app), all_links(app), progress=_progress)
    print(format_digest(result.head_position, result.head_hash))
    return 0 if result.ok else 1


def run_verify(app: ServiceDesk, digest: str | None) -> int:
    try:
        published = parse_digest(digest) if digest else None
    except ValueError as e:
        print(f"kefu audit verify: {e}", file=sys.stderr)
        return 2
    result = verify(all_events(app), all_links(app), published, progress=_progress)
    for finding in result.findings:
        print(finding)
    head = format_digest(result.head_position, result.head_hash)
    print(f"checked {result.checked} events; head {head}")
    if published is not None:
        print("extends the digest" if result.extends_digest else "does NOT extend the digest")
    print("OK" if result.ok else f"FAILED: {len(result.findings)} finding(s)")
    return 0 if result.ok else 1


def _progress(checked: int) -> None:
    print(f"  … {checked} events checked", file=sys.stderr, flush=True)
