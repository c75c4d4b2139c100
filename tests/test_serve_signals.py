"""`contact-center serve` in the foreground stops when its terminal hangs up, and frees its port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
CONTACT_CENTER = [sys.executable, "-c", "from contact_center.cli import main; main()"]
STOP_SECONDS = 10


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether a new server could listen on the port (SO_REUSEADDR, as gunicorn binds: TIME_WAIT is no obstacle)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen()
        except OSError:
            return False
    return True


def wait_until_healthy(process: subprocess.Popen[str], url: str, seconds: float = 60) -> None:
    """Until GET /healthz answers 200."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited early: {process.communicate()[0]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"serve did not answer {url} within {seconds:g} s")


def group_is_gone(group: int) -> bool:
    """Whether no process is left in the process group (no orphaned worker)."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.slow
@pytest.mark.parametrize("hang_up", ["arbiter", "terminal"])
def test_serve_exits_on_sighup_and_frees_its_port(tmp_path: Path, hang_up: str) -> None:
    """SIGHUP to gunicorn's arbiter alone (`kill -HUP`), or to the whole group as a closing terminal does."""
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: \"sqlite:///{tmp_path / 'contact-center.db'}\"\n"
                      f"  instance_dir: \"{tmp_path / 'instance'}\"\n", "utf-8")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    port = free_port()
    # A session of its own, as a shell in a terminal gives a foreground job its own process group.
    server = subprocess.Popen([*CONTACT_CENTER, "--config", str(config), "serve", "--port", str(port),
                               "--workers", "2", "--threads", "2"],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    try:
        wait_until_healthy(server, f"http://127.0.0.1:{port}/healthz")
        assert not port_is_free(port)
        hung_up = time.monotonic()
        if hang_up == "terminal":
            os.killpg(server.pid, signal.SIGHUP)
        else:
            server.send_signal(signal.SIGHUP)
        output, _ = server.communicate(timeout=STOP_SECONDS)
        stopped_in = time.monotonic() - hung_up
        assert server.returncode == 0, output
        assert "Hang up: stopping" in output
        assert "Booting worker" not in output.split("Hang up: stopping", 1)[1]  # no reload
        assert port_is_free(port), f"port {port} still taken {stopped_in:.1f} s after SIGHUP"
        assert group_is_gone(server.pid), "a worker outlived the arbiter"
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
