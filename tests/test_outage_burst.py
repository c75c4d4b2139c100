"""The burst driver on a short run: real gunicorn workers, PostgreSQL cut off mid-burst, nothing lost.

`contact-center serve` runs as in production (several workers sharing the journal, JSON logs)
and reaches PostgreSQL through a TCP proxy that the test cuts for a moment; calls arrive at a
steady rate from the benchmark's asynchronous driver (bench/burst.py).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.burst import drive, lost_entries
from bench.service_health import wait_for_journal
from bench.stack import Server, free_port, running, serve_command, write_config
from bench.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

RATE = 8.0
SECONDS = 4.0
CUT_SECONDS = 1.5


@pytest.fixture
def postgres_url(postgres_server_url: str) -> str:
    """The session's private PostgreSQL database, emptied (serve migrates it)."""
    engine = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return postgres_server_url


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    url = make_url(postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    yield proxy
    proxy.stop()


def test_a_burst_through_a_database_cut_loses_nothing(postgres_url: str, proxy: TcpProxy, tmp_path: Path) -> None:
    proxied_url = make_url(postgres_url).set(port=proxy.port).render_as_string(hide_password=False)
    config, token = write_config(tmp_path, proxied_url)
    port = free_port()
    log = tmp_path / "serve.log"

    def cut() -> None:
        proxy.cut()
        time.sleep(CUT_SECONDS)
        proxy.restore()

    server: Server
    with running(serve_command(config, port, workers=2, threads=4), port, log) as server:
        calls = asyncio.run(drive(server.url, token, RATE, SECONDS, events=((SECONDS / 3, cut),)))
        wait_for_journal(server.url, deadline_seconds=60)

    assert len(calls) == RATE * SECONDS
    assert [call.problems for call in calls if call.problems] == []
    assert lost_entries(postgres_url, calls) == 0
    lines = [json.loads(line) for line in log.read_text("utf-8").splitlines() if line.startswith("{")]
    journaled = [line for line in lines if "journaling" in line["message"]]
    assert journaled and all(line["call_sid"] for line in journaled)
    assert any("replayed" in line["message"] for line in lines)
