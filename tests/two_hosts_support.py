"""The line on two hosts for the tests: PostgreSQL, moto's S3, the fake Twilio API, nginx (no tests here).

Twilio's side is the call simulator: the Voice URL and status callbacks name the public
origin, which resolves to nginx (https, the shipped site); the Fallback URL names another
host's own origin, which resolves straight to that host.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from click.testing import CliRunner

from bench.hosts import FALLBACK_BASE_URL, PUBLIC_BASE_URL, Host, Secrets, line, make_hosts
from bench.nginx import AccessLine, Balancer
from bench.tcp_proxy import TcpProxy
from callsim import FakeTwilioApi, HTTPTransport, RoutingTransport, Simulator
from contact_center.cli import cli
from storage.db import make_engine, make_session_factory
from tests.object_store import ObjectStore

ALWAYS_OPEN = {day: ["00:00-24:00"] for day in
               ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Line:
    """Everything the two-host tests drive and look at."""

    hosts: list[Host]
    balancer: Balancer
    fake_api: FakeTwilioApi
    store: ObjectStore
    bucket: str
    database_url: str
    shared: Secrets

    def simulator(self, fallback_host: Host | None = None, **options: Any) -> Simulator:
        """Twilio: webhooks to the public origin (nginx), the Fallback URL to `fallback_host` (default: the last)."""
        fallback = fallback_host or self.hosts[-1]
        transport = RoutingTransport(HTTPTransport(self.balancer.url, verify=str(self.balancer.certificate)),
                                     {FALLBACK_BASE_URL: HTTPTransport(fallback.url)})
        return Simulator(transport, auth_token=self.shared.auth_token, public_base_url=PUBLIC_BASE_URL,
                         fallback_url=f"{FALLBACK_BASE_URL}/voice/fallback", account_sid=self.fake_api.account_sid,
                         api_base_url=self.fake_api.base_url, recording_store=self.fake_api, **options)

    def direct(self, host: Host) -> Simulator:
        """Twilio reaching one host only (to show what that host does)."""
        return Simulator(HTTPTransport(host.url), auth_token=self.shared.auth_token, public_base_url=PUBLIC_BASE_URL,
                         account_sid=self.fake_api.account_sid, api_base_url=self.fake_api.base_url,
                         recording_store=self.fake_api)

    def browser(self) -> requests.Session:
        """A browser reaching the line's public name (nginx, https)."""
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would replace the line's CA
        session.verify = str(self.balancer.certificate)
        return session

    def sessions(self) -> Any:
        return make_session_factory(make_engine(self.database_url))

    def command(self, *arguments: str, host: Host | None = None, input: str | None = None) -> str:
        """`contact-center --config HOST-CONFIG ...` run in-process with the host's environment; its output."""
        host = host or self.hosts[0]
        result = CliRunner().invoke(cli, ["--config", str(host.config), *arguments], input=input, env=host.environment)
        assert result.exit_code == 0, result.output
        return result.output

    def upstreams(self, lines: list[AccessLine]) -> set[str]:
        """Which hosts (by address) answered these requests."""
        return {line.upstream.split(",")[-1].strip() for line in lines}


def sign_in(browser: requests.Session, base_url: str, name: str, password: str) -> requests.Response:
    """The console's sign-in form, as a browser posts it."""
    page = browser.get(f"{base_url}/console/login", timeout=10)
    match = _CSRF.search(page.text)
    assert match, page.text[:500]
    return browser.post(f"{base_url}/console/login", data={"name": name, "password": password,
                                                             "csrf_token": match[1]},
                        allow_redirects=False, timeout=30)


def csrf(browser: requests.Session, url: str) -> str:
    """The CSRF token of the console page at `url`."""
    match = _CSRF.search(browser.get(url, timeout=10).text)
    assert match, f"no CSRF token on {url}"
    return match[1]


def local_iso(moment: datetime) -> str:
    """An instant as `hours` commands take it (ISO 8601 with its offset)."""
    return moment.isoformat(timespec="seconds")


@contextmanager
def running_line(folder: Path, database_urls: list[str], store: ObjectStore, workers: int = 2,
                 **sections: dict[str, Any]) -> Iterator[Line]:
    """Two hosts (one per database URL) sharing PostgreSQL and the bucket, behind nginx."""
    shared = Secrets()
    bucket = store.new_bucket()
    with FakeTwilioApi(auth_token=shared.auth_token) as fake_api:
        environment = {**store.environment(), "RECORDINGS_STORE": f"s3://{bucket}/recordings"}
        hosts = make_hosts(folder, database_urls, shared, workers=workers, threads=4, environment=environment,
                           twilio={"account_sid": fake_api.account_sid, "api_base_url": fake_api.base_url},
                           hours={"weekly": ALWAYS_OPEN, "local_holidays": []},
                           **sections)
        with line(folder, hosts) as balancer:
            yield Line(hosts, balancer, fake_api, store, bucket, database_urls[0], shared)


@contextmanager
def object_store_for_module(s3_server: str) -> Iterator[ObjectStore]:
    """The S3 server behind a proxy, for fixtures wider than one test (no monkeypatching)."""
    proxy = TcpProxy("127.0.0.1", int(s3_server.rsplit(":", 1)[1])).start()
    try:
        yield ObjectStore(s3_server, proxy)
    finally:
        proxy.stop()
