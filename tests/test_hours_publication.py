"""The published timetable: JSON-ready, local ISO 8601 times, the next days' extensions and holidays."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from hours.model import STANDARD_SCHEDULE, Band, ClosedDate, Closure, Extension, LocalHoliday
from hours.publication import published_timetable
from hours.timetable import Timetable

ROME = ZoneInfo("Europe/Rome")


def rome(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
         microsecond: int = 0) -> datetime:
    """A Europe/Rome wall-clock datetime."""
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=ROME)


def crisis_timetable() -> Timetable:
    """Standard hours with a past, an active and a future extension, a closure and a closed date."""
    return Timetable(
        STANDARD_SCHEDULE,
        local_holidays=(LocalHoliday(6, 29, "Santi Pietro e Paolo"),),
        closed_dates=(ClosedDate(date(2026, 12, 31)),),
        extensions=(
            Extension("past", rome(2026, 11, 1), rome(2026, 11, 2)),
            Extension("flood", rome(2026, 11, 27, 18), rome(2026, 11, 29),
                      announcement="Allerta alluvione in Liguria"),
            Extension("later", rome(2026, 12, 5), rome(2026, 12, 8), bands=(Band.parse("08:00-20:00"),)),
            Extension("too_far", rome(2027, 3, 1), rome(2027, 3, 2)),
        ),
        closures=(Closure("upgrade", rome(2026, 12, 2, 13), rome(2026, 12, 2, 15), "aggiornamento"),),
    )


def test_published_timetable_now_and_next_change() -> None:
    published = published_timetable(crisis_timetable(), rome(2026, 11, 27, 19))
    assert published["timezone"] == "Europe/Rome"
    assert published["generated_at"] == "2026-11-27T19:00:00+01:00"
    assert (published["open_now"], published["reason"], published["holiday_name"]) == (True, "extension", None)
    assert published["next_change"] == "2026-11-29T00:00:00+01:00"
    assert published["announcements"] == ["Allerta alluvione in Liguria"]


def test_published_weekly_schedule() -> None:
    schedule = published_timetable(crisis_timetable(), rome(2026, 11, 27, 19))["weekly_schedule"]
    assert list(schedule) == ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    assert schedule["monday"] == {"label": "lunedì", "bands": ["09:00-18:00"]}
    assert schedule["sunday"] == {"label": "domenica", "bands": []}


def test_published_extensions_and_closures_are_the_active_and_upcoming_ones() -> None:
    published = published_timetable(crisis_timetable(), datetime(2026, 11, 27, 18, tzinfo=UTC))
    assert published["extensions"] == [
        {"id": "flood", "starts_at": "2026-11-27T18:00:00+01:00", "ends_at": "2026-11-29T00:00:00+01:00",
         "all_day": True, "bands": None, "announcement": "Allerta alluvione in Liguria", "active": True},
        {"id": "later", "starts_at": "2026-12-05T00:00:00+01:00", "ends_at": "2026-12-08T00:00:00+01:00",
         "all_day": False, "bands": ["08:00-20:00"], "announcement": None, "active": False},
    ]
    assert published["closures"] == [
        {"id": "upgrade", "starts_at": "2026-12-02T13:00:00+01:00", "ends_at": "2026-12-02T15:00:00+01:00",
         "reason": "aggiornamento", "active": False},
    ]


def test_published_holidays_in_the_next_days() -> None:
    published = published_timetable(crisis_timetable(), rome(2026, 11, 27, 19), days=60)
    assert published["holidays"] == [
        {"date": "2026-12-08", "name": "Immacolata Concezione"},
        {"date": "2026-12-25", "name": "Natale"},
        {"date": "2026-12-26", "name": "Santo Stefano"},
        {"date": "2026-12-31", "name": None},
        {"date": "2027-01-01", "name": "Capodanno"},
        {"date": "2027-01-06", "name": "Epifania"},
    ]
    short = published_timetable(crisis_timetable(), rome(2026, 11, 27, 19), days=11)
    assert [holiday["date"] for holiday in short["holidays"]] == []
    assert [item["id"] for item in short["extensions"]] == ["flood", "later"]


def test_published_timetable_is_json_and_summer_times_carry_their_offset() -> None:
    timetable = Timetable(STANDARD_SCHEDULE, local_holidays=(LocalHoliday(6, 29, "Santi Pietro e Paolo"),))
    published = published_timetable(timetable, rome(2026, 6, 26, 18, 30))
    assert json.loads(json.dumps(published)) == published
    assert published["next_change"] == "2026-06-30T09:00:00+02:00"
    assert published["holidays"][:1] == [{"date": "2026-06-29", "name": "Santi Pietro e Paolo"}]
