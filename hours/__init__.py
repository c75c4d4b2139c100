"""Opening hours of the line: weekly schedule, Italian holidays, crisis extensions and closures."""

from hours.model import (
    DEFAULT_TIMEZONE,
    STANDARD_SCHEDULE,
    WEEKDAY_KEYS,
    Band,
    ClosedDate,
    Closure,
    Extension,
    HoursError,
    LineState,
    LocalHoliday,
    Reason,
    WeeklySchedule,
    format_time,
    parse_time,
)
from hours.publication import published_timetable
from hours.speech import describe_reopening, describe_schedule, describe_state, spoken_date
from hours.timetable import HORIZON, Timetable

__all__ = [
    "DEFAULT_TIMEZONE",
    "HORIZON",
    "STANDARD_SCHEDULE",
    "WEEKDAY_KEYS",
    "Band",
    "ClosedDate",
    "Closure",
    "Extension",
    "HoursError",
    "LineState",
    "LocalHoliday",
    "Reason",
    "Timetable",
    "WeeklySchedule",
    "describe_reopening",
    "describe_schedule",
    "describe_state",
    "format_time",
    "parse_time",
    "published_timetable",
    "spoken_date",
]
