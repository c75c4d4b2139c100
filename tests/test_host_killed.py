"""A host dies during a burst: the other carries the calls, the Fallback URL takes the lost ones, nothing is lost.

Two hosts behind nginx (the shipped site). Host A loses PostgreSQL first (its link to the
database is cut, so it journals what callers leave), then freezes for half a second, so that
webhooks are certainly in flight on it, and is killed outright (SIGKILL to gunicorn's arbiter
and workers). nginx answers those webhooks 502; Twilio (the simulator) then requests the
number's Fallback URL, which names host B's own origin: the caller hears the apology and
leaves a message. New webhooks go to host B. When host A starts again on the same instance
folder, its journal replays: every caller's number and message reaches the database.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from bench.burst import SAVED, CallResult, drive, lost_entries
from bench.hosts import FALLBACK_BASE_URL
from bench.service_health import wait_for_journal
from bench.stack import private_database
from bench.tcp_proxy import TcpProxy
from hours.clock import utcnow
from storage.journal import Journal
from storage.models import CallbackMessage
from tests.conftest import POSTGRES_ADMIN_URL
from tests.two_hosts_support import Line, object_store_for_module, running_line

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
pytest_plugins = ("tests.s3_support",)

RATE = 6.0
SECONDS = 8.0
CUT_AT, FREEZE_AT, FROZEN = 1.5, 3.0, 0.5


@pytest.fixture
def proxied(tmp_path: Path) -> Iterator[tuple[str, TcpProxy]]:
    with private_database(POSTGRES_ADMIN_URL) as database_url:
        url = make_url(database_url)
        proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
        try:
            yield database_url, proxy
        finally:
            proxy.stop()


@pytest.fixture
def two_hosts(tmp_path: Path, s3_server: str, proxied: tuple[str, TcpProxy]) -> Iterator[Line]:
    database_url, proxy = proxied
    through_proxy = make_url(database_url).set(port=proxy.port).render_as_string(hide_password=False)
    with object_store_for_module(s3_server) as store, \
            running_line(tmp_path, [through_proxy, database_url], store, workers=2,
                         operations={"replay_interval_seconds": 0.5}) as line:
        line.database_url = database_url
        yield line


CALLBACKS = ("/voice/message/recording-status", "/voice/status")  # no document: Twilio has no fallback for them


def fell_back(call: CallResult) -> bool:
    return f"{FALLBACK_BASE_URL}/voice/fallback" in call.urls


def tolerated(call: CallResult, problem: str) -> bool:
    """A webhook lost with the host: a document the Fallback URL replaced, or a callback whose data is kept."""
    if not problem.startswith("11200 "):
        return False
    return fell_back(call) or problem.removeprefix("11200 ").startswith(CALLBACKS)


def test_killing_a_host_mid_burst_loses_no_caller_and_its_journal_replays_on_restart(
        two_hosts: Line, proxied: tuple[str, TcpProxy]) -> None:
    line, (_, proxy) = two_hosts, proxied
    host_a, host_b = line.hosts
    journal = Journal(host_a.folder / "instance" / "journal")
    left_behind: list[int] = []

    def cut_host_a_from_the_database() -> None:
        proxy.cut()

    def kill_host_a() -> None:
        host_a.freeze()
        time.sleep(FROZEN)
        host_a.kill()
        left_behind.append(journal.backlog())
        proxy.restore()

    calls = asyncio.run(drive(line.balancer.url, line.shared.auth_token, RATE, SECONDS,
                              events=((CUT_AT, cut_host_a_from_the_database), (FREEZE_AT, kill_host_a)),
                              ca_file=str(line.balancer.certificate), fallback_host=host_b.url,
                              account_sid=line.fake_api.account_sid, api_base_url=line.fake_api.base_url,
                              recording_store=line.fake_api))
    assert len(calls) == RATE * SECONDS and left_behind and left_behind[0] > 0

    # Every caller left their message: most without noticing, some through the Fallback URL.
    rescued = [call for call in calls if fell_back(call)]
    assert rescued, "no webhook was in flight on the killed host"
    for call in calls:
        assert all(tolerated(call, problem) for problem in call.problems), (call.sid, call.problems)
        assert SAVED in call.heard, call.sid
    nginx = line.balancer.access_log()
    assert any(entry.status == 502 and entry.upstream == host_a.address for entry in nginx)

    # Host A starts again on its own folder: its journal replays into the database.
    host_a.start()
    wait_for_journal(host_a.url, deadline_seconds=60)
    wait_for_journal(host_b.url, deadline_seconds=60)
    assert journal.backlog() == 0
    log = [json.loads(text) for text in (host_a.folder / "serve.log").read_text("utf-8").splitlines()
           if text.startswith("{")]
    assert any("replayed" in entry["message"] for entry in log)
    assert lost_entries(line.database_url, calls) == 0
    with line.sessions()() as session:
        stored = dict(session.execute(select(CallbackMessage.call_sid, CallbackMessage.message_status)
                                      .where(CallbackMessage.call_sid.in_([call.sid for call in rescued]))).all())
    assert stored == {call.sid: "recorded" for call in rescued}

    # What the dead host did not copy (its recording callbacks were lost, or it died holding a
    # copy's lease), the periodic job does: at once, or once the lease ran out (moved forward here).
    line.command("voicemail", "fetch-recordings", host=host_b)
    with line.sessions().begin() as session:
        waiting = session.execute(update(CallbackMessage).where(CallbackMessage.copy_status == "pending")
                                  .values(copy_next_at=utcnow()).returning(CallbackMessage.recording_sid)).scalars()
        assert not set(waiting) & set(line.fake_api.deleted_recordings)  # Twilio kept what the store lacks
    line.command("voicemail", "fetch-recordings", host=host_b)
    with line.sessions()() as session:
        copies = session.execute(select(CallbackMessage.copy_status, func.count())
                                 .where(CallbackMessage.message_status == "recorded")
                                 .group_by(CallbackMessage.copy_status)).all()
    assert dict(copies) == {"copied": len(calls)}
    assert len(line.store.keys(line.bucket)) == len(calls)
    assert {urlsplit(url).netloc for call in rescued for url in call.urls} >= {urlsplit(FALLBACK_BASE_URL).netloc}
