"""Extensions and closures in the database (SQLite and PostgreSQL): stored, listed, cancelled, versioned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, insert, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hours import Band, Closure, Extension, HoursError
from storage.hours_repository import (
    MAX_TEXT_CHARS,
    add_closure,
    add_extension,
    cancel_entry,
    list_entries,
    load_ranges,
    schedule_version,
)
from storage.models import HoursExtension
from tests.conftest import LINE_OPEN_AT

ROME = ZoneInfo("Europe/Rome")
UTC = UTC


def rome(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Europe/Rome wall-clock datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


def test_the_migration_creates_the_tables_and_the_version_row(engine: Engine,
                                                              sessions: sessionmaker[Session]) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {"hours_extensions", "hours_closures", "hours_schedule_version"} <= tables
    with sessions() as session:
        assert schedule_version(session) == 0


def test_an_extension_is_stored_in_utc_and_read_back_as_the_engines_value(sessions: sessionmaker[Session]) -> None:
    bands = (Band.parse("21:00-23:00"), Band.parse("08:00-20:00"))
    with sessions.begin() as session:
        added = add_extension(session, rome(2026, 11, 28, 8), rome(2026, 12, 6, 20), bands,
                              "  Allerta   meteo  ", "sala operativa", now=LINE_OPEN_AT)
    assert added.id == "E1"
    assert added.bands == (Band.parse("08:00-20:00"), Band.parse("21:00-23:00"))
    assert added.announcement == "Allerta meteo"
    with sessions() as session:
        row = session.get(HoursExtension, 1)
        assert row is not None
        assert row.starts_at == datetime(2026, 11, 28, 7, tzinfo=UTC) and row.starts_at.tzinfo == UTC
        assert row.bands == "08:00-20:00,21:00-23:00"
        assert row.created_by == "sala operativa" and row.cancelled_at is None
        extensions, closures = load_ranges(session, rome(2026, 11, 27))
    assert extensions == (Extension("E1", rome(2026, 11, 28, 8), rome(2026, 12, 6, 20), added.bands, "Allerta meteo"),)
    assert closures == ()


def test_an_all_day_extension_stores_null_bands(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        add_extension(session, rome(2026, 11, 28), rome(2026, 11, 30), None, None, "cli", now=LINE_OPEN_AT)
    with sessions() as session:
        assert session.get(HoursExtension, 1).bands is None  # type: ignore[union-attr]
        [extension], _ = load_ranges(session, rome(2026, 11, 27))
    assert extension.bands is None and extension.announcement is None


def test_a_closure_is_stored_and_read_back(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        added = add_closure(session, rome(2026, 12, 2, 13), rome(2026, 12, 2, 15), "manutenzione", "cli",
                            now=LINE_OPEN_AT)
    assert added == Closure("C1", rome(2026, 12, 2, 13), rome(2026, 12, 2, 15), "manutenzione")
    with sessions() as session:
        assert load_ranges(session, rome(2026, 12, 1)) == ((), (added,))


@pytest.mark.parametrize(("starts_at", "ends_at", "bands", "text", "message"), [
    (rome(2026, 11, 28), rome(2026, 11, 27), None, None, "not before its end"),
    (rome(2026, 11, 28), rome(2026, 11, 28), None, None, "not before its end"),
    (datetime(2026, 11, 28), rome(2026, 11, 29), None, None, "no time zone"),
    (rome(2026, 11, 28), rome(2026, 11, 29), (Band.parse("08:00-12:00"), Band.parse("11:00-13:00")), None,
     "overlapping bands"),
    (rome(2026, 11, 28), rome(2026, 11, 29), (), None, "has no bands"),
    (rome(2026, 11, 28), rome(2026, 11, 29), None, "x" * (MAX_TEXT_CHARS + 1), "at most"),
])
def test_an_invalid_extension_is_refused_and_nothing_is_stored(
        sessions: sessionmaker[Session], starts_at: datetime, ends_at: datetime, bands: tuple[Band, ...] | None,
        text: str | None, message: str) -> None:
    with pytest.raises(HoursError, match=message), sessions.begin() as session:
        add_extension(session, starts_at, ends_at, bands, text, "cli", now=LINE_OPEN_AT)
    with sessions() as session:
        assert list_entries(session, include_cancelled=True) == []
        assert schedule_version(session) == 0


def test_the_database_itself_refuses_a_range_that_ends_before_it_starts(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.execute(insert(HoursExtension).values(
            starts_at=rome(2026, 11, 29), ends_at=rome(2026, 11, 28), created_by="sql"))


def test_every_change_bumps_the_version_in_its_own_transaction(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        add_extension(session, rome(2026, 11, 28), rome(2026, 11, 30), None, None, "cli", now=LINE_OPEN_AT)
    with sessions.begin() as session:
        add_closure(session, rome(2026, 12, 2), rome(2026, 12, 3), None, "cli", now=LINE_OPEN_AT)
    with sessions() as session:
        assert schedule_version(session) == 2
    with sessions.begin() as session:
        cancel_entry(session, "e1", "cli", now=LINE_OPEN_AT)
    with sessions.begin() as session:
        cancel_entry(session, "E1", "cli", now=LINE_OPEN_AT)  # already cancelled: no change, no bump
    with sessions() as session:
        assert schedule_version(session) == 3
    with pytest.raises(RuntimeError), sessions.begin() as session:
        add_closure(session, rome(2026, 12, 5), rome(2026, 12, 6), None, "cli", now=LINE_OPEN_AT)
        raise RuntimeError("rolled back")
    with sessions() as session:
        assert schedule_version(session) == 3
        assert [entry.id for entry in list_entries(session, include_cancelled=True)] == ["E1", "C1"]


def test_cancelling_keeps_the_row_but_takes_it_out_of_the_timetable(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        add_extension(session, rome(2026, 11, 28), rome(2026, 11, 30), None, "Allerta", "cli", now=LINE_OPEN_AT)
        add_closure(session, rome(2026, 11, 29), rome(2026, 11, 30), "guasto", "cli", now=LINE_OPEN_AT)
    with sessions.begin() as session:
        entry, cancelled = cancel_entry(session, "C1", "supervisore", now=LINE_OPEN_AT)
    assert cancelled and entry.id == "C1" and entry.kind == "closure" and entry.cancelled_at is not None
    with sessions.begin() as session:
        again, cancelled_again = cancel_entry(session, "c1", "supervisore", now=LINE_OPEN_AT)
    assert not cancelled_again and again.cancelled_at == entry.cancelled_at
    with sessions() as session:
        extensions, closures = load_ranges(session, rome(2026, 11, 27))
        assert [item.id for item in extensions] == ["E1"] and closures == ()
        assert [item.id for item in list_entries(session)] == ["E1"]
        listed = list_entries(session, include_cancelled=True)
    assert [(item.id, item.status_at(rome(2026, 11, 28, 12))) for item in listed] == [
        ("E1", "active"), ("C1", "cancelled")]


@pytest.mark.parametrize("entry_id", ["E9", "C1", "X1", "", "E", "12", "E1x", "E99999999999999999999"])
def test_cancelling_an_unknown_id_says_so(sessions: sessionmaker[Session], entry_id: str) -> None:
    with sessions.begin() as session:
        add_extension(session, rome(2026, 11, 28), rome(2026, 11, 30), None, None, "cli", now=LINE_OPEN_AT)
    with pytest.raises(HoursError, match="no extension or closure with id"), sessions.begin() as session:
        cancel_entry(session, entry_id, "cli", now=LINE_OPEN_AT)


def test_only_ranges_still_in_force_are_loaded_and_listed_by_start(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        add_extension(session, rome(2026, 12, 5), rome(2026, 12, 8), None, None, "cli", now=LINE_OPEN_AT)
        add_extension(session, rome(2026, 11, 1), rome(2026, 11, 2), None, None, "cli", now=LINE_OPEN_AT)
        add_closure(session, rome(2026, 11, 27, 18), rome(2026, 11, 28, 9), None, "cli", now=LINE_OPEN_AT)
    now = rome(2026, 11, 28)
    with sessions() as session:
        extensions, closures = load_ranges(session, now)
        assert [item.id for item in extensions] == ["E1"] and [item.id for item in closures] == ["C1"]
        assert [(item.id, item.status_at(now)) for item in list_entries(session, ending_after=now)] == [
            ("C1", "active"), ("E1", "upcoming")]
        assert [(item.id, item.status_at(now)) for item in list_entries(session)] == [
            ("E2", "past"), ("C1", "active"), ("E1", "upcoming")]
        # A range is half-open: one that ends exactly now is no longer in force.
        assert load_ranges(session, rome(2026, 11, 28, 9))[1] == ()


def test_the_author_is_trimmed_and_never_empty(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        add_closure(session, rome(2026, 12, 2), rome(2026, 12, 3), "  ", "   ", now=LINE_OPEN_AT)
        add_closure(session, rome(2026, 12, 4), rome(2026, 12, 5), None, "a" * 300, now=LINE_OPEN_AT)
    with sessions() as session:
        first, second = list_entries(session)
    assert (first.created_by, first.text) == ("unknown", None)
    assert second.created_by == "a" * 120


def test_ranges_keep_their_instant_across_the_autumn_change(sessions: sessionmaker[Session]) -> None:
    first_pass = datetime(2026, 10, 25, 2, 30, tzinfo=ROME, fold=0)
    second_pass = datetime(2026, 10, 25, 2, 30, tzinfo=ROME, fold=1)
    with sessions.begin() as session:
        add_closure(session, first_pass, second_pass, "cambio dell'ora", "cli", now=LINE_OPEN_AT)
    with sessions() as session:
        [closure] = load_ranges(session, rome(2026, 10, 24))[1]
    assert closure.ends_at - closure.starts_at == timedelta(hours=1)
