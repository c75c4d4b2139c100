"""Properties over random instants 2026-2031 and random schedules, extensions and closures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from hours.clock import dates_between
from hours.model import Band, Closure, Extension, LocalHoliday, WeeklySchedule
from hours.timetable import Timetable

ROME = ZoneInfo("Europe/Rome")
UTC = UTC
STEP = timedelta(minutes=30)
ONE_MICROSECOND = timedelta(microseconds=1)
CHECKED_SPAN = timedelta(days=4)
DST_CHANGES = [datetime(year, month, day, 1, tzinfo=UTC) for year, month, day in (
    (2026, 3, 29), (2026, 10, 25), (2027, 3, 28), (2027, 10, 31), (2028, 3, 26), (2028, 10, 29),
    (2029, 3, 25), (2029, 10, 28), (2030, 3, 31), (2030, 10, 27), (2031, 3, 30), (2031, 10, 26))]
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


@dataclass(frozen=True)
class Scenario:
    """A timetable and an instant to ask it about."""

    timetable: Timetable
    moment: datetime


def _bands(edges: list[int]) -> tuple[Band, ...]:
    """Bands from distinct half-hour indexes taken in pairs."""
    ordered = sorted(edges)
    return tuple(Band(start * 30, end * 30) for start, end in zip(ordered[::2], ordered[1::2], strict=False))


half_hour_edges = st.lists(st.integers(0, 48), unique=True, max_size=4)
instants = st.one_of(
    st.datetimes(datetime(2026, 1, 1), datetime(2031, 12, 31), timezones=st.just(UTC)),
    st.builds(lambda change, offset: change + offset, st.sampled_from(DST_CHANGES),
              st.timedeltas(-timedelta(days=3), timedelta(days=3))),
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A random weekly schedule with extensions and closures on half-hours near a random instant."""
    moment = draw(instants)
    anchor = moment.replace(minute=0, second=0, microsecond=0)
    schedule = WeeklySchedule(tuple(_bands(draw(half_hour_edges)) for _ in range(7)))

    def span(max_steps: int) -> tuple[datetime, datetime]:
        start = anchor + STEP * draw(st.integers(-144, 240))
        return start, start + STEP * draw(st.integers(1, max_steps))

    extensions = []
    for number in range(draw(st.integers(0, 4))):
        bands = _bands(draw(st.lists(st.integers(0, 48), unique=True, min_size=2, max_size=4)))
        extensions.append(Extension(f"x{number}", *span(192), bands=draw(st.sampled_from([None, bands])),
                                    announcement=draw(st.sampled_from([None, f"avviso {number}"]))))
    closures = [Closure(f"c{number}", *span(96)) for number in range(draw(st.integers(0, 3)))]
    return Scenario(Timetable(schedule, extensions=tuple(extensions), closures=tuple(closures)), moment)


@cache
def national_holidays(year: int) -> frozenset[date]:
    """Italy's national holiday dates of a year, straight from the library."""
    return frozenset(holidays.country_holidays("IT", years=year))


def reference_is_open(timetable: Timetable, moment: datetime) -> bool:
    """The precedence rules read literally, by linear scans and the holidays library."""
    if any(item.starts_at <= moment < item.ends_at for item in timetable.closures):
        return False
    local = moment.astimezone(ROME)
    minute = local.hour * 60 + local.minute
    if any(item.starts_at <= moment < item.ends_at and item.is_open_at(minute) for item in timetable.extensions):
        return True
    if local.date() in national_holidays(local.year):
        return False
    return timetable.schedule.is_open(local.weekday(), minute)


def probes(scenario: Scenario, end: datetime) -> list[datetime]:
    """Instants in [moment, end) worth checking: a half-hour grid, range edges and just before them."""
    start = scenario.moment
    last = min(end, start + CHECKED_SPAN)
    grid_start = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    grid = [grid_start + STEP * index for index in range(int((last - grid_start) / STEP) + 1)]
    items = scenario.timetable.extensions + scenario.timetable.closures
    edges = [edge for item in items for edge in (item.starts_at, item.ends_at)]
    candidates = grid + edges + [edge - ONE_MICROSECOND for edge in edges] + [start, end - ONE_MICROSECOND]
    return sorted({point for point in candidates if start <= point < last})


