"""Report periods: whole local days in the line's time zone, and their ordinary comparison.

A period runs from local midnight of its first day to local midnight after its last day, so
it is [starts_at, ends_at) in UTC. The ordinary period a period is compared with is the same
number of days immediately before it: it always exists (a line in its first year has no
"previous year"), it shares the season and the configuration, and it shows the change an
emergency brought. When another event falls in it, the dossier says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

MAX_DAYS: Final = 3 * 366
_DAY: Final = timedelta(days=1)
_ITALIAN_DATE: Final = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


class PeriodProblem(StrEnum):
    """Why a date or a period was refused (its Italian correction: figures.labels.problem)."""

    INVALID_DATE = "invalid_date"
    REVERSED = "reversed"
    TOO_LONG = "too_long"


class PeriodError(ValueError):
    """A date or a period that cannot be used: `problem` says why, the (English) message names the value."""

    def __init__(self, problem: PeriodProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def parse_day(text: str) -> date:
    """A date written YYYY-MM-DD or DD/MM/YYYY."""
    raw = text.strip()
    match = _ITALIAN_DATE.fullmatch(raw)
    try:
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
        return date.fromisoformat(raw)
    except ValueError:
        raise PeriodError(PeriodProblem.INVALID_DATE, f"invalid date {text!r}: use YYYY-MM-DD or DD/MM/YYYY") from None


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which `day` begins on the local clock."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """The local days first_day..last_day (both included) in `zone`."""

    first_day: date
    last_day: date
    zone: ZoneInfo

    def __post_init__(self) -> None:
        """Refuse an empty or reversed period, or one longer than three years."""
        if self.last_day < self.first_day:
            raise PeriodError(PeriodProblem.REVERSED, f"the period ends ({self.last_day:%d/%m/%Y}) "
                              f"before it starts ({self.first_day:%d/%m/%Y})")
        if self.day_count > MAX_DAYS:
            raise PeriodError(PeriodProblem.TOO_LONG, f"the period is {self.day_count} days long: at most {MAX_DAYS}")

    @classmethod
    def parse(cls, first: str, last: str, zone: ZoneInfo) -> Period:
        """The period between two dates written YYYY-MM-DD or DD/MM/YYYY."""
        return cls(parse_day(first), parse_day(last), zone)

    @classmethod
    def from_instants(cls, starts_at: datetime, ends_at: datetime, zone: ZoneInfo) -> Period:
        """The local days covered by [starts_at, ends_at) (as stored for an event)."""
        last_instant = ends_at - timedelta(microseconds=1)
        return cls(starts_at.astimezone(zone).date(), last_instant.astimezone(zone).date(), zone)

    @property
    def starts_at(self) -> datetime:
        """The first instant, in UTC."""
        return local_midnight(self.first_day, self.zone)

    @property
    def ends_at(self) -> datetime:
        """The instant just after the period, in UTC."""
        return local_midnight(self.last_day + _DAY, self.zone)

    @property
    def day_count(self) -> int:
        """How many local days the period holds."""
        return (self.last_day - self.first_day).days + 1

    def days(self) -> list[date]:
        """Every local day of the period, in order."""
        return [self.first_day + timedelta(days=offset) for offset in range(self.day_count)]

    def preceding(self) -> Period:
        """The ordinary period it is compared with: the same number of days just before it."""
        return Period(self.first_day - timedelta(days=self.day_count), self.first_day - _DAY, self.zone)

    def overlaps(self, other: Period) -> bool:
        """Whether the two periods share a day."""
        return self.first_day <= other.last_day and other.first_day <= self.last_day
