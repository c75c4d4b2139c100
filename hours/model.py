"""The opening-hours vocabulary: daily bands, the weekly schedule, holidays, extensions, closures."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import pairwise
from typing import Final, Literal

from dateutil.rrule import YEARLY, rrule

MINUTES_PER_DAY: Final = 24 * 60
DEFAULT_TIMEZONE: Final = "Europe/Rome"
WEEKDAY_KEYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_TIME_PATTERN: Final = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_MONTH_DAY_PATTERN: Final = re.compile(r"([0-9]{2})-([0-9]{2})")
_LEAP_YEAR: Final = 2000

Reason = Literal["weekly", "extension", "closure", "holiday", "outside_hours"]


class HoursError(ValueError):
    """An opening-hours value that cannot be used; the message names the value."""


def parse_time(text: str) -> int:
    """Minutes since midnight (0..1440) of an "HH:MM" time; "24:00" is the end of the day."""
    match = _TIME_PATTERN.fullmatch(text.strip())
    if match is None:
        raise HoursError(f"invalid time {text!r}: expected HH:MM, for example 09:00")
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59:
        raise HoursError(f"invalid time {text!r}: minutes must be between 00 and 59")
    if hours * 60 + minutes > MINUTES_PER_DAY:
        raise HoursError(f"invalid time {text!r}: must be between 00:00 and 24:00")
    return hours * 60 + minutes


def format_time(minutes: int) -> str:
    """The "HH:MM" form of minutes since midnight (1440 is "24:00")."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True, order=True)
