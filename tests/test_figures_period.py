"""Report periods: parsing, local midnights, the ordinary period, the opening intervals."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from figures import formatting
from figures.localtime import offset_transitions
from figures.opening import open_intervals
from figures.period import Period, PeriodError, parse_day
from figures.queries import percentile_of_sorted
from tests.figures_dataset import ROME, standard_timetable

UTC = UTC


@pytest.mark.parametrize("text", ["2012-05-20", "20/05/2012", " 20/5/2012 "])
def test_dates_are_read_in_both_forms(text: str) -> None:
    assert parse_day(text) == date(2012, 5, 20)


@pytest.mark.parametrize("text", ["2012-02-30", "31/04/2012", "ieri", "", "2012/05/20"])
def test_impossible_dates_are_refused_with_the_value(text: str) -> None:
    with pytest.raises(PeriodError, match="invalid date"):
        parse_day(text)


def test_a_reversed_or_huge_period_is_refused() -> None:
    with pytest.raises(PeriodError, match=r"ends .* before it starts"):
        Period.parse("16/06/2012", "20/05/2012", ROME)
    with pytest.raises(PeriodError, match="at most"):
        Period.parse("2000-01-01", "2010-01-01", ROME)


def test_period_runs_between_local_midnights() -> None:
    period = Period(date(2026, 3, 28), date(2026, 3, 29), ROME)
    assert period.starts_at == datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    assert period.ends_at == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert Period.from_instants(period.starts_at, period.ends_at, ROME) == period


def test_ordinary_period_is_the_same_number_of_days_just_before() -> None:
    emilia = Period.parse("20/05/2012", "16/06/2012", ROME)
    assert emilia.day_count == 28
    assert emilia.preceding() == Period(date(2012, 4, 22), date(2012, 5, 19), ROME)
    assert not emilia.preceding().overlaps(emilia)


def test_open_intervals_follow_the_timetable_and_its_holidays() -> None:
    period = Period(date(2026, 5, 29), date(2026, 6, 2), ROME)  # Fri, weekend, Mon, Tue 2 June (holiday)
    assert open_intervals(standard_timetable(), period) == [
        (datetime(2026, 5, 29, 7, 0, tzinfo=UTC), datetime(2026, 5, 29, 16, 0, tzinfo=UTC)),
        (datetime(2026, 6, 1, 7, 0, tzinfo=UTC), datetime(2026, 6, 1, 16, 0, tzinfo=UTC)),
    ]


def test_percentiles_interpolate_like_postgresql_percentile_cont() -> None:
    assert percentile_of_sorted([10.0], 0.9) == 10.0
    assert percentile_of_sorted([10.0, 20.0], 0.5) == 15.0
    assert percentile_of_sorted([60.0, 120.0, 600.0, 3600.0], 0.9) == pytest.approx(2700.0)
    assert percentile_of_sorted([], 0.5) is None


def test_italian_formatting() -> None:
    assert formatting.integer(1234567) == "1.234.567"
    assert formatting.decimal(1234.25, 2) == "1.234,25"
    assert formatting.percent(0.734) == "73,4 %"
    assert formatting.signed_percent(1.0) == "+100,0 %"
    assert formatting.signed_percent(-0.5) == "\u221250,0 %"
    assert formatting.signed_points(1 / 6) == "+16,7 punti"
    assert [formatting.duration(value) for value in (45, 720, 3900, 93600, None)] == [
        "45 s", "12 min", "1 h 05 min", "1 g 2 h", "n.d."]
    assert formatting.day_span(date(2012, 5, 20), date(2012, 6, 16)) == "dal 20/05/2012 al 16/06/2012"


def test_offset_transitions_of_a_whole_year() -> None:
    assert offset_transitions(Period(date(2026, 1, 1), date(2026, 12, 31), ROME)) == [
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 10, 25, 1, 0, tzinfo=UTC)]
