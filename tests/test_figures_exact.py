"""Every figure of a known data set, exactly, on SQLite and PostgreSQL: an event against its ordinary period."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from figures.compute import compare, compute_figures
from figures.model import Distribution, Figures
from figures.opening import timetable_with_stored_ranges
from figures.period import Period
from storage.hours_repository import add_extension, cancel_entry
from tests.conftest import LINE_OPEN_AT
from tests.figures_dataset import (
    EVENT_PERIOD,
    ORDINARY_PERIOD,
    ROME,
    load_dataset,
    migrated_engine,
    rome,
    standard_timetable,
)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database holding the known data set."""
    engine = migrated_engine(database_url)
    load_dataset(engine)
    yield engine
    engine.dispose()


def _figures(engine: Engine, period: Period = EVENT_PERIOD) -> Figures:
    with Session(engine) as session:
        return compute_figures(session, period, standard_timetable())


def _hours(**counts: int) -> tuple[int, ...]:
    """24 hourly counts from h08=1 style keywords."""
    return tuple(counts.get(f"h{hour:02d}", 0) for hour in range(24))


def test_calls_per_local_day_and_hour(engine: Engine) -> None:
    figures = _figures(engine)
    assert figures.calls.per_day == {date(2026, 5, 20): 6, date(2026, 5, 21): 3, date(2026, 5, 22): 1}
    assert figures.calls.per_hour == _hours(h00=1, h08=1, h09=1, h10=2, h11=2, h17=1, h18=1, h23=1)
    assert figures.calls.total == 10


def test_outcome_of_calls(engine: Engine) -> None:
    figures = _figures(engine)
    assert figures.calls.by_outcome == {
        "self_service": 1, "operator": 3, "message": 3, "abandoned": 2, "unknown": 1}
    assert figures.calls.per_day_outcome[date(2026, 5, 21)] == {"message": 1, "operator": 1, "unknown": 1}


def test_answer_rate_counts_only_calls_started_while_open(engine: Engine) -> None:
    figures = _figures(engine)
    assert (figures.answer_rate.calls_while_open, figures.answer_rate.answered) == (6, 3)
    assert figures.answer_rate.rate == 0.5


def test_a_stored_crisis_extension_opens_the_line_for_the_answer_rate(engine: Engine) -> None:
    with Session(engine) as session:
        add_extension(session, rome(2026, 5, 17, 9), rome(2026, 5, 17, 13), None, None, "supervisore", now=LINE_OPEN_AT)
        cancelled = add_extension(session, rome(2026, 5, 19, 20), rome(2026, 5, 20, 0), None, None, "supervisore",
                                  now=LINE_OPEN_AT)
        cancel_entry(session, cancelled.id, "supervisore", now=LINE_OPEN_AT)
        session.commit()
        timetable = timetable_with_stored_ranges(standard_timetable(), session)
        figures = compute_figures(session, ORDINARY_PERIOD, timetable)
    assert (figures.answer_rate.calls_while_open, figures.answer_rate.answered) == (4, 1)


def test_tickets_by_topic_and_channel(engine: Engine) -> None:
    tickets = _figures(engine).tickets
    assert tickets.total == 5
    assert tickets.by_topic == {"risks": 4, "legislation": 0, "department": 0, "national_service": 0,
                                "campaigns": 0, "other": 1}
    assert tickets.by_channel == {"phone": 3, "voicemail": 1, "web": 1, "email": 0, "fax": 0, "letter": 0}


def test_callbacks_reached_and_unreachable(engine: Engine) -> None:
    callbacks = _figures(engine).callbacks
    assert (callbacks.total, callbacks.reached, callbacks.unreachable, callbacks.still_open) == (5, 2, 1, 2)


def test_time_from_message_to_first_callback_attempt(engine: Engine) -> None:
    delay = _figures(engine).callbacks.delay
    # first attempts after 30 min, 9 h, 13 h and 15 h; the claimed entry has none yet
    assert delay.count == 4
    assert delay.median == (9 * 3600 + 13 * 3600) / 2
    assert delay.p90 == 13 * 3600 + 0.7 * (15 * 3600 - 13 * 3600)


def test_event_against_its_ordinary_period(engine: Engine) -> None:
    with Session(engine) as session:
        comparison = compare(session, EVENT_PERIOD, standard_timetable())
    ordinary = comparison.ordinary
    assert ordinary.period == ORDINARY_PERIOD
    assert ordinary.calls.per_day == {date(2026, 5, 17): 1, date(2026, 5, 18): 3, date(2026, 5, 19): 1}
    assert ordinary.calls.per_hour == _hours(h09=1, h10=1, h12=1, h15=1, h23=1)
    assert ordinary.calls.by_outcome == {
        "self_service": 0, "operator": 1, "message": 2, "abandoned": 2, "unknown": 0}
    assert (ordinary.answer_rate.calls_while_open, ordinary.answer_rate.answered) == (3, 1)
    assert ordinary.tickets.by_topic["campaigns"] == ordinary.tickets.total == 1
    assert ordinary.tickets.by_channel["phone"] == 1
    assert (ordinary.callbacks.total, ordinary.callbacks.reached, ordinary.callbacks.unreachable) == (1, 1, 0)
    assert ordinary.callbacks.delay == Distribution(1, 23 * 3600 + 30, 23 * 3600 + 30)
    assert comparison.events_in_ordinary == ()


def test_a_period_with_no_data_has_zeros_and_no_rates(engine: Engine) -> None:
    figures = _figures(engine, Period(date(2025, 1, 1), date(2025, 1, 31), ROME))
    assert figures.calls.total == 0 and len(figures.calls.per_day) == 31
    assert figures.answer_rate.calls_while_open == 0 and figures.answer_rate.rate is None
    assert figures.tickets.total == 0 and figures.callbacks.total == 0
    assert figures.callbacks.delay.median is None
