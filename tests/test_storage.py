"""Storage on SQLite and PostgreSQL: migrations, UTC datetimes, idempotent writes, the journal."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import event, func, inspect, select, text, update
from sqlalchemy.orm import Session

from contact_center.durable import DurableWriter
from contact_center.durable_writes import AttachRecording, OpenCallbackRequest
from storage import call_log
from storage.db import autocommit_engine, make_engine, make_session_factory, on_dispose
from storage.journal import Journal
from storage.migrate import head_revisions, is_up_to_date, upgrade
from storage.models import Call, CallbackMessage, CallbackRequest
from storage.upsert import insert_or_get, string_literals
from tests.conftest import LINE_OPEN_AT
from voicemail.callbacks import Recording, attach_recording, mark_no_message, open_callback_request

SID = "CA" + "a" * 32


@pytest.fixture
def engine(database_url: str):
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine):
    return make_session_factory(engine)


def test_migrations_create_the_schema(engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {"calls", "callback_requests", "alembic_version"} <= tables
    assert is_up_to_date(engine)
    assert head_revisions()


def test_migrations_are_idempotent(engine) -> None:
    upgrade(engine)
    assert is_up_to_date(engine)


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'db.sqlite'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert (tmp_path / "sub").is_dir()


def test_datetimes_are_aware_and_utc(sessions) -> None:
    rome = timezone(timedelta(hours=1))
    with sessions.begin() as session:
        call_log.record_call_start(session, SID, "+393471234567", "+39800840840", now=LINE_OPEN_AT)
        call = session.scalars(select(Call)).one()
        call.started_at = datetime(2026, 11, 27, 10, 0, tzinfo=rome)
    with sessions() as session:
        stored = session.scalars(select(Call)).one()
        assert stored.started_at == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
        assert stored.started_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(sessions) -> None:
    with pytest.raises(Exception, match="naive datetime"), sessions.begin() as session:
        call_log.record_call_start(session, SID, None, None, now=LINE_OPEN_AT)
        call = session.scalars(select(Call)).one()
        call.started_at = datetime(2026, 1, 1, 9, 0)


def test_call_log_is_idempotent(sessions) -> None:
    for _ in range(2):
        with sessions.begin() as session:
            call_log.record_call_start(session, SID, "+393471234567", "+39800840840", now=LINE_OPEN_AT)
    with sessions.begin() as session:
        call_log.record_call_end(session, SID, "completed", 42, now=LINE_OPEN_AT)
    with sessions.begin() as session:
        call_log.record_call_end(session, SID, "failed", 1, now=LINE_OPEN_AT)
        call_log.record_call_end(session, SID, "in-progress", 5, now=LINE_OPEN_AT)
    with sessions() as session:
        call = session.scalars(select(Call)).one()
        assert (call.final_status, call.duration_seconds, call.outcome) == ("completed", 42, "abandoned")
        assert call.caller_withheld is False


def test_call_end_keeps_the_outcome_moves_the_start_back_and_happens_once(sessions) -> None:
    with sessions.begin() as session:
        call_log.record_call_start(session, SID, "+393471234567", "+39800840840", now=LINE_OPEN_AT)
        call_log.record_call_outcome(session, SID, "message", now=LINE_OPEN_AT)
        session.execute(update(Call).values(started_at=datetime(2026, 11, 25, 9, 0, 10, tzinfo=UTC)))
    with sessions.begin() as session:
        call_log.record_call_end(session, SID, "in-progress", 99, now=LINE_OPEN_AT)
    with sessions() as session:
        assert session.scalars(select(Call.final_status)).one() is None
    with sessions.begin() as session:
        call_log.record_call_end(session, SID, "completed", None, now=LINE_OPEN_AT + timedelta(minutes=5))
        call_log.record_call_end(session, SID, "busy", 10**6, now=LINE_OPEN_AT + timedelta(minutes=6))
    with sessions() as session:
        call = session.scalars(select(Call)).one()
        assert (call.final_status, call.outcome, call.duration_seconds) == ("completed", "message", None)
        assert call.started_at == datetime(2026, 11, 25, 9, 0, 10, tzinfo=UTC)
        assert call.ended_at == LINE_OPEN_AT + timedelta(minutes=5)
    other = "CA" + "b" * 32
    with sessions.begin() as session:
        call_log.record_call_start(session, other, None, None, now=LINE_OPEN_AT)
        call_log.record_call_end(session, other, "completed", 3600, now=LINE_OPEN_AT)
    with sessions() as session:
        call = session.scalars(select(Call).where(Call.call_sid == other)).one()
        assert (call.outcome, call.caller_withheld, call.duration_seconds) == ("abandoned", True, 3600)
        assert call.ended_at - call.started_at == timedelta(seconds=3600)


def test_a_status_callback_before_the_call_is_known_still_stores_it(sessions) -> None:
    with sessions.begin() as session:
        call_log.record_call_end(session, SID, "completed", 3, now=LINE_OPEN_AT)
    with sessions() as session:
        assert session.scalars(select(Call.final_status)).one() == "completed"


def test_upserts_insert_once_and_never_overwrite(sessions) -> None:
    upsert = insert_or_get
    started = datetime(2026, 11, 25, 9, tzinfo=UTC)
    with sessions.begin() as session:
        made = upsert(session, Call, "call_sid", {"call_sid": SID, "caller_number": "+393471234567",
                                                   "caller_withheld": False, "started_at": started})
        assert (made.call_sid, made.caller_number) == (SID, "+393471234567")
    with sessions.begin() as session:
        again = upsert(session, Call, "call_sid", {"call_sid": SID, "caller_number": None, "caller_withheld": True,
                                                    "started_at": started + timedelta(hours=1)})
        assert (again.caller_number, again.caller_withheld, again.started_at) == ("+393471234567", False, started)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 1


def test_one_callback_entry_per_call(sessions) -> None:
    for number in ("+393471234567", "+393330000000"):
        with sessions.begin() as session:
            open_callback_request(session, SID, number, "caller_id", "closed", now=LINE_OPEN_AT)
    with sessions() as session:
        entry = session.scalars(select(CallbackRequest)).one()
        message = session.scalars(select(CallbackMessage)).one()
        assert (entry.callback_number, entry.status, message.message_status) == ("+393471234567", "pending", "awaiting")


def test_concurrent_duplicate_webhooks_make_one_entry(sessions) -> None:
    errors: list[BaseException] = []

    def open_entry() -> None:
        try:
            with sessions.begin() as session:
                open_callback_request(session, SID, "+393471234567", "caller_id", "chosen", now=LINE_OPEN_AT)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_entry) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sessions() as session:
        assert len(session.scalars(select(CallbackRequest)).all()) == 1
        assert len(session.scalars(select(CallbackMessage)).all()) == 1


def test_recordings_attach_once(sessions) -> None:
    recording = Recording("RE" + "1" * 32, "https://api.twilio.com/r/RE1", 12)
    with sessions.begin() as session:
        attach_recording(session, SID, recording, now=LINE_OPEN_AT)  # the callback came before the entry
    with sessions.begin() as session:
        open_callback_request(session, SID, "+393471234567", "caller_id", "closed", now=LINE_OPEN_AT)
        attach_recording(session, SID, recording, now=LINE_OPEN_AT)
        attach_recording(session, SID, Recording("RE" + "2" * 32, "https://other", 99), now=LINE_OPEN_AT)
    with sessions() as session:
        entry = session.scalars(select(CallbackRequest)).one()
        message = session.scalars(select(CallbackMessage)).one()
        assert (message.recording_sid, message.recording_duration, message.message_status) == (
            recording.sid, 12, "recorded")
        assert entry.callback_number == "+393471234567"


def test_failed_and_absent_recordings_keep_the_entry(sessions) -> None:
    with sessions.begin() as session:
        open_callback_request(session, SID, "+393471234567", "caller_id", "closed", now=LINE_OPEN_AT)
        attach_recording(session, SID, Recording("", "", 0, status="absent"), now=LINE_OPEN_AT)
    with sessions() as session:
        entry = session.scalars(select(CallbackRequest)).one()
        message = session.scalars(select(CallbackMessage)).one()
        assert message.message_status == "absent" and entry.status == "pending"


def test_no_message_is_marked_only_when_nothing_was_recorded(sessions) -> None:
    with sessions.begin() as session:
        open_callback_request(session, SID, None, "none", "chosen", now=LINE_OPEN_AT)
        mark_no_message(session, SID)
    with sessions() as session:
        assert session.scalars(select(CallbackMessage.message_status)).one() == "no_message"


def test_the_journal_keeps_writes_while_the_database_is_down_and_replays_them(
        database_url: str, tmp_path: Path, engine) -> None:
    journal = Journal(tmp_path / "journal")
    down = DurableWriter(make_session_factory(make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")), journal)
    assert down.apply(OpenCallbackRequest(call_sid=SID, callback_number="+393471234567",
                                          number_source="caller_id", reason="error"), LINE_OPEN_AT) is False
    assert down.apply(AttachRecording(call_sid=SID, reason="error", sid="RE" + "3" * 32,
                                      url="https://x", duration_seconds=7), LINE_OPEN_AT) is False
    assert journal.backlog() == 2

    up = DurableWriter(make_session_factory(engine), journal)
    assert up.replay_backlog() == 2
    assert up.replay_backlog() == 0
    assert journal.backlog() == 0
    with Session(engine) as session:
        entry = session.scalars(select(CallbackRequest)).one()
        message = session.scalars(select(CallbackMessage)).one()
        assert (entry.callback_number, message.recording_duration, message.message_status) == (
            "+393471234567", 7, "recorded")


def test_a_failed_replay_keeps_the_rest_in_order(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    for index in range(3):
        journal.append("op", {"index": index}, written_at=LINE_OPEN_AT)
    seen: list[int] = []
    outage = {"on": True}

    def apply(entry) -> None:
        if entry.arguments["index"] == 1 and outage.pop("on", False):
            raise RuntimeError("database went away")
        seen.append(entry.arguments["index"])

    with pytest.raises(RuntimeError):
        journal.replay(apply)
    assert journal.backlog() == 2
    journal.append("op", {"index": 3}, written_at=LINE_OPEN_AT)
    assert journal.replay(apply) == 3
    assert seen == [0, 1, 2, 3]


def test_an_unreadable_journal_line_is_set_aside(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    journal.append("op", {"index": 0}, written_at=LINE_OPEN_AT)
    with open(tmp_path / "j" / "journal.jsonl", "a") as file:
        file.write('{"operation": "op", "argu\n')
    seen: list[int] = []
    assert journal.replay(lambda entry: seen.append(entry.arguments["index"])) == 1
    assert seen == [0]
    assert "argu" in (tmp_path / "j" / "journal.unreadable").read_text()


def test_a_pooled_postgresql_connection_the_server_closed_is_replaced_without_an_error(
        postgres_server_url: str) -> None:
    engine = make_engine(postgres_server_url, pool_size=1, max_overflow=0)
    killer = make_engine(postgres_server_url)
    try:
        with engine.connect() as connection:
            first = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with killer.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one()
        for _ in range(50):  # the server closes the socket just after it answers
            with killer.connect() as connection:
                gone = connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                          {"pid": first}).scalar_one() == 0
            if gone:
                break
            threading.Event().wait(0.02)
        with engine.connect() as connection:  # no OperationalError: the dead connection was not handed out
            second = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert second != first
    finally:
        engine.dispose()
        killer.dispose()


def test_string_literals_are_a_sorted_sql_list_and_a_quote_is_refused() -> None:
    assert string_literals({"no_message", "awaiting"}) == "'awaiting', 'no_message'"
    with pytest.raises(ValueError, match="quote"):
        string_literals({"ok", "it's"})


def test_a_dispose_callback_is_called_once_and_statements_dispatch_no_engine_events(engine) -> None:
    disposed: list[object] = []
    on_dispose(engine, disposed.append)
    # SQLAlchemy dispatches its connection events on every connection and statement of an engine
    # marked as having listeners; a dispose callback must not mark it.
    assert engine._has_events is False
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar_one() == 1
    assert disposed == []
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with engine.connect() as connection:
        connection.execute(text("SELECT 2"))
    assert statements == ["SELECT 2"]  # a later per-statement listener still hears every statement
    engine.dispose()
    assert disposed == [engine]


def test_an_autocommit_engine_commits_each_statement_and_goes_with_its_engine(database_url: str) -> None:
    """On PostgreSQL, a pool of its own (the same sizes) whose connections stay in autocommit at
    checkout and return; SQLite shares the engine's pool. Either way a statement commits alone."""
    engine = make_engine(database_url, pool_size=2, max_overflow=1) if database_url.startswith("postgresql") \
        else make_engine(database_url)
    autocommit = autocommit_engine(engine)
    try:
        with autocommit.connect() as connection:
            connection.execute(text("CREATE TABLE alone (n integer)"))
            connection.execute(text("INSERT INTO alone VALUES (1)"))
            with engine.connect() as other:  # seen by another connection: committed, no COMMIT sent
                assert other.execute(text("SELECT count(*) FROM alone")).scalar_one() == 1
        if database_url.startswith("sqlite"):
            assert autocommit.pool is engine.pool
            return
        assert autocommit.pool is not engine.pool
        assert (autocommit.pool.size(), autocommit.pool._max_overflow) == (2, 1)  # type: ignore[attr-defined]
        with autocommit.connect() as connection:
            dbapi_connection = connection.connection.dbapi_connection
            assert dbapi_connection is not None and dbapi_connection.autocommit is True
        assert dbapi_connection.autocommit is True, "switched back at return"
        assert autocommit.pool.checkedin() == 1
        engine.dispose()
        assert autocommit.pool.checkedin() == 0  # disposed with its engine
    finally:
        engine.dispose()
