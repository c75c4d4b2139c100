"""The README's promise: `contact-center serve`, then `contact-center call` leaves a message."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTACT_CENTER = [sys.executable, "-c", "from contact_center.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen[str], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited early: {process.stdout.read() if process.stdout else ''}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("serve did not start listening")


@pytest.mark.slow
def test_serve_then_call_from_the_terminal_and_list_the_message(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text((ROOT / "config.yaml").read_text("utf-8"), "utf-8")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    port = free_port()
    server = subprocess.Popen([*CONTACT_CENTER, "serve", "--port", str(port), "--workers", "1"],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for_port(port, server)
        phone = subprocess.run([*CONTACT_CENTER, "call", "--url", f"http://127.0.0.1:{port}",
                                "--from", "+393471234567"],
                               input="3\n1\n12\n", cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert phone.returncode == 0, phone.stdout + phone.stderr
        assert "non è un numero di emergenza" in phone.stdout
        assert "termina con 45 67" in phone.stdout
        assert "messaggio è stato registrato" in phone.stdout

        listed = subprocess.run([*CONTACT_CENTER, "callbacks", "list", "--json"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=60)
        assert listed.returncode == 0, listed.stderr
        [entry] = json.loads(listed.stdout)
        assert entry["callback_number"] == "+393471234567"
        [message] = entry["messages"]
        assert message["recording_sid"].startswith("RE") and message["recording_duration"] == 12
        assert (tmp_path / "instance" / "contact-center.db").exists()
    finally:
        server.terminate()
        server.wait(timeout=30)
