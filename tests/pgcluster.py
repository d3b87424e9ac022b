"""A PostgreSQL cluster a test may stop, restart or kill: started from the local binaries in a
directory of its own, never the shared server.

PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user (its data
directory under /tmp, where that user can reach it); as anyone else it runs as that user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import sql

USER = PASSWORD = "postgres"
START_WAIT_SECONDS = 120  # pg_ctl's wait: generous on a loaded machine


def postgres_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/*/bin, else wherever pg_ctl is on PATH."""
    candidates = glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")
    candidates.sort(key=lambda path: int(Path(path).parts[-3]))
    found = candidates[-1] if candidates else shutil.which("pg_ctl")
    if found is None or not Path(found).with_name("initdb").exists():
        return None
    return Path(found).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayCluster:
    """initdb'd once, then started, stopped and restarted at will on one fixed port."""

    def __init__(self, bin_dir: Path) -> None:
        self._prepare(bin_dir)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            USER,
            "--auth=trust",
            "--no-locale",
            "--encoding=UTF8",
            "--no-sync",  # a throwaway: nothing to make durable
        )

    def _prepare(self, bin_dir: Path) -> None:
        """A port and an empty directory of its own (the postgres user's, as root)."""
        self.bin_dir = bin_dir
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        self.base = Path(tempfile.mkdtemp(prefix="kefu-throwaway-pg-", dir="/tmp"))
        self.data = self.base / "data"
        if self.as_root:
            shutil.chown(self.base, user="postgres", group="postgres")

    def server_url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} -c fsync=off"
        self._run(
            "pg_ctl", "start", "-D", str(self.data), "-l", str(self.base / "postgresql.log"),
            "-w", "-t", str(START_WAIT_SECONDS), "-o", options,
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stops the server: `fast` disconnects every client, `immediate` is a crash."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w")

    def restart(self) -> None:
        self.stop()
        self.start()

    def is_running(self) -> bool:
        status = self._run("pg_ctl", "status", "-D", str(self.data), check=False)
        return status.returncode == 0

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.server_url(), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.server_url(name)

    def destroy(self) -> None:
        if self.is_running():
            self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)

    def _run(
        self, program: str, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        command: Sequence[str] = [str(self.bin_dir / program), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command, cwd=self.base, check=check, capture_output=True, text=True, timeout=180
        )


class StandbyCluster(ThrowawayCluster):
    """A streaming hot standby of a running `primary`: `pg_basebackup -R` (a base backup that
    writes primary_conninfo and standby.signal), started like any throwaway cluster. initdb's
    default pg_hba.conf lets the primary's local user replicate over 127.0.0.1."""

    def __init__(self, primary: ThrowawayCluster) -> None:
        self._prepare(primary.bin_dir)
        self._run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", USER,
            "-D", str(self.data), "-R", "-X", "stream", "--checkpoint=fast", "--no-sync",
        )  # fmt: skip

    def replay(self, paused: bool) -> None:
        """Pauses or resumes applying the primary's WAL (what the standby shows stands still)."""
        function = "pg_wal_replay_pause" if paused else "pg_wal_replay_resume"
        with psycopg.connect(self.server_url(), autocommit=True) as connection:
            connection.execute(sql.SQL("SELECT {}()").format(sql.Identifier(function)))
