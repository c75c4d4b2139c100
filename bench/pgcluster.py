"""A private, throw-away PostgreSQL cluster the burst benchmark may stop and start at will.

initdb and pg_ctl from /usr/lib/postgresql/*/bin, on a port of its own, as the `postgres`
user when run as root (PostgreSQL refuses to run as root). The machine's shared server is
never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.stack import free_port


def _binary(name: str) -> str:
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not candidates:
        found = shutil.which(name)
        if found is None:
            raise RuntimeError(f"{name} not found: install PostgreSQL's server package")
        return found
    return str(candidates[-1])


class PrivateCluster:
    """A cluster in a temporary folder of its own, listening on 127.0.0.1:`port` only."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="cc-postgresql-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0

    @property
    def url(self) -> str:
        """SQLAlchemy URL of its `contact_center` database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/contact_center"

    def create(self) -> None:
        """initdb, start, and create the `contact_center` database."""
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(_binary("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync",
                  "-E", "UTF8", "--locale=C")
        self.start()
        self._run(_binary("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "contact_center")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200 "
                   "-c shared_buffers=128MB")
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.folder / "server.log"),
                  "-w", "start")

    def stop(self) -> None:
        """Stop the server now (fast shutdown: clients are disconnected)."""
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def postmaster_pid(self) -> int:
        """The server's main process id."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def destroy(self) -> None:
        """Stop the server (if it runs) and delete its files."""
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self._as_postgres else []
        result = subprocess.run([*prefix, *command], capture_output=True, text=True, cwd="/")
        if result.returncode != 0:
            raise RuntimeError(f"{Path(command[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")