def assert_constant_until_next_change(scenario: Scenario) -> None:
    """The state holds on [moment, next_change) and differs at next_change."""
    timetable, moment = scenario.timetable, scenario.moment
    is_open = timetable.state_at(moment).is_open
    change = timetable.next_change(moment)
    end = change if change is not None else moment + CHECKED_SPAN
    for probe in probes(scenario, end):
        assert timetable.state_at(probe).is_open == is_open, probe
    if change is not None:
        assert change > moment
        assert timetable.state_at(change).is_open != is_open


def assert_next_opening_is_the_first_open_instant(scenario: Scenario) -> None:
    """next_opening is the moment itself when open, else open with nothing open before it."""
    timetable, moment = scenario.timetable, scenario.moment
    opening = timetable.next_opening(moment)
    if timetable.state_at(moment).is_open:
        assert opening == moment
        return
    end = opening if opening is not None else moment + CHECKED_SPAN
    assert not any(timetable.state_at(probe).is_open for probe in probes(scenario, end))
    if opening is not None:
        assert timetable.state_at(opening).is_open
        assert opening == timetable.next_change(moment)


@st.composite
def night_scenarios(draw: st.DrawFn) -> Scenario:
    """The same night bands (00:00-06:00) every day, asked about within hours of a DST change."""
    bands = _bands(draw(st.lists(st.integers(0, 12), unique=True, min_size=2, max_size=4)))
    change = draw(st.sampled_from(DST_CHANGES))
    moment = change + draw(st.timedeltas(-timedelta(hours=6), timedelta(hours=2)))
    return Scenario(Timetable(WeeklySchedule((bands,) * 7)), moment)


@PROPERTY_SETTINGS
@given(scenarios())
def test_state_is_constant_until_next_change_and_differs_there(scenario: Scenario) -> None:
    assert_constant_until_next_change(scenario)


@PROPERTY_SETTINGS
@given(scenarios())
def test_next_opening_is_open_and_nothing_before_it_is(scenario: Scenario) -> None:
    assert_next_opening_is_the_first_open_instant(scenario)


@PROPERTY_SETTINGS
@given(night_scenarios())
def test_next_change_and_next_opening_around_dst_changes(scenario: Scenario) -> None:
    assert_constant_until_next_change(scenario)
    assert_next_opening_is_the_first_open_instant(scenario)


@PROPERTY_SETTINGS
@given(scenarios(), st.lists(st.timedeltas(timedelta(0), timedelta(days=3)), min_size=1, max_size=8))
def test_state_matches_the_rules_read_literally(scenario: Scenario, offsets: list[timedelta]) -> None:
    for probe in [scenario.moment + offset for offset in offsets] + probes(scenario, scenario.moment + STEP * 8):
        assert scenario.timetable.state_at(probe).is_open == reference_is_open(scenario.timetable, probe), probe


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_the_zone_of_the_question_does_not_matter(scenario: Scenario) -> None:
    timetable, moment = scenario.timetable, scenario.moment
    expected = timetable.state_at(moment)
    for zone in (ROME, ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")):
        assert timetable.state_at(moment.astimezone(zone)) == expected


@PROPERTY_SETTINGS
@given(st.dates(date(2025, 1, 1), date(2032, 12, 31)), st.integers(-3, 800))
def test_dates_between_lists_each_calendar_day_once_in_order(first: date, span: int) -> None:
    last = first + timedelta(days=span)
    days = dates_between(first, last)
    assert len(days) == max(span + 1, 0)
    assert all(later - earlier == timedelta(days=1) for earlier, later in pairwise(days))
    assert not days or (days[0], days[-1]) == (first, last)


@PROPERTY_SETTINGS
@given(st.dates(date(2000, 1, 1), date(2000, 12, 31)), st.integers(1900, 2200))
def test_a_local_holiday_falls_on_its_day_every_year_that_has_it(day_in_a_leap_year: date, year: int) -> None:
    holiday = LocalHoliday(day_in_a_leap_year.month, day_in_a_leap_year.day)
    try:
        expected: date | None = date(year, holiday.month, holiday.day)
    except ValueError:  # 29 February of a common year
        expected = None
    assert holiday.in_year(year) == expected
