"""Several app hosts on one machine: `contact-center serve` instances sharing a database and a store.

Each host has its own instance folder (journal, metrics files) and port, and the same secrets,
as production hosts share them through their environment. A host runs in a process group of
its own so that a test can freeze it, kill it outright (SIGKILL, arbiter and workers at once)
and start it again on the same folder, whose journal then replays.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

from bench.nginx import PUBLIC_NAME, Balancer, balancer
from bench.stack import CONTACT_CENTER, ROOT, free_port

PUBLIC_BASE_URL = f"https://{PUBLIC_NAME}"
FALLBACK_BASE_URL = f"https://fallback.{PUBLIC_NAME}"


@dataclass(frozen=True)
class Secrets:
    """What every host of the line shares."""

    auth_token: str = field(default_factory=lambda: secrets.token_hex(16))
    secret_key: str = field(default_factory=lambda: secrets.token_hex(16))
    metrics_token: str = field(default_factory=lambda: secrets.token_hex(8))


def host_config(folder: Path, database_url: str, shared: Secrets, **sections: dict[str, Any]) -> Path:
    """A production-like configuration for one host, its instance folder inside `folder`."""
    config: dict[str, Any] = {
        "database": {"url": database_url, "instance_dir": str(folder / "instance")},
        "twilio": {"auth_token": shared.auth_token},
        "web": {"public_base_url": PUBLIC_BASE_URL, "fallback_base_url": FALLBACK_BASE_URL,
                "secret_key": shared.secret_key},
        "operations": {"metrics_token": shared.metrics_token, "log_format": "json"},
        "tickets": {"trusted_proxy_hops": 1},
    }
    for name, values in sections.items():
        config.setdefault(name, {}).update(values)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), "utf-8")
    return path


@dataclass
class Host:
    """One `contact-center serve` on 127.0.0.1:`port`."""

    name: str
    config: Path
    port: int
    workers: int
    threads: int
    environment: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        """How nginx names it in its upstream."""
        return f"127.0.0.1:{self.port}"

    @property
    def folder(self) -> Path:
        return self.config.parent

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} is not running"
        return self.process.pid

    def start(self, wait: bool = True) -> None:
        """Start serving (migrations first); wait until /healthz answers."""
        command = [*CONTACT_CENTER, "--config", str(self.config), "serve", "--host", "127.0.0.1",
                   "--port", str(self.port), "--workers", str(self.workers), "--threads", str(self.threads)]
        with open(self.folder / "serve.log", "ab") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                            env={**os.environ, **self.environment, "PYTHONPATH": str(ROOT)},
                                            start_new_session=True)
        if wait:
            self.wait_until_answering()

    def wait_until_answering(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.folder / 'serve.log'}")
            try:
                requests.get(self.url + "/healthz", timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {seconds:g} s")

    def freeze(self) -> None:
        """SIGSTOP the whole host: connections are accepted by the kernel, nothing answers."""
        os.killpg(self.pid, signal.SIGSTOP)

    def kill(self) -> None:
        """SIGKILL the arbiter and every worker at once: the host dies with its requests."""
        os.killpg(self.pid, signal.SIGKILL)
        assert self.process is not None
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        """SIGTERM: requests in flight finish first."""
        if self.process is None:
            return
        os.killpg(self.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def health(self) -> dict[str, Any]:
        """GET /healthz of this host."""
        answer: dict[str, Any] = requests.get(self.url + "/healthz", timeout=10).json()
        return answer


def make_hosts(folder: Path, database_urls: list[str], shared: Secrets, workers: int, threads: int,
               environment: dict[str, str] | None = None, **sections: dict[str, Any]) -> list[Host]:
    """One host per database URL (the same database, maybe through different routes)."""
    hosts = []
    for number, database_url in enumerate(database_urls, start=1):
        name = f"host-{chr(ord('a') + number - 1)}"
        config = host_config(folder / name, database_url, shared, **sections)
        hosts.append(Host(name, config, free_port(), workers, threads, dict(environment or {})))
    return hosts


@contextmanager
def line(folder: Path, hosts: list[Host]) -> Iterator[Balancer]:
    """Every host started (the first alone, so that it migrates the database), behind nginx."""
    with ExitStack() as stack:
        for host in hosts:
            host.start()
            stack.callback(host.stop)
        yield stack.enter_context(balancer(folder / "nginx", [host.address for host in hosts]))


@dataclass(frozen=True)
class Deployment:
    """What a benchmark drives and measures: the URL calls go to, each host, the processes by part."""

    url: str
    host_urls: list[str]
    processes: dict[str, list[int]]
    ca_file: str | None = None
    fallback_host: str | None = None


@contextmanager
def deployment(folder: Path, database_url: str, hosts: int, workers: int, threads: int, metrics_token: str,
               balanced: bool = False) -> Iterator[tuple[Deployment, str]]:
    """`hosts` instances of `serve` on one database: alone, or behind nginx when several (or `balanced`).

    Yields the deployment and the Twilio auth token its webhooks are signed with.
    """
    shared = Secrets(metrics_token=metrics_token)
    # No account SID: recordings are not copied from Twilio (the webhooks alone are measured).
    servers = make_hosts(folder, [database_url] * hosts, shared, workers, threads)
    if hosts == 1 and not balanced:
        [host] = servers
        host.start()
        try:
            yield Deployment(host.url, [host.url], {"service": [host.pid]}), shared.auth_token
        finally:
            host.stop()
        return
    with line(folder, servers) as nginx:
        yield (Deployment(nginx.url, [host.url for host in servers],
                          {"service": [host.pid for host in servers], "nginx": [nginx.process.pid]},
                          str(nginx.certificate), servers[-1].url), shared.auth_token)
