"""Progress of long commands: a tqdm bar on a terminal, plain milestone lines anywhere else."""

from __future__ import annotations

import io

from kefu.cli.progress import TerminalProgress
from kefu.projections.progress import counting


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def work(progress: TerminalProgress) -> None:
    progress("ticket_views: rebuilding from position 0 to 300")
    with counting(progress, "ticket_views", 300, "ev") as advance:
        for _ in range(3):
            advance(100)
    progress("ticket_views: 300 events replayed in 0.1s; swapping")


def test_on_a_terminal_a_bar_counts_to_the_total_with_its_rate() -> None:
    terminal = Terminal()
    work(TerminalProgress(terminal))
    drawn = terminal.getvalue()
    assert "\r" in drawn  # redrawn in place
    assert "ticket_views: 100%" in drawn and "300/300" in drawn and "ev/s" in drawn
    assert "  … ticket_views: 300 events replayed" in drawn


def test_off_a_terminal_only_the_milestones_as_plain_lines() -> None:
    log = io.StringIO()
    work(TerminalProgress(log))
    assert log.getvalue().splitlines() == [
        "  … ticket_views: rebuilding from position 0 to 300",
        "  … ticket_views: 300 events replayed in 0.1s; swapping",
    ]


def test_a_plain_callable_hears_the_milestones_and_no_counts() -> None:
    heard: list[str] = []
    with counting(heard.append, "export", None, "streams") as advance:
        advance(1)
    assert heard == []
