"""The live timetable: configured hours plus stored rows, reloaded in every process when the version moves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import SQLAlchemyError

from contact_center.config import ConfigError, Settings
from contact_center.schedule import LiveSchedule, configured_timetable
from hours import Band, ClosedDate, LocalHoliday
from storage.db import make_engine, make_session_factory
from storage.hours_repository import add_closure, add_extension, cancel_entry
from storage.migrate import upgrade
from tests.conftest import LINE_OPEN_AT, make_settings

ROME = ZoneInfo("Europe/Rome")
SATURDAY_NOON = datetime(2026, 11, 28, 12, tzinfo=ROME)


def rome(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Europe/Rome wall-clock datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


class Worker:
    """One process's view of the database: its own engine, sessions and live schedule."""

    def __init__(self, database_url: str, settings: Settings) -> None:
        self.engine = make_engine(database_url)
        self.sessions = make_session_factory(self.engine)
        self.schedule = LiveSchedule(configured_timetable(settings), self.engine)
        self.statements: list[str] = []
        event.listen(self.engine, "before_cursor_execute", self._count)

    def _count(self, _connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)


@pytest.fixture
def workers(database_url: str, tmp_path: Path) -> Iterator[tuple[Worker, Worker]]:
    """Two processes' views of one migrated database."""
    settings = make_settings(database_url, tmp_path / "instance")
    first, second = Worker(database_url, settings), Worker(database_url, settings)
    upgrade(first.engine)
    yield first, second
    first.engine.dispose()
    second.engine.dispose()


def test_the_configured_timetable_has_the_weekly_bands_named_holidays_and_closed_dates(tmp_path: Path) -> None:
    settings = make_settings("sqlite://", tmp_path, hours={
        "weekly": {"monday": ["09:00-13:00", "14:00-18:00"], "saturday": ["09:00-12:00"]},
        "local_holidays": ["06-29 Santi Pietro e Paolo", "10-04"],
        "closed_dates": ["2026-12-24 chiusura per inventario", "2026-12-31"],
    }, line={"timezone": "Europe/Rome"})
    timetable = configured_timetable(settings)
    assert timetable.timezone == "Europe/Rome"
    assert timetable.schedule.bands_on(0) == (Band.parse("09:00-13:00"), Band.parse("14:00-18:00"))
    assert timetable.schedule.bands_on(5) == (Band.parse("09:00-12:00"),)
    assert timetable.local_holidays == (LocalHoliday(6, 29, "Santi Pietro e Paolo"), LocalHoliday(10, 4))
    assert timetable.closed_dates == (ClosedDate(date(2026, 12, 24), "chiusura per inventario"),
                                      ClosedDate(date(2026, 12, 31)))
    assert timetable.state_at(rome(2027, 6, 29, 10)).holiday_name == "Santi Pietro e Paolo"
    assert timetable.state_at(rome(2026, 12, 24, 10)).holiday_name == "chiusura per inventario"
    assert not timetable.state_at(rome(2026, 11, 30, 13, 30)).is_open


def test_the_shipped_defaults_are_monday_to_friday_9_to_18_closed_on_rome_s_patrons(tmp_path: Path) -> None:
    timetable = configured_timetable(make_settings("sqlite://", tmp_path))
    assert timetable.state_at(rome(2026, 11, 30, 9)).is_open
    assert not timetable.state_at(rome(2026, 11, 30, 18)).is_open
    assert not timetable.state_at(SATURDAY_NOON).is_open
    assert timetable.state_at(rome(2026, 6, 29, 10)).holiday_name == "Santi Pietro e Paolo"


