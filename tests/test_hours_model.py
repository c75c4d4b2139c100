"""Parsing and validating times, bands, weekly schedules, holidays, extensions and closures."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hours.model import (
    STANDARD_SCHEDULE,
    Band,
    ClosedDate,
    Closure,
    Extension,
    HoursError,
    LocalHoliday,
    WeeklySchedule,
    format_time,
    parse_time,
)
from hours.timetable import Timetable

ROME = ZoneInfo("Europe/Rome")


@pytest.mark.parametrize(("text", "minutes"), [
    ("00:00", 0), ("09:00", 540), ("9:30", 570), ("17:59", 1079), ("24:00", 1440), (" 18:00 ", 1080),
])
def test_parse_time_gives_minutes_since_midnight(text: str, minutes: int) -> None:
    assert parse_time(text) == minutes


@pytest.mark.parametrize("text", [
    "25:00", "09:60", "24:01", "9", "9h", "09:0", "", "ab:cd", "-1:00", "\u0660\u0669:00"])
def test_parse_time_rejects_and_names_the_value(text: str) -> None:
    with pytest.raises(HoursError, match=f"invalid time '{text.strip()}'"):
        parse_time(text)


def test_format_time_round_trips() -> None:
    assert [format_time(parse_time(text)) for text in ("00:00", "09:05", "24:00")] == ["00:00", "09:05", "24:00"]


def test_band_parse_and_str() -> None:
    band = Band.parse("09:00-18:00")
    assert (band.start, band.end, str(band)) == (540, 1080, "09:00-18:00")
    assert Band.parse("00:00-24:00").is_all_day
    assert band.contains(540) and band.contains(1079) and not band.contains(1080) and not band.contains(539)


@pytest.mark.parametrize(("text", "detail"), [
    ("25:00-26:00", "invalid time '25:00'"),
    ("09:60-18:00", "invalid time '09:60'"),
    ("09:00-24:30", "invalid time '24:30'"),
    ("9-18", "invalid band '9-18'"),
    ("09:00", "invalid band '09:00'"),
    ("18:00-09:00", "invalid band '18:00-09:00': the start must come before the end"),
    ("09:00-09:00", "invalid band '09:00-09:00': the start must come before the end"),
])
def test_band_parse_rejects_and_names_the_value(text: str, detail: str) -> None:
    with pytest.raises(HoursError, match=detail):
        Band.parse(text)


def test_band_constructor_rejects_out_of_day_minutes() -> None:
    with pytest.raises(HoursError, match="1080-540"):
        Band(1080, 540)
    with pytest.raises(HoursError):
        Band(0, 1441)


def test_weekly_schedule_parse_allows_several_bands_and_sorts_them() -> None:
    schedule = WeeklySchedule.parse({"monday": ["14:00-18:00", "09:00-13:00"], "saturday": "09:00-12:00"})
    assert schedule.bands_on(0) == (Band.parse("09:00-13:00"), Band.parse("14:00-18:00"))
    assert schedule.bands_on(5) == (Band.parse("09:00-12:00"),)
    assert schedule.bands_on(6) == ()
    assert schedule.is_open(0, 12 * 60) and not schedule.is_open(0, 13 * 60) and schedule.is_open(0, 14 * 60)


def test_weekly_schedule_rejects_overlapping_bands_naming_them() -> None:
    with pytest.raises(HoursError, match="overlapping bands 09:00-13:00 and 12:00-18:00 on tuesday"):
        WeeklySchedule.parse({"tuesday": ["09:00-13:00", "12:00-18:00"]})


def test_weekly_schedule_allows_touching_bands() -> None:
    schedule = WeeklySchedule.parse({"monday": ["09:00-13:00", "13:00-18:00"]})
    assert schedule.is_open(0, 13 * 60)


def test_weekly_schedule_rejects_unknown_day_and_wrong_length() -> None:
    with pytest.raises(HoursError, match="unknown weekday 'lunedi'"):
        WeeklySchedule.parse({"lunedi": ["09:00-18:00"]})
    with pytest.raises(HoursError, match="7 days"):
        WeeklySchedule(((),) * 6)


def test_standard_schedule_is_monday_to_friday_nine_to_six() -> None:
    assert [len(STANDARD_SCHEDULE.bands_on(day)) for day in range(7)] == [1, 1, 1, 1, 1, 0, 0]
    assert str(STANDARD_SCHEDULE.bands_on(4)[0]) == "09:00-18:00"


def test_extension_and_closure_need_aware_ordered_ranges() -> None:
    start, end = datetime(2026, 11, 28, 8, tzinfo=ROME), datetime(2026, 11, 29, 8, tzinfo=ROME)
    with pytest.raises(HoursError, match=r"extension 'x1'.*no time zone"):
        Extension("x1", start.replace(tzinfo=None), end)
    with pytest.raises(HoursError, match="closure 'c1': starts at 2026-11-29T08:00:00\\+01:00"):
        Closure("c1", end, start)
    with pytest.raises(HoursError, match="use None for all day"):
        Extension("x2", start, end, bands=())
    with pytest.raises(HoursError, match=r"overlapping bands .* on extension 'x3'"):
        Extension("x3", start, end, bands=(Band.parse("08:00-20:00"), Band.parse("19:00-21:00")))


def test_local_holiday_and_closed_date_parse() -> None:
    assert LocalHoliday.parse("06-29", "Santi Pietro e Paolo") == LocalHoliday(6, 29, "Santi Pietro e Paolo")
    assert LocalHoliday(2, 29).in_year(2027) is None and LocalHoliday(2, 29).in_year(2028) == date(2028, 2, 29)
    assert ClosedDate.parse("2026-12-24") == ClosedDate(date(2026, 12, 24))
    with pytest.raises(HoursError, match="'6-29'"):
        LocalHoliday.parse("6-29")
    with pytest.raises(HoursError, match="02-30"):
        LocalHoliday(2, 30)
    with pytest.raises(HoursError, match="'2026-13-01'"):
        ClosedDate.parse("2026-13-01")


def test_timetable_rejects_unknown_time_zone() -> None:
    with pytest.raises(HoursError, match="'Europe/Roma'"):
        Timetable(STANDARD_SCHEDULE, timezone="Europe/Roma")
