"""Open or closed at an instant: weekly boundaries, holidays, extensions, closures, next opening."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
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
)
from hours.timetable import Timetable

ROME = ZoneInfo("Europe/Rome")
ROME_PATRONS = LocalHoliday(6, 29, "Santi Pietro e Paolo")


def rome(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
         microsecond: int = 0) -> datetime:
    """A Europe/Rome wall-clock datetime."""
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=ROME)


def standard(**parts: object) -> Timetable:
    """The Monday-Friday 9-18 timetable with Rome's patrons and the given extras."""
    return Timetable(STANDARD_SCHEDULE, local_holidays=(ROME_PATRONS,), **parts)  # type: ignore[arg-type]


def is_open(timetable: Timetable, moment: datetime) -> bool:
    """Whether the line is open at the moment."""
    return timetable.state_at(moment).is_open


@pytest.mark.parametrize(("moment", "expected"), [
    (rome(2026, 11, 30, 8, 59, 59), False),
    (rome(2026, 11, 30, 9, 0, 0), True),
    (rome(2026, 11, 30, 17, 59, 59), True),
    (rome(2026, 11, 30, 18, 0, 0), False),
    (rome(2026, 11, 30, 17, 59, 59, 999999), True),
    (rome(2026, 12, 4, 12), True),
    (rome(2026, 11, 28, 12), False),
    (rome(2026, 11, 29, 12), False),
])
def test_weekly_boundaries(moment: datetime, expected: bool) -> None:
    state = standard().state_at(moment)
    assert state.is_open is expected
    assert state.reason == ("weekly" if expected else "outside_hours")


def test_the_instant_not_the_wall_clock_of_the_argument_counts() -> None:
    timetable = standard()
    assert is_open(timetable, datetime(2026, 11, 30, 8, 0, tzinfo=UTC))  # 9:00 in Rome
    assert not is_open(timetable, datetime(2026, 11, 30, 7, 59, tzinfo=UTC))
    assert is_open(timetable, datetime(2026, 11, 30, 3, 0, tzinfo=ZoneInfo("America/New_York")))


def test_naive_datetimes_are_rejected() -> None:
    timetable = standard()
    for question in (timetable.state_at, timetable.next_opening, timetable.next_change,
                     timetable.active_announcements):
        with pytest.raises(HoursError, match="naive datetime 2026-11-30T09:00:00"):
            question(datetime(2026, 11, 30, 9))


def test_several_bands_a_day() -> None:
    schedule = WeeklySchedule.parse({"monday": ["09:00-13:00", "14:00-18:00"]})
    timetable = Timetable(schedule)
    assert is_open(timetable, rome(2026, 11, 30, 12, 59))
    assert not is_open(timetable, rome(2026, 11, 30, 13, 30))
    assert timetable.next_change(rome(2026, 11, 30, 12)) == rome(2026, 11, 30, 13)
    assert timetable.next_opening(rome(2026, 11, 30, 13, 30)) == rome(2026, 11, 30, 14)


def _national_holidays_2026_2030() -> list[tuple[date, str]]:
    """Every national holiday of 2026-2030, from the library, with its Italian name."""
    return sorted(holidays.country_holidays("IT", years=range(2026, 2031), language="it_IT").items())


@pytest.mark.parametrize(("day", "name"), _national_holidays_2026_2030())
def test_every_national_holiday_is_closed(day: date, name: str) -> None:
    state = standard().state_at(rome(day.year, day.month, day.day, 12))
    assert (state.is_open, state.reason, state.holiday_name) == (False, "holiday", name)


@pytest.mark.parametrize("easter_monday", [date(2026, 4, 6), date(2027, 3, 29)])
def test_easter_monday_is_closed(easter_monday: date) -> None:
    timetable = standard()
    state = timetable.state_at(rome(easter_monday.year, easter_monday.month, easter_monday.day, 10))
    assert (state.is_open, state.holiday_name) == (False, "Lunedì dell'Angelo")
    tuesday = easter_monday + timedelta(days=1)
    assert timetable.next_opening(rome(easter_monday.year, easter_monday.month, easter_monday.day, 10)) == rome(
        tuesday.year, tuesday.month, tuesday.day, 9)


def test_christmas_eve_is_an_ordinary_day_and_christmas_is_not() -> None:
    timetable = standard()
    assert is_open(timetable, rome(2026, 12, 24, 10))
    assert standard().state_at(rome(2026, 12, 25, 10)).holiday_name == "Natale"
    assert timetable.next_opening(rome(2026, 12, 24, 18)) == rome(2026, 12, 28, 9)


@pytest.mark.parametrize("year", [2026, 2027, 2030])
def test_rome_patrons_local_holiday(year: int) -> None:
    timetable = standard()
    state = timetable.state_at(rome(year, 6, 29, 10))
    assert (state.is_open, state.reason, state.holiday_name) == (False, "holiday", "Santi Pietro e Paolo")


def test_rome_patrons_on_a_weekday_would_be_open_without_the_local_holiday() -> None:
    assert is_open(Timetable(STANDARD_SCHEDULE), rome(2026, 6, 29, 10))


