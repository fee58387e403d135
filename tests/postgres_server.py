"""A throwaway PostgreSQL server for tests and benchmarks: Debian's binaries, a cluster in a
temporary folder, listening only on a Unix socket, gone when the run ends.

`initdb` refuses to run as root, so as root the cluster belongs to the `postgres` user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

ADMIN_DB = "postgres"


def binaries() -> Path | None:
    """The folder of initdb and pg_ctl, or None when PostgreSQL is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


class PostgresServer:
    def __init__(self, bindir: Path, folder: Path, durable: bool = False) -> None:
        self.bindir, self.folder, self.durable = bindir, folder, durable
        self.data, self.socket = folder / "data", folder / "socket"

    def url(self, database: str = ADMIN_DB) -> str:
        return f"postgresql://postgres@/{database}?host={self.socket}"

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True)

    def start(self) -> None:
        self.socket.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
            shutil.chown(self.socket, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync",
                  "-E", "UTF8", "--locale", "C")
        # No TCP at all. Tests turn durability off (their data lives for seconds); benchmarks
        # keep PostgreSQL's defaults, as a deployment runs it.
        options = f"-k {self.socket} -c listen_addresses='' -c max_connections=300"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "server.log"), "-w", "start")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


@contextlib.contextmanager
def running(*, durable: bool = False) -> Iterator[PostgresServer | None]:
    """A started server, or None when PostgreSQL is not installed. `durable`: every commit
    reaches the disk (PostgreSQL's defaults), for benchmarks."""
    bindir = binaries()
    if bindir is None:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="thidua-pg-"))
    os.chmod(folder, 0o755)
    server = PostgresServer(bindir, folder, durable)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
