"""Debian's nginx on loopback, configured with the site file the project ships.

`deploy/nginx/contact-center.conf` is used as it is, except for what names this machine: the
app hosts in its upstream become loopback ports, it listens on a free loopback port, and its
certificate is a throw-away one made with openssl for the public name (and 127.0.0.1). A
small main configuration around it keeps nginx's files in a private folder, and an access log
records which host answered each request.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.stack import ROOT, free_port

SITE = ROOT / "deploy" / "nginx" / "contact-center.conf"
PUBLIC_NAME = "centralino.example.org"
NGINX = "/usr/sbin/nginx"
ACCESS_FIELDS = ("request_id", "method", "uri", "status", "upstream", "upstream_status")

_MAIN = """worker_processes 2;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    log_format hosts '$request_id $request_method $request_uri $status $upstream_addr $upstream_status';
    access_log {folder}/access.log hosts;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/contact-center.conf;
}}
"""


def _replace(text: str, pattern: str, replacement: str) -> str:
    changed, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    if not count:
        raise RuntimeError(f"the shipped nginx site changed: nothing matches {pattern!r}")
    return changed


def render_site(text: str, hosts: list[str], port: int, redirect_port: int, certificate: Path, key: Path) -> str:
    """The shipped site with this machine's addresses and certificate, every directive else as shipped."""
    options = re.search(r"^ +server \S+:8000( [^;]*);$", text, re.MULTILINE)
    if options is None:
        raise RuntimeError("the shipped nginx site has no `server HOST:8000 ...;` upstream line")
    upstream = "".join(f"    server {host}{options[1]};\n" for host in hosts)
    text = _replace(text, r"(?:^ +server \S+:8000 [^;]*;\n)+", upstream)
    text = _replace(text, r"^( +)listen 443 ssl;$", rf"\1listen 127.0.0.1:{port} ssl;")
    text = _replace(text, r"^( +)listen 80;$", rf"\1listen 127.0.0.1:{redirect_port};")
    text = _replace(text, r"^ +listen \[::\]:(?:80|443)[^;]*;\n", "")
    # The site's own access log (under /var/log) is left out: the balancer's log says which host answered.
    text = _replace(text, r"^ +access_log /var/log/nginx/\S+ contact_center_private;\n", "")
    text = _replace(text, r"^( +)ssl_certificate \S+;$", rf"\1ssl_certificate {certificate};")
    return _replace(text, r"^( +)ssl_certificate_key \S+;$", rf"\1ssl_certificate_key {key};")


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the public name and 127.0.0.1: (certificate, key)."""
    certificate, key = folder / "centralino.pem", folder / "centralino.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(certificate), "-subj", f"/CN={PUBLIC_NAME}",
                    "-addext", f"subjectAltName=DNS:{PUBLIC_NAME},IP:127.0.0.1"],
                   check=True, capture_output=True)
    return certificate, key


@dataclass(frozen=True)
class AccessLine:
    """One request nginx proxied: which host (upstream address) answered it, with what."""

    request_id: str
    method: str
    uri: str
    status: int
    upstream: str
    upstream_status: str


@dataclass
class Balancer:
    """A running nginx: its https URL, its certificate (a CA file for clients) and its files."""

    url: str
    certificate: Path
    folder: Path
    process: subprocess.Popen[bytes]

    def access_log(self) -> list[AccessLine]:
        """Every request logged so far."""
        path = self.folder / "access.log"
        lines = path.read_text("utf-8").splitlines() if path.exists() else []
        parsed = []
        for line in lines:
            request_id, method, uri, status, upstream, upstream_status = line.split(" ", 5)
            parsed.append(AccessLine(request_id, method, uri, int(status), upstream, upstream_status))
        return parsed

    def error_log(self) -> str:
        """nginx's own complaints (a dead upstream shows here)."""
        path = self.folder / "error.log"
        return path.read_text("utf-8") if path.exists() else ""


def check_site(folder: Path, hosts: list[str]) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on the shipped site as `balancer` would run it."""
    main = _prepare(folder, hosts, free_port(), free_port())
    return subprocess.run([NGINX, "-t", "-p", str(folder), "-c", str(main), "-e", str(folder / "error.log")],
                          capture_output=True, text=True)


def _prepare(folder: Path, hosts: list[str], port: int, redirect_port: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    certificate, key = make_certificate(folder)
    site = render_site(SITE.read_text("utf-8"), hosts, port, redirect_port, certificate, key)
    (folder / "contact-center.conf").write_text(site, "utf-8")
    for temporary in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (folder / temporary).mkdir(exist_ok=True)
        os.chmod(folder / temporary, 0o777)  # nginx's workers run as nobody when started by root
    os.chmod(folder, 0o755)
    main = folder / "nginx.conf"
    main.write_text(_MAIN.format(folder=folder), "utf-8")
    return main


@contextmanager
def balancer(folder: Path, hosts: list[str]) -> Iterator[Balancer]:
    """nginx in front of `hosts` ("127.0.0.1:PORT") until the block ends."""
    if shutil.which(NGINX) is None and not Path(NGINX).exists():
        raise RuntimeError("nginx is not installed: apt-get install nginx")
    port = free_port()
    main = _prepare(folder, hosts, port, free_port())
    process = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(main), "-e", str(folder / "error.log"),
                                "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    running = Balancer(f"https://127.0.0.1:{port}", folder / "centralino.pem", folder, process)
    try:
        _wait_for(running)
        yield running
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful: finish the requests in flight
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for(running: Balancer, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            stderr = running.process.stderr.read().decode() if running.process.stderr else ""
            raise RuntimeError(f"nginx exited: {stderr}{running.error_log()}")
        try:
            requests.get(running.url + "/healthz", verify=str(running.certificate), timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"nginx did not answer within {seconds:g} s: {running.error_log()}")
