"""`kefu import FILE`: another system's history, line by line (docs/import.md).

The file is read as a stream (`Importer.import_lines` writes a few lines at a time, so they
share commits), with a progress bar on a terminal. Each
rejected line is reported with its number, the record's source id and the reason: as JSON lines
in the `--rejected` file, else on stderr. The exit status is 0 when every line was imported (now
or before) and `EXIT_REJECTED` when any was rejected; a rerun writes only what is missing.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import msgspec

from kefu.bootstrap import Services
from kefu.cli.progress import TerminalProgress
from kefu.commands.importing import Rejection

EXIT_REJECTED = 3  # the import ran; some lines were rejected (see the report)


def run_import(
    services: Services,
    path: Path,
    *,
    source_system: str,
    actor_id: str,
    rejected: Path | None,
    progress: TerminalProgress,
) -> int:
    importer = services.importer(source_system, actor_id)
    counts: Counter[str] = Counter()
    with (
        path.open("rb") as lines,
        _report(rejected) as report,
        progress.bar("import", _count_records(path), "record") as advance,
    ):
        numbered = ((n, line) for n, line in enumerate(lines, 1) if line.strip())
        for result in importer.import_lines(numbered):
            advance(1)
            if isinstance(result, Rejection):
                counts["rejected"] += 1
                _write_rejection(report, result, to_file=rejected is not None)
            else:
                counts["before" if result.outcome.replayed else "imported"] += 1
    progress(
        f"{counts['imported']} records imported, {counts['before']} imported before, "
        f"{counts['rejected']} rejected"
    )
    return EXIT_REJECTED if counts["rejected"] else 0


def _count_records(path: Path) -> int:
    with path.open("rb") as lines:
        return sum(1 for line in lines if line.strip())


@contextmanager
def _report(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stderr
        return
    with path.open("w", encoding="utf-8") as report:
        yield report


def _write_rejection(report: TextIO, rejection: Rejection, *, to_file: bool) -> None:
    if to_file:
        entry = {"line": rejection.line, "id": rejection.source_id, "reason": rejection.reason}
        report.write(msgspec.json.encode(entry).decode() + "\n")
    else:
        label = f" ({rejection.source_id})" if rejection.source_id else ""
        print(f"kefu: line {rejection.line}{label} rejected: {rejection.reason}", file=report)