def test_one_off_closed_date() -> None:
    timetable = standard(closed_dates=(ClosedDate(date(2026, 12, 31), "chiusura di fine anno"),))
    state = timetable.state_at(rome(2026, 12, 31, 10))
    assert (state.is_open, state.reason, state.holiday_name) == (False, "holiday", "chiusura di fine anno")
    assert is_open(timetable, rome(2026, 12, 30, 10))
    assert timetable.next_change(rome(2026, 12, 30, 10)) == rome(2026, 12, 30, 18)


def test_names_of_a_local_holiday_on_a_national_one_are_joined() -> None:
    timetable = Timetable(STANDARD_SCHEDULE, local_holidays=(LocalHoliday(12, 8, "Festa patronale"),))
    assert timetable.state_at(rome(2026, 12, 8, 10)).holiday_name == "Immacolata Concezione; Festa patronale"


def test_all_day_extension_across_midnight() -> None:
    night = Extension("night", rome(2026, 11, 28, 20), rome(2026, 11, 29, 8), announcement="Allerta meteo")
    timetable = standard(extensions=(night,))
    assert not is_open(timetable, rome(2026, 11, 28, 19, 59, 59))
    for moment in (rome(2026, 11, 28, 20), rome(2026, 11, 29, 0), rome(2026, 11, 29, 7, 59, 59)):
        state = timetable.state_at(moment)
        assert (state.is_open, state.reason, state.extension_id, state.announcement) == (
            True, "extension", "night", "Allerta meteo")
    assert timetable.state_at(rome(2026, 11, 29, 8)).reason == "outside_hours"
    assert timetable.next_change(rome(2026, 11, 28, 21)) == rome(2026, 11, 29, 8)
    assert timetable.next_opening(rome(2026, 11, 28, 12)) == rome(2026, 11, 28, 20)


def test_overlapping_extensions_add_up() -> None:
    evening = Extension("evening", rome(2026, 11, 30, 18), rome(2026, 11, 30, 22))
    night = Extension("night", rome(2026, 11, 30, 21), rome(2026, 12, 1, 2))
    timetable = standard(extensions=(night, evening))
    assert timetable.state_at(rome(2026, 11, 30, 21, 30)).extension_id == "evening"
    assert timetable.state_at(rome(2026, 11, 30, 23)).extension_id == "night"
    assert timetable.next_change(rome(2026, 11, 30, 10)) == rome(2026, 12, 1, 2)


def test_overlapping_extensions_with_bands_are_a_union() -> None:
    mornings = Extension("mornings", rome(2026, 11, 28), rome(2026, 11, 30), bands=(Band.parse("06:00-12:00"),))
    evenings = Extension("evenings", rome(2026, 11, 28), rome(2026, 11, 30), bands=(Band.parse("10:00-22:00"),))
    timetable = standard(extensions=(mornings, evenings))
    assert timetable.next_opening(rome(2026, 11, 28, 0)) == rome(2026, 11, 28, 6)
    assert timetable.next_change(rome(2026, 11, 28, 6)) == rome(2026, 11, 28, 22)


def test_closure_inside_an_extension_wins() -> None:
    extension = Extension("flood", rome(2026, 11, 28), rome(2026, 12, 5), announcement="Emergenza alluvione")
    closure = Closure("outage", rome(2026, 11, 30, 10), rome(2026, 11, 30, 11), "guasto tecnico")
    timetable = standard(extensions=(extension,), closures=(closure,))
    state = timetable.state_at(rome(2026, 11, 30, 10, 30))
    assert (state.is_open, state.reason, state.closure_id, state.closure_reason) == (
        False, "closure", "outage", "guasto tecnico")
    assert state.announcement == "Emergenza alluvione"
    assert timetable.next_opening(rome(2026, 11, 30, 10, 30)) == rome(2026, 11, 30, 11)
    assert timetable.next_change(rome(2026, 11, 30, 9)) == rome(2026, 11, 30, 10)


def test_closure_on_weekday_hours_and_its_end_outside_them() -> None:
    closure = Closure("strike", rome(2026, 11, 30, 0), rome(2026, 11, 30, 20))
    timetable = standard(closures=(closure,))
    assert timetable.state_at(rome(2026, 11, 30, 12)).reason == "closure"
    assert timetable.next_opening(rome(2026, 11, 30, 12)) == rome(2026, 12, 1, 9)


def test_extension_on_a_holiday_opens_the_line() -> None:
    christmas = Extension("christmas", rome(2026, 12, 25), rome(2026, 12, 26))
    timetable = standard(extensions=(christmas,))
    state = timetable.state_at(rome(2026, 12, 25, 15))
    assert (state.is_open, state.reason, state.extension_id, state.holiday_name) == (
        True, "extension", "christmas", None)
    assert timetable.state_at(rome(2026, 12, 26, 0)).holiday_name == "Santo Stefano"


