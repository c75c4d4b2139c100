"""What the benchmarks share: a private database, a configuration, the service under gunicorn."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PUBLIC_BASE_URL = "https://centralino.example.org"
CONTACT_CENTER = [sys.executable, "-c", "from contact_center.cli import main; main()"]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def private_database(admin_url: str = ADMIN_URL) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of `admin_url`, dropped afterwards."""
    name = f"cc_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                               {"name": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def write_config(folder: Path, database_url: str, metrics_token: str = "") -> tuple[Path, str]:
    """A production-like configuration in `folder`; returns its path and the Twilio auth token."""
    token = secrets.token_hex(16)
    config = {
        "database": {"url": database_url, "instance_dir": str(folder / "instance")},
        # No account SID: recordings are not copied from Twilio (the webhooks alone are measured).
        "twilio": {"auth_token": token},
        "web": {"public_base_url": PUBLIC_BASE_URL, "secret_key": secrets.token_hex(16)},
        "operations": {"metrics_token": metrics_token, "log_format": "json"},
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), "utf-8")
    return path, token


@dataclass(frozen=True)
class Server:
    """A server the benchmark started: where it answers and its main process."""

    url: str
    pid: int


@contextmanager
def running(command: list[str], port: int, log_path: Path, ready_path: str = "/healthz") -> Iterator[Server]:
    """Run a server command until the block ends; yields it once it answers."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(process, base_url + ready_path, log_path)
        yield Server(base_url, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=60)


def serve_command(config: Path, port: int, workers: int, threads: int) -> list[str]:
    """`contact-center serve` as the README recommends for production, on loopback."""
    return [*CONTACT_CENTER, "--config", str(config), "serve", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--threads", str(threads)]


def cpu_seconds(root_pid: int) -> float:
    """CPU time (user + system) used so far by a process and all its living descendants."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        pid = int(stat.parent.name)
        children.setdefault(int(fields[1]), []).append(pid)
        times[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [root_pid]
    while pending:
        pid = pending.pop()
        total += times.get(pid, 0.0)
        pending.extend(children.get(pid, []))
    return total


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, log_path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early; see {log_path}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {url} within {seconds:g} s; see {log_path}")
