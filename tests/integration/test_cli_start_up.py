"""The `kefu` command at start-up, as an operator meets it: one line naming what is wrong,
the right exit status, and no traceback; a busy port is refused before a token is printed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest


def kefu_command(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("KEFU_", "GUNICORN_"))}
    return subprocess.run(
        [sys.executable, "-m", "kefu.cli", *args],
        cwd=tmp_path,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("KEFU_READ_WAIT_SECONDS", "two"),
        ("KEFU_READY_MAX_LAG_SECONDS", "-1"),
        ("KEFU_DATABASE_URL", "mysql://db/kefu"),
        ("KEFU_TIMEZONE", "Mars/Olympus"),
        ("KEFU_DEADLINES", "urgent=soon"),
        ("KEFU_API_TOKENS_FILE", "no-such-file"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable_and_exit_status_2(
    tmp_path: Path, variable: str, value: str
) -> None:
    result = kefu_command(tmp_path, "serve", **{variable: value})

    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("kefu: ") and variable in line
    assert result.stdout == ""


def test_a_postgresql_that_is_down_fails_at_once_with_a_clear_line(tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"postgresql://kefu:secret@127.0.0.1:{port}/kefu"

    result = kefu_command(tmp_path, "projections", "status", KEFU_DATABASE_URL=url)

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"kefu: PostgreSQL at 127.0.0.1:{port} is unavailable")
    assert "secret" not in line


@pytest.mark.postgres
def test_serve_with_a_standby_that_is_down_fails_at_once_naming_it(
    tmp_path: Path, fresh_postgres_url: str
) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    standby = f"postgresql://kefu:secret@127.0.0.1:{port}/kefu"

    result = kefu_command(
        tmp_path, "serve", KEFU_DATABASE_URL=fresh_postgres_url, KEFU_READ_DATABASE_URL=standby
    )

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"kefu: PostgreSQL at 127.0.0.1:{port} is unavailable")
    assert result.stdout == ""


def test_serve_on_a_busy_port_fails_before_printing_a_token(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = kefu_command(tmp_path, "serve", "--bind", f"127.0.0.1:{port}")

    assert result.returncode == 1
    assert "token" not in result.stdout
    assert (
        result.stderr.strip() == f"kefu: cannot listen on 127.0.0.1:{port}: Address already in use"
    )


def test_a_read_wait_the_worker_timeout_would_cut_off_is_refused(tmp_path: Path) -> None:
    result = kefu_command(
        tmp_path, "serve", KEFU_READ_WAIT_SECONDS="20", GUNICORN_CMD_ARGS="--timeout 10"
    )

    assert result.returncode == 2
    assert "KEFU_READ_WAIT_SECONDS (20) must stay at least 5 s below" in result.stderr


def test_version_prints_the_installed_version(tmp_path: Path) -> None:
    result = kefu_command(tmp_path, "--version")

    assert (result.returncode, result.stdout.strip()) == (0, f"kefu {version('kefu')}")