@pytest.mark.parametrize(("hours", "message"), [
    ({"weekly": {"monday": ["09:00-13:00", "12:00-18:00"]}}, "hours.weekly: overlapping bands"),
    ({"weekly": {"monday": ["25:00-26:00"]}}, "hours.weekly.monday.0"),
    ({"local_holidays": ["02-30"]}, "hours.local_holidays: invalid local holiday 02-30"),
    ({"local_holidays": ["6-29"]}, "hours.local_holidays: invalid local holiday '6-29'"),
    ({"closed_dates": ["2026-02-30 festa"]}, "hours.closed_dates: invalid closed date '2026-02-30'"),
])
def test_bad_hours_in_the_configuration_name_the_key(tmp_path: Path, hours: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_settings("sqlite://", tmp_path, hours=hours)


def test_a_timetable_is_kept_while_the_version_stands_one_small_query_per_question(
        workers: tuple[Worker, Worker]) -> None:
    worker, _ = workers
    first = worker.schedule.current(SATURDAY_NOON)
    worker.statements.clear()
    assert worker.schedule.current(SATURDAY_NOON) is first
    assert worker.schedule.current(rome(2026, 11, 30, 9)) is first
    assert len(worker.statements) == 2
    assert all("hours_schedule_version" in statement for statement in worker.statements)


def test_a_change_made_by_another_process_counts_from_the_next_question(workers: tuple[Worker, Worker]) -> None:
    worker, supervisor = workers
    assert not worker.schedule.current(SATURDAY_NOON).state_at(SATURDAY_NOON).is_open

    with supervisor.sessions.begin() as session:
        add_extension(session, rome(2026, 11, 28), rome(2026, 11, 29), None, "Allerta meteo", "cli", now=LINE_OPEN_AT)
    timetable = worker.schedule.current(SATURDAY_NOON)
    assert timetable.state_at(SATURDAY_NOON).is_open
    assert timetable.active_announcements(SATURDAY_NOON) == ("Allerta meteo",)

    with supervisor.sessions.begin() as session:
        add_closure(session, rome(2026, 11, 28, 11), rome(2026, 11, 28, 13), "guasto tecnico", "cli", now=LINE_OPEN_AT)
    state = worker.schedule.current(SATURDAY_NOON).state_at(SATURDAY_NOON)
    assert (state.is_open, state.closure_reason) == (False, "guasto tecnico")

    with supervisor.sessions.begin() as session:
        cancel_entry(session, "C1", "cli", now=LINE_OPEN_AT)
        cancel_entry(session, "E1", "cli", now=LINE_OPEN_AT)
    assert not worker.schedule.current(SATURDAY_NOON).state_at(SATURDAY_NOON).is_open
    assert worker.schedule.current(SATURDAY_NOON).active_announcements(SATURDAY_NOON) == ()


def test_a_question_about_an_earlier_instant_reloads_the_ranges_that_had_ended(
        workers: tuple[Worker, Worker]) -> None:
    worker, supervisor = workers
    with supervisor.sessions.begin() as session:
        add_extension(session, rome(2026, 11, 28), rome(2026, 11, 29), None, None, "cli", now=LINE_OPEN_AT)
    assert not worker.schedule.current(rome(2026, 11, 29, 12)).state_at(rome(2026, 11, 29, 12)).is_open
    assert worker.schedule.current(SATURDAY_NOON).state_at(SATURDAY_NOON).is_open


def test_with_the_schedule_unreadable_a_call_gets_the_last_loaded_timetable(workers: tuple[Worker, Worker]) -> None:
    worker, supervisor = workers
    with supervisor.sessions.begin() as session:
        add_extension(session, rome(2026, 11, 28), rome(2026, 11, 29), None, None, "cli", now=LINE_OPEN_AT)
    loaded = worker.schedule.current(SATURDAY_NOON)
    with supervisor.engine.begin() as connection:
        connection.execute(text("DROP TABLE hours_schedule_version"))
    with pytest.raises(SQLAlchemyError, match="hours_schedule_version"):
        worker.schedule.current(SATURDAY_NOON)
    assert worker.schedule.for_call(SATURDAY_NOON) is loaded


def test_with_the_database_down_from_the_start_a_call_gets_the_configured_hours(tmp_path: Path) -> None:
    settings = make_settings("postgresql+psycopg://postgres@127.0.0.1:1/none", tmp_path)
    worker = Worker(settings.database.url, settings)
    timetable = worker.schedule.for_call(rome(2026, 12, 25, 10))
    assert timetable is worker.schedule.configured
    assert timetable.state_at(rome(2026, 12, 25, 10)).holiday_name == "Natale"
    worker.engine.dispose()
