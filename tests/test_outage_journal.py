"""A database outage in the middle of calls: every caller is served, nothing is lost.

PostgreSQL is reached through a TCP proxy that the test cuts (connections dropped, new ones
refused, as when the server stops); the machine's shared server is never touched. Two apps
sharing one instance folder play two gunicorn workers sharing the journal.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from bench.tcp_proxy import TcpProxy
from callsim import Call, HttpResponse, Simulator, WSGITransport
from contact_center.durable import DurableWriter
from contact_center.durable_writes import AttachRecording, OpenCallbackRequest
from ivr.flows.context import CallContext
from ivr.twiml import Speaker
from ivr.webhooks import flow_steps
from storage.db import make_engine, make_session_factory
from storage.journal import Journal
from storage.migrate import upgrade
from storage.models import Call as LoggedCall
from storage.models import CallbackMessage, CallbackRequest
from tests.conftest import AUTH_TOKEN, LINE_OPEN_AT, make_app, make_settings, post_signed

pytestmark = pytest.mark.postgres

CALLS = 30
CALL_SPACING_SECONDS = 0.15
CUT_AFTER_SECONDS = 1.0
OUTAGE_SECONDS = 3.0
REPLAY_DEADLINE_SECONDS = 60.0


@pytest.fixture
def postgres_url(postgres_server_url: str) -> str:
    """The session's private PostgreSQL database, emptied and migrated."""
    engine = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    engine = make_engine(postgres_server_url)
    upgrade(engine)
    engine.dispose()
    return postgres_server_url


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    """A cuttable TCP proxy in front of PostgreSQL."""
    url = make_url(postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def workers(postgres_url: str, proxy: TcpProxy, tmp_path: Path) -> Iterator[list[Flask]]:
    """Two apps reaching the database through the proxy and sharing one journal."""
    url = make_url(postgres_url).set(port=proxy.port).render_as_string(hide_password=False)
    settings = make_settings(url, tmp_path / "instance", operations={"replay_interval_seconds": 0.2},
                             twilio={"api_base_url": "http://127.0.0.1:9"})  # recording copies fail at once
    apps = [make_app(settings), make_app(settings)]
    yield apps
    for app in apps:
        runtime = app.extensions["contact_center"]
        runtime.writer.replayer.stop()
        runtime.engine.dispose()


class RoundRobin:
    """A transport that hands each request to the next worker, as gunicorn's workers share a socket."""

    def __init__(self, apps: list[Flask]) -> None:
        self.base_url = "http://localhost"
        self._transports = [WSGITransport(app, self.base_url) for app in apps]
        self._turn = itertools.count()
        self._lock = threading.Lock()

    def send(self, method: str, url: str, form_params: dict[str, str], headers: dict[str, str]) -> HttpResponse:
        with self._lock:
            transport = self._transports[next(self._turn) % len(self._transports)]
        return transport.send(method, url, form_params, headers)


def leave_a_message(simulator: Simulator, caller: str) -> Call:
    """Greeting, 3 for a message, 1 to confirm the caller ID, then a 9-second message."""
    call = simulator.dial(from_=caller)
    call.press("3")
    call.press("1")
    call.record(seconds=9, finish_key="#")
    return call


def wait_until_replayed(journal: Journal) -> None:
    deadline = time.monotonic() + REPLAY_DEADLINE_SECONDS
    while journal.has_backlog():
        assert time.monotonic() < deadline, f"{journal.backlog()} journaled writes never replayed"
        time.sleep(0.1)


def test_calls_through_an_outage_are_all_served_and_nothing_is_lost(
        workers: list[Flask], proxy: TcpProxy, caplog: pytest.LogCaptureFixture) -> None:
    simulator = Simulator(RoundRobin(workers), auth_token=AUTH_TOKEN, public_base_url="http://localhost")
    callers = [f"+3934712{index:05d}" for index in range(CALLS)]
    caplog.set_level(logging.WARNING, logger="contact_center.durable")
    outage = [threading.Timer(CUT_AFTER_SECONDS, proxy.cut),
              threading.Timer(CUT_AFTER_SECONDS + OUTAGE_SECONDS, proxy.restore)]
    for timer in outage:
        timer.start()
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = []
        for caller in callers:
            futures.append(pool.submit(leave_a_message, simulator, caller))
            time.sleep(CALL_SPACING_SECONDS)
        calls = [future.result() for future in futures]
    for timer in outage:
        timer.join()
    assert not proxy.is_cut

    for call in calls:
        assert call.errors == [], call.errors
        assert "messaggio è stato registrato" in call.said()
    assert sum("journaling" in record.getMessage() for record in caplog.records) > 0

    journal = workers[0].extensions["contact_center"].journal
    wait_until_replayed(journal)
    assert journal.rejected() == 0
    with workers[0].extensions["contact_center"].sessions() as session:
        messages = {message.call_sid: message for message in session.scalars(select(CallbackMessage))}
        listed = {entry.id: entry.callback_number for entry in session.scalars(select(CallbackRequest))}
        logged = {row.call_sid: row for row in session.scalars(select(LoggedCall))}
    assert len(messages) == len(listed) == len(logged) == CALLS
    for call in calls:
        message, row = messages[call.sid], logged[call.sid]
        assert (message.callback_number, message.number_source) == (call.from_, "caller_id")
        assert message.entry_id is not None and listed[message.entry_id] == call.from_
        assert (message.recording_sid, message.recording_duration, message.message_status) == (
            call.recordings[0].sid, 9, "recorded")
        assert (row.caller_number, row.outcome, row.final_status) == (call.from_, "message", "completed")


def test_every_step_answers_valid_twiml_while_the_database_is_cut(workers: list[Flask], proxy: TcpProxy) -> None:
    client = workers[0].test_client()
    call = {"CallSid": "CA" + "8" * 32, "From": "+393471234567", "To": "+39800840840", "Digits": "1",
            "RecordingSid": "RE" + "8" * 32, "RecordingUrl": "https://api.twilio.com/r", "RecordingDuration": "5",
            "CallStatus": "completed", "CallDuration": "30"}
    assert post_signed(client, "/voice/incoming", call).status_code == 200
    proxy.cut()
    for path in sorted(flow_steps()):
        response = post_signed(client, path, call)
        assert response.status_code == 200, path
        root = ElementTree.fromstring(response.data)
        assert root.tag == "Response", path
    proxy.restore()
    wait_until_replayed(workers[0].extensions["contact_center"].journal)


def test_a_journaled_entry_and_its_recording_replay_in_order(postgres_url: str, proxy: TcpProxy,
                                                              tmp_path: Path) -> None:
    url = make_url(postgres_url).set(port=proxy.port).render_as_string(hide_password=False)
    journal = Journal(tmp_path / "journal")
    writer = DurableWriter(make_session_factory(make_engine(url)), journal)
    writer.replayer.stop()  # this test replays by hand, at the moment it chooses
    sid = "CA" + "9" * 32
    proxy.cut()
    assert writer.apply(OpenCallbackRequest(call_sid=sid, callback_number="+393471234567",
                                            number_source="caller_id", reason="closed"), LINE_OPEN_AT) is False
    proxy.restore()
    # The database is back but the entry still waits in the journal: the recording queues behind it.
    assert writer.apply(AttachRecording(call_sid=sid, reason="closed", sid="RE" + "9" * 32,
                                        url="https://api.twilio.com/r", duration_seconds=11), LINE_OPEN_AT) is False
    assert writer.replay_backlog() == 2
    with make_session_factory(make_engine(postgres_url))() as session:
        message = session.scalars(select(CallbackMessage)).one()
        entry = session.scalars(select(CallbackRequest)).one()
    assert (message.callback_number, message.recording_duration, message.message_status) == (
        "+393471234567", 11, "recorded")
    assert (entry.callback_number, entry.message_count) == ("+393471234567", 1)


def test_entries_being_replayed_still_count_as_backlog(tmp_path: Path) -> None:
    """While a replay holds the entries (moved aside as a batch), new writes must still queue behind them."""
    journal = Journal(tmp_path / "journal")
    journal.append("record_call_start", {"call_sid": "CA1"}, written_at=LINE_OPEN_AT)
    seen: list[bool] = []
    journal.replay(lambda entry: seen.append(journal.has_backlog()))
    assert seen == [True]
    assert not journal.has_backlog()


def test_a_connection_dying_in_the_middle_of_a_step_is_released_quietly(workers: list[Flask], proxy: TcpProxy) -> None:
    """The session's rollback fails on the dead connection: closing must not turn that into a 500."""
    runtime = workers[0].extensions["contact_center"]
    context = CallContext(runtime=runtime, params={"CallSid": "CA1"}, args={},
                          speaker=Speaker(runtime.settings, runtime.prompts))
    context.session.execute(text("SELECT 1"))
    proxy.cut()
    context.close()
    context.close()


def test_a_write_that_can_never_apply_is_set_aside_and_the_rest_replays(postgres_url: str, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    for index, reason in enumerate(["closed", "no-such-reason", "chosen"]):
        journal.append("open_callback_request", {"call_sid": f"CA{index}", "callback_number": f"+39347123456{index}",
                                                 "number_source": "caller_id", "reason": reason},
                       written_at=LINE_OPEN_AT)
    journal.append("operation_of_a_newer_version", {"call_sid": "CA9"}, written_at=LINE_OPEN_AT)
    engine = make_engine(postgres_url)
    writer = DurableWriter(make_session_factory(engine), journal)
    writer.replayer.stop()
    assert writer.replay_backlog() == 4
    assert (journal.backlog(), journal.rejected()) == (0, 2)
    rejected = (tmp_path / "journal" / "journal.rejected").read_text("utf-8")
    assert "no-such-reason" in rejected and "unknown operation 'operation_of_a_newer_version'" in rejected
    with make_session_factory(engine)() as session:
        assert sorted(session.scalars(select(CallbackMessage.call_sid))) == ["CA0", "CA2"]
    engine.dispose()
