"""PostgreSQL tells every process of a change of hours (LISTEN/NOTIFY): a call reads no version then.

On SQLite `for_engine` keeps the version check on every call. Each test's monotonic clock stands
still unless the test moves it, so the periodic re-check never hides a notification that did
not arrive.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event, text

from contact_center.schedule import (
    RECHECK_SECONDS,
    RECONNECT_SECONDS,
    LiveSchedule,
    ScheduleChanges,
    configured_timetable,
)
from storage.db import make_engine, make_session_factory
from storage.hours_repository import CHANGE_CHANNEL, add_extension
from storage.migrate import upgrade
from tests.conftest import LINE_OPEN_AT, _reset_postgres, make_settings

ROME = ZoneInfo("Europe/Rome")
SATURDAY_NOON = datetime(2026, 11, 28, 12, tzinfo=ROME)


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Process:
    """One worker process's view: its engine, its live schedule, the statements it sends."""

    def __init__(self, database_url: str, tmp_path: Path, clock: Clock) -> None:
        self.engine = make_engine(database_url)
        configured = configured_timetable(make_settings(database_url, tmp_path / "instance"))
        changes = ScheduleChanges(self.engine, clock) if self.engine.dialect.name == "postgresql" else None
        self.schedule = LiveSchedule(configured, self.engine, changes, clock)
        self.statements: list[str] = []
        event.listen(self.engine, "before_cursor_execute", self._count)

    def _count(self, _connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    def is_open(self) -> bool:
        return self.schedule.for_call(SATURDAY_NOON).state_at(SATURDAY_NOON).is_open


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def processes(postgres_server_url: str, tmp_path: Path, clock: Clock) -> Iterator[tuple[Process, Engine]]:
    """A worker process on a migrated PostgreSQL database, and the supervisor's engine that changes the hours."""
    _reset_postgres(postgres_server_url)
    database_url = postgres_server_url
    supervisor = make_engine(database_url)
    upgrade(supervisor)
    worker = Process(database_url, tmp_path, clock)
    yield worker, supervisor
    worker.engine.dispose()
    supervisor.dispose()


def extend_saturday(supervisor: Engine) -> None:
    with make_session_factory(supervisor).begin() as session:
        add_extension(session, datetime(2026, 11, 28, tzinfo=ROME), datetime(2026, 11, 29, tzinfo=ROME), None,
                      "Allerta meteo", "cli", now=LINE_OPEN_AT)


def heard_within(worker: Process, seconds: float = 5.0) -> bool:
    """Whether a call finds the line open within `seconds` (the notification travels on its own)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if worker.is_open():
            return True
        time.sleep(0.01)
    return False


@pytest.mark.postgres
def test_on_postgresql_a_call_reads_no_version_until_a_change_is_announced(
        processes: tuple[Process, Engine]) -> None:
    worker, supervisor = processes
    assert not worker.is_open()
    worker.statements.clear()
    for _ in range(20):
        assert not worker.is_open()
    assert worker.statements == []  # twenty calls, not one query

    extend_saturday(supervisor)
    assert heard_within(worker)
    assert any("hours_schedule_version" in statement for statement in worker.statements)
    worker.statements.clear()
    assert worker.is_open() and worker.schedule.for_call(SATURDAY_NOON).active_announcements(SATURDAY_NOON) == (
        "Allerta meteo",)
    assert worker.statements == []


def test_on_sqlite_every_call_still_reads_the_version(sqlite_url: str, tmp_path: Path) -> None:
    database_url = sqlite_url
    engine = make_engine(database_url)
    upgrade(engine)
    schedule = LiveSchedule.for_engine(configured_timetable(make_settings(database_url, tmp_path)), engine)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    schedule.for_call(SATURDAY_NOON)
    statements.clear()
    schedule.for_call(SATURDAY_NOON)
    schedule.for_call(SATURDAY_NOON)
    assert len(statements) == 2 and all("hours_schedule_version" in statement for statement in statements)
    with make_session_factory(engine).begin() as session:
        add_extension(session, datetime(2026, 11, 28, tzinfo=ROME), datetime(2026, 11, 29, tzinfo=ROME), None, None,
                      "cli", now=LINE_OPEN_AT)
    assert schedule.for_call(SATURDAY_NOON).state_at(SATURDAY_NOON).is_open
    engine.dispose()


@pytest.mark.postgres
def test_a_lost_listening_connection_means_a_version_read_per_call_then_listening_again(
        processes: tuple[Process, Engine], clock: Clock) -> None:
    worker, supervisor = processes
    assert not worker.is_open()
    with supervisor.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        killed = connection.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE query = :listen AND datname = current_database()"), {"listen": f"LISTEN {CHANGE_CHANNEL}"}).all()
    assert len(killed) == 1
    time.sleep(0.2)  # the server closes the socket
    extend_saturday(supervisor)  # made while nobody listens: the next calls must still hear it
    worker.statements.clear()
    assert worker.is_open()  # the dead connection is noticed: the version is read
    assert worker.is_open()  # and read again on every call while the process cannot listen
    assert sum("hours_schedule_version" in statement for statement in worker.statements) == 2

    clock.now += RECONNECT_SECONDS
    assert worker.is_open()  # listening again: read once more (a change may have been missed meanwhile)
    worker.statements.clear()
    assert worker.is_open() and worker.is_open()
    assert worker.statements == []


@pytest.mark.postgres
def test_a_listening_process_still_checks_the_version_now_and_then(processes: tuple[Process, Engine],
                                                                   clock: Clock) -> None:
    worker, _ = processes
    worker.is_open()
    worker.statements.clear()
    worker.is_open()
    assert worker.statements == []
    clock.now += RECHECK_SECONDS
    worker.is_open()
    assert len(worker.statements) == 1 and "hours_schedule_version" in worker.statements[0]