def test_extension_with_daily_bands_across_several_days() -> None:
    extension = Extension("daytime", rome(2026, 11, 28), rome(2026, 12, 1),
                          bands=(Band.parse("08:00-20:00"),), announcement="Orario esteso")
    timetable = standard(extensions=(extension,))
    expectations = [
        (rome(2026, 11, 28, 7, 59), False, "outside_hours"),
        (rome(2026, 11, 28, 8), True, "extension"),
        (rome(2026, 11, 28, 19, 59), True, "extension"),
        (rome(2026, 11, 28, 20), False, "outside_hours"),
        (rome(2026, 11, 29, 12), True, "extension"),
        (rome(2026, 11, 30, 8, 30), True, "extension"),
        (rome(2026, 11, 30, 19), True, "extension"),
        (rome(2026, 11, 30, 23), False, "outside_hours"),
        (rome(2026, 12, 1, 8, 30), False, "outside_hours"),
        (rome(2026, 12, 1, 9), True, "weekly"),
        (rome(2026, 12, 1, 19), False, "outside_hours"),
    ]
    for moment, expected_open, expected_reason in expectations:
        state = timetable.state_at(moment)
        assert (state.is_open, state.reason) == (expected_open, expected_reason), moment
    assert timetable.state_at(rome(2026, 11, 28, 22)).announcement == "Orario esteso"
    assert timetable.state_at(rome(2026, 12, 1, 9)).announcement is None
    assert timetable.next_opening(rome(2026, 11, 28, 21)) == rome(2026, 11, 29, 8)


def test_extension_outside_its_bands_does_not_open_a_holiday() -> None:
    extension = Extension("day", rome(2026, 12, 24), rome(2026, 12, 27), bands=(Band.parse("10:00-12:00"),))
    timetable = standard(extensions=(extension,))
    assert timetable.state_at(rome(2026, 12, 25, 15)).reason == "holiday"
    assert timetable.state_at(rome(2026, 12, 25, 11)).reason == "extension"
    assert timetable.state_at(rome(2026, 12, 24, 15)).reason == "weekly"


def test_active_announcements_cover_the_whole_range_in_start_order() -> None:
    first = Extension("a", rome(2026, 11, 28), rome(2026, 12, 5), bands=(Band.parse("08:00-09:00"),),
                      announcement="Primo avviso")
    second = Extension("b", rome(2026, 11, 29), rome(2026, 12, 1), announcement="Secondo avviso")
    silent = Extension("c", rome(2026, 11, 29), rome(2026, 12, 1))
    timetable = standard(extensions=(silent, second, first))
    assert timetable.active_announcements(rome(2026, 11, 30, 22)) == ("Primo avviso", "Secondo avviso")
    assert timetable.active_announcements(rome(2026, 12, 2, 22)) == ("Primo avviso",)
    assert timetable.active_announcements(rome(2026, 12, 6)) == ()
    assert timetable.state_at(rome(2026, 11, 30, 22)).announcement == "Primo avviso"
    opened_by_second = standard(extensions=(second, first)).state_at(rome(2026, 11, 30, 22))
    assert (opened_by_second.extension_id, opened_by_second.announcement) == ("b", "Secondo avviso")


def test_next_opening_is_the_moment_itself_when_open() -> None:
    moment = rome(2026, 11, 30, 10, 15, 30)
    assert standard().next_opening(moment) == moment


def test_friday_evening_reopens_monday() -> None:
    reopening = standard().next_opening(rome(2026, 11, 27, 19))
    assert reopening == rome(2026, 11, 30, 9)
    assert reopening is not None and reopening.tzinfo == UTC


def test_never_opening_within_the_horizon_gives_none() -> None:
    closure = Closure("long", rome(2026, 1, 1), rome(2028, 1, 1))
    timetable = standard(closures=(closure,))
    assert timetable.next_opening(rome(2026, 6, 1, 10)) is None
    assert timetable.next_change(rome(2026, 6, 1, 10)) is None
    assert timetable.next_opening(rome(2027, 6, 1, 10)) == rome(2028, 1, 3, 9)
    assert Timetable(WeeklySchedule(((),) * 7)).next_opening(rome(2026, 6, 1)) is None


def test_always_open_schedule_never_changes() -> None:
    always = Timetable(WeeklySchedule.parse({day: "00:00-24:00" for day in (
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}))
    assert always.state_at(rome(2026, 12, 25, 3)).reason == "holiday"
    assert always.next_change(rome(2026, 12, 23, 12)) == rome(2026, 12, 25, 0)
    assert always.next_change(rome(2026, 12, 25, 12)) == rome(2026, 12, 27, 0)


def test_a_closure_starting_between_two_checks_is_found() -> None:
    closure = Closure("brief", rome(2026, 11, 30, 12, 0, 0, 500), rome(2026, 11, 30, 12, 0, 1))
    timetable = standard(closures=(closure,))
    assert timetable.next_change(rome(2026, 11, 30, 12)) == rome(2026, 11, 30, 12, 0, 0, 500)
    assert timetable.next_opening(rome(2026, 11, 30, 12, 0, 0, 600)) == rome(2026, 11, 30, 12, 0, 1)
