"""Daylight saving in Europe/Rome: last Sunday of March 02:00→03:00, last Sunday of October 03:00→02:00."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hours.model import STANDARD_SCHEDULE, WEEKDAY_KEYS, Band, Extension, WeeklySchedule
from hours.timetable import Timetable

ROME = ZoneInfo("Europe/Rome")
SPRING_SUNDAYS = [date(2026, 3, 29), date(2027, 3, 28)]
AUTUMN_SUNDAYS = [date(2026, 10, 25), date(2027, 10, 31)]
EASTER_2027 = date(2027, 3, 28)  # also a DST Sunday: closed as a holiday, and Easter Monday follows


def rome(day: date, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A Europe/Rome wall-clock time on a day (fold 0 when repeated)."""
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=ROME)


def utc(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A UTC instant on a day."""
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def open_on_sunday(sunday: date, band: str, via: str) -> Timetable:
    """A timetable open only on the band of that Sunday, by weekly schedule or by extension."""
    if via == "weekly":
        return Timetable(WeeklySchedule.parse({"sunday": [band]}))
    extension = Extension("dst", rome(sunday - timedelta(days=1)), rome(sunday + timedelta(days=1)),
                          bands=(Band.parse(band),))
    return Timetable(WeeklySchedule(((),) * 7), extensions=(extension,))


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Real time between two instants (aware subtraction in one zone would give wall-clock time)."""
    return end.astimezone(UTC) - start.astimezone(UTC)


def sunday_cases(sundays: list[date]) -> list[tuple[date, str]]:
    """Each Sunday opened by the weekly schedule and by an extension; Easter 2027 only by extension."""
    return [(sunday, via) for sunday in sundays for via in ("weekly", "extension")
            if not (sunday == EASTER_2027 and via == "weekly")]


def changes(timetable: Timetable, start: datetime, count: int) -> list[datetime]:
    """The next `count` change instants after start, in UTC."""
    found = []
    moment: datetime | None = start
    for _ in range(count):
        assert moment is not None
        moment = timetable.next_change(moment)
        assert moment is not None
        found.append(moment.astimezone(UTC))
    return found


def test_the_dst_sundays_are_the_expected_ones() -> None:
    for sunday in SPRING_SUNDAYS:
        assert rome(sunday, 1).utcoffset() == timedelta(hours=1)
        assert rome(sunday, 4).utcoffset() == timedelta(hours=2)
    for sunday in AUTUMN_SUNDAYS:
        assert rome(sunday, 1).utcoffset() == timedelta(hours=2)
        assert rome(sunday, 4).utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(("sunday", "monday", "hours_closed"), [
    (SPRING_SUNDAYS[0], date(2026, 3, 30), 62),
    (SPRING_SUNDAYS[1], date(2027, 3, 30), 86),  # the Tuesday: Monday is Easter Monday
])
def test_weekday_band_across_the_spring_change(sunday: date, monday: date, hours_closed: int) -> None:
    timetable = Timetable(STANDARD_SCHEDULE)
    friday = sunday - timedelta(days=2)
    assert not timetable.state_at(utc(friday, 7, 59, 59)).is_open
    assert timetable.state_at(utc(friday, 8)).is_open
    assert timetable.state_at(utc(friday, 16, 59, 59)).is_open
    assert not timetable.state_at(utc(friday, 17)).is_open
    assert not timetable.state_at(utc(monday, 6, 59, 59)).is_open
    assert timetable.state_at(utc(monday, 7)).is_open
    assert not timetable.state_at(utc(monday, 16)).is_open
    reopening = timetable.next_opening(rome(friday, 18))
    assert reopening == rome(monday, 9)
    assert elapsed(rome(friday, 18), reopening) == timedelta(hours=hours_closed)


@pytest.mark.parametrize(("sunday", "reopening_day"), [
    (AUTUMN_SUNDAYS[0], date(2026, 10, 26)),
    (AUTUMN_SUNDAYS[1], date(2027, 11, 2)),  # Monday 1 November 2027 is All Saints' Day
])
def test_weekday_band_across_the_autumn_change(sunday: date, reopening_day: date) -> None:
    timetable = Timetable(STANDARD_SCHEDULE)
    friday = sunday - timedelta(days=2)
    assert timetable.state_at(utc(friday, 7)).is_open
    assert not timetable.state_at(utc(friday, 16)).is_open
    assert not timetable.state_at(utc(reopening_day, 7, 59, 59)).is_open
    assert timetable.state_at(utc(reopening_day, 8)).is_open
    assert timetable.state_at(utc(reopening_day, 16, 59)).is_open
    assert not timetable.state_at(utc(reopening_day, 17)).is_open
    assert timetable.next_opening(rome(friday, 18)) == rome(reopening_day, 9)
    assert timetable.next_change(rome(reopening_day, 12)) == rome(reopening_day, 18)


@pytest.mark.parametrize(("sunday", "via"), sunday_cases(SPRING_SUNDAYS))
def test_night_band_is_an_hour_shorter_in_spring(sunday: date, via: str) -> None:
    timetable = open_on_sunday(sunday, "01:00-04:00", via)
    saturday = sunday - timedelta(days=1)
    assert changes(timetable, rome(saturday, 12), 2) == [utc(sunday, 0), utc(sunday, 2)]


@pytest.mark.parametrize(("sunday", "via"), sunday_cases(AUTUMN_SUNDAYS))
def test_night_band_is_an_hour_longer_in_autumn(sunday: date, via: str) -> None:
    timetable = open_on_sunday(sunday, "01:00-04:00", via)
    saturday = sunday - timedelta(days=1)
    assert changes(timetable, rome(saturday, 12), 2) == [utc(saturday, 23), utc(sunday, 3)]


@pytest.mark.parametrize(("sunday", "via"), sunday_cases(SPRING_SUNDAYS))
def test_band_starting_in_the_missing_hour_opens_at_the_change(sunday: date, via: str) -> None:
    timetable = open_on_sunday(sunday, "02:30-05:00", via)
    assert not timetable.state_at(utc(sunday, 0, 59, 59)).is_open
    assert timetable.state_at(utc(sunday, 1)).is_open
    assert timetable.next_opening(rome(sunday)) == utc(sunday, 1)
    assert timetable.next_opening(rome(sunday)) == rome(sunday, 3)
    assert timetable.next_change(rome(sunday, 3, 30)) == rome(sunday, 5)


@pytest.mark.parametrize(("sunday", "via"), sunday_cases(SPRING_SUNDAYS))
def test_band_ending_in_the_missing_hour_closes_at_the_change(sunday: date, via: str) -> None:
    timetable = open_on_sunday(sunday, "00:00-02:30", via)
    assert changes(timetable, rome(sunday, 0, 30), 1) == [utc(sunday, 1)]


@pytest.mark.parametrize(("sunday", "via"), sunday_cases(AUTUMN_SUNDAYS))
def test_band_in_the_repeated_hour_applies_to_both_passes(sunday: date, via: str) -> None:
    timetable = open_on_sunday(sunday, "00:00-02:30", via)
    saturday = sunday - timedelta(days=1)
    assert changes(timetable, rome(saturday, 12), 4) == [
        utc(saturday, 22), utc(sunday, 0, 30), utc(sunday, 1), utc(sunday, 1, 30)]
    second_pass = datetime(sunday.year, sunday.month, sunday.day, 2, 15, tzinfo=ROME, fold=1)
    assert timetable.state_at(second_pass).is_open
    assert not timetable.state_at(utc(sunday, 0, 45)).is_open


@pytest.mark.parametrize(("sunday", "hours_open"), [
    (SPRING_SUNDAYS[0], 11), (SPRING_SUNDAYS[1], 11), (AUTUMN_SUNDAYS[0], 13), (AUTUMN_SUNDAYS[1], 13)])
def test_all_day_extension_across_the_dst_night(sunday: date, hours_open: int) -> None:
    saturday = sunday - timedelta(days=1)
    night = Extension("night", rome(saturday, 20), rome(sunday, 8))
    timetable = Timetable(STANDARD_SCHEDULE, extensions=(night,))
    assert timetable.state_at(rome(sunday, 3, 30)).reason == "extension"
    end = timetable.next_change(rome(saturday, 21))
    assert end == rome(sunday, 8)
    assert elapsed(rome(saturday, 20), end) == timedelta(hours=hours_open)


@pytest.mark.parametrize("sunday", SPRING_SUNDAYS + AUTUMN_SUNDAYS)
def test_extension_bands_follow_the_local_clock_over_the_dst_weekend(sunday: date) -> None:
    saturday, monday = sunday - timedelta(days=1), sunday + timedelta(days=1)
    daytime = Extension("daytime", rome(saturday), rome(monday), bands=(Band.parse("08:00-20:00"),))
    timetable = Timetable(STANDARD_SCHEDULE, extensions=(daytime,))
    assert changes(timetable, rome(saturday, 12), 3) == [
        rome(saturday, 20), rome(sunday, 8), rome(sunday, 20)]


def test_round_the_clock_schedule_has_no_change_at_dst() -> None:
    always = Timetable(WeeklySchedule.parse({day: "00:00-24:00" for day in WEEKDAY_KEYS}))
    for sunday in [SPRING_SUNDAYS[0], *AUTUMN_SUNDAYS]:  # Easter fell on the 2027 spring Sunday
        assert always.next_change(rome(sunday - timedelta(days=1), 12), horizon=timedelta(hours=30)) is None
    easter_2027 = SPRING_SUNDAYS[1]
    assert always.next_change(rome(easter_2027 - timedelta(days=1), 12)) == rome(easter_2027)
    assert always.next_change(rome(easter_2027, 12)) == rome(easter_2027 + timedelta(days=2))