class Band:
    """A daily opening band [start, end) in local wall-clock minutes since midnight (0..1440)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        """Reject bands outside 00:00-24:00 or ending before they start."""
        if not 0 <= self.start < self.end <= MINUTES_PER_DAY:
            raise HoursError(
                f"invalid band {self.start}-{self.end} (minutes since midnight): "
                "the start must come before the end, within 00:00-24:00")

    @classmethod
    def parse(cls, text: str) -> Band:
        """The band written "HH:MM-HH:MM", for example "09:00-18:00"."""
        start_text, separator, end_text = text.partition("-")
        try:
            if not separator:
                raise HoursError("expected HH:MM-HH:MM, for example 09:00-18:00")
            start, end = parse_time(start_text), parse_time(end_text)
        except HoursError as error:
            raise HoursError(f"invalid band {text!r}: {error}") from None
        if start >= end:
            raise HoursError(f"invalid band {text!r}: the start must come before the end")
        return cls(start, end)

    def __str__(self) -> str:
        """The "HH:MM-HH:MM" form."""
        return f"{format_time(self.start)}-{format_time(self.end)}"

    @property
    def is_all_day(self) -> bool:
        """True for 00:00-24:00."""
        return self.start == 0 and self.end == MINUTES_PER_DAY

    def contains(self, minute: int) -> bool:
        """True when the wall-clock minute falls inside the band."""
        return self.start <= minute < self.end


def _disjoint_bands(bands: Iterable[Band], owner: str) -> tuple[Band, ...]:
    """The bands in start order, rejecting any two that overlap (touching is allowed)."""
    ordered = tuple(sorted(bands))
    for previous, current in pairwise(ordered):
        if current.start < previous.end:
            raise HoursError(f"overlapping bands {previous} and {current} on {owner}")
    return ordered


def _band_edges(bands: Iterable[Band]) -> frozenset[int]:
    """Every start and end minute of the bands."""
    return frozenset(edge for band in bands for edge in (band.start, band.end))


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """The ordinary opening bands of each weekday, Monday first."""

    days: tuple[tuple[Band, ...], ...]

    def __post_init__(self) -> None:
        """Require seven days of non-overlapping bands, stored in start order."""
        if len(self.days) != 7:
            raise HoursError(f"a weekly schedule needs 7 days of bands, got {len(self.days)}")
        ordered = tuple(_disjoint_bands(bands, key) for key, bands in zip(WEEKDAY_KEYS, self.days, strict=True))
        object.__setattr__(self, "days", ordered)

    @classmethod
    def parse(cls, bands_by_day: Mapping[str, Iterable[str] | str]) -> WeeklySchedule:
        """The schedule from {"monday": ["09:00-13:00", "14:00-18:00"], ...}; missing days are closed."""
        unknown = sorted(set(bands_by_day) - set(WEEKDAY_KEYS))
        if unknown:
            raise HoursError(f"unknown weekday {unknown[0]!r}: expected one of {', '.join(WEEKDAY_KEYS)}")
        return cls(tuple(_parse_bands(bands_by_day.get(key, ())) for key in WEEKDAY_KEYS))

    def bands_on(self, weekday: int) -> tuple[Band, ...]:
        """The bands of a weekday (0 is Monday)."""
        return self.days[weekday]

    def is_open(self, weekday: int, minute: int) -> bool:
        """True when the wall-clock minute of the weekday falls inside one of its bands."""
        return any(band.contains(minute) for band in self.days[weekday])

    def edge_minutes(self, weekday: int) -> frozenset[int]:
        """The minutes of the weekday at which its bands open or close."""
        return _band_edges(self.days[weekday])


def _parse_bands(texts: Iterable[str] | str) -> tuple[Band, ...]:
    """Bands from a list of "HH:MM-HH:MM" texts (a single text counts as a list of one)."""
    return tuple(Band.parse(text) for text in ([texts] if isinstance(texts, str) else texts))


STANDARD_SCHEDULE: Final = WeeklySchedule.parse({key: ["09:00-18:00"] for key in WEEKDAY_KEYS[:5]})


def _check_range(kind: str, identifier: str, starts_at: datetime, ends_at: datetime) -> None:
    """Require aware datetimes with the start before the end (as instants: fold counts)."""
    for moment in (starts_at, ends_at):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise HoursError(f"{kind} {identifier!r}: {moment.isoformat()} has no time zone")
    if starts_at.astimezone(UTC) >= ends_at.astimezone(UTC):
        raise HoursError(
            f"{kind} {identifier!r}: starts at {starts_at.isoformat()}, "
            f"not before its end {ends_at.isoformat()}")


@dataclass(frozen=True, slots=True)
class Extension:
    """Extra crisis hours: open on `bands` each local day (all day if None) within [starts_at, ends_at)."""

    id: str
    starts_at: datetime
    ends_at: datetime
    bands: tuple[Band, ...] | None = None
    announcement: str | None = None

    def __post_init__(self) -> None:
        """Require a valid range and, when given, non-empty non-overlapping bands."""
        _check_range("extension", self.id, self.starts_at, self.ends_at)
        if self.bands is not None:
            if not self.bands:
                raise HoursError(f"extension {self.id!r} has no bands: use None for all day")
            object.__setattr__(self, "bands", _disjoint_bands(self.bands, f"extension {self.id!r}"))

    def is_open_at(self, minute: int) -> bool:
        """True when the wall-clock minute is inside one of the bands (always, for all day)."""
        return self.bands is None or any(band.contains(minute) for band in self.bands)

    @property
    def edge_minutes(self) -> frozenset[int]:
        """The minutes of each day at which the bands open or close (none for all day)."""
        return _band_edges(self.bands or ())


@dataclass(frozen=True, slots=True)
class Closure:
    """The line is closed within [starts_at, ends_at), whatever else applies."""

    id: str
    starts_at: datetime
    ends_at: datetime
    reason: str | None = None

    def __post_init__(self) -> None:
        """Require a valid range."""
        _check_range("closure", self.id, self.starts_at, self.ends_at)


@dataclass(frozen=True, slots=True)
class LocalHoliday:
    """A yearly local holiday, such as Rome's patron saints on 29 June."""

    month: int
    day: int
    name: str | None = None

    def __post_init__(self) -> None:
        """Reject a month and day that no year has."""
        try:
            date(_LEAP_YEAR, self.month, self.day)
        except ValueError:
            raise HoursError(f"invalid local holiday {self.month:02d}-{self.day:02d}: no such day") from None

    @classmethod
    def parse(cls, text: str, name: str | None = None) -> LocalHoliday:
        """The holiday written "MM-DD", for example "06-29"."""
        match = _MONTH_DAY_PATTERN.fullmatch(text.strip())
        if match is None:
            raise HoursError(f"invalid local holiday {text!r}: expected MM-DD, for example 06-29")
        return cls(int(match[1]), int(match[2]), name)

    def in_year(self, year: int) -> date | None:
        """The holiday's date in a year (None for 29 February in common years).

        The holiday is a yearly recurrence (RFC 5545 FREQ=YEARLY;BYMONTH;BYMONTHDAY), which skips
        the years that lack the day; computed once per year by the timetable, never per call.
        """
        occurrences = rrule(YEARLY, bymonth=self.month, bymonthday=self.day,
                            dtstart=datetime(year, 1, 1, tzinfo=UTC), until=datetime(year, 12, 31, tzinfo=UTC))
        first = next(iter(occurrences), None)
        return first.date() if first is not None else None


@dataclass(frozen=True, slots=True)
class ClosedDate:
    """A one-off local date on which the line is closed, like a holiday."""

    on: date
    reason: str | None = None

    @classmethod
    def parse(cls, text: str, reason: str | None = None) -> ClosedDate:
        """The closed date written "YYYY-MM-DD"."""
        try:
            return cls(date.fromisoformat(text.strip()), reason)
        except ValueError:
            raise HoursError(f"invalid closed date {text!r}: expected YYYY-MM-DD") from None


@dataclass(frozen=True, slots=True)
class LineState:
    """Whether the line is open at an instant, which rule decided, and what callers should hear."""

    is_open: bool
    reason: Reason
    holiday_name: str | None = None
    extension_id: str | None = None
    closure_id: str | None = None
    closure_reason: str | None = None
    announcement: str | None = None
