"""A throwaway PostgreSQL server on 127.0.0.1 for the DuckLake tests (Debian's postgresql package).

initdb refuses to run as root, so as root the server runs as the `postgres` user the package
creates, from a directory it owns. `.ci/run` installs the package when it is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")


def pg_bin() -> Path | None:
    """The bin directory of the newest installed PostgreSQL, or None."""
    versions = sorted((p for p in PG_ROOT.glob("*/bin") if (p / "initdb").exists()),
                      key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return versions[-1] if versions else None


@dataclass
class Postgres:
    bin: Path
    directory: Path
    port: int

    def dsn(self, dbname: str) -> str:
        return f"dbname={dbname} host=127.0.0.1 port={self.port} user=postgres"

    def createdb(self, name: str) -> str:
        """A new empty database; returns its DuckLake catalog string (`postgres:...`)."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"postgres:{self.dsn(name)}"

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, str(self.bin / program), *args], check=True, capture_output=True,
                       timeout=60)


def start_postgres() -> Postgres:
    """initdb a new cluster in a temporary directory and start it on a free port (~1 s)."""
    binaries = pg_bin()
    if binaries is None:
        raise FileNotFoundError(f"no PostgreSQL under {PG_ROOT} (Debian: apt-get install postgresql)")
    directory = Path(tempfile.mkdtemp(prefix="newsduck-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = Postgres(binaries, directory, port)
    server._run("initdb", "-D", str(directory / "data"), "-U", "postgres", "--auth=trust", "--no-sync",
                "-E", "UTF8")
    server._run("pg_ctl", "-D", str(directory / "data"), "-l", str(directory / "server.log"), "-w", "-o",
                f"-c listen_addresses=127.0.0.1 -p {port} -k {directory} -c fsync=off", "start")
    return server
