"""Instants and local wall-clock times, converted through zoneinfo without naive arithmetic across DST."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hours.model import HoursError

UTC: Final = UTC


def utcnow() -> datetime:
    """The system clock's current instant, in UTC: the only place that reads it.

    Everything else is handed "now": the runtime's `clock` (which tests set) or an argument.
    """
    return datetime.now(UTC)


def zone_named(name: str) -> ZoneInfo:
    """The zone of an IANA name such as "Europe/Rome", or an HoursError naming it."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError(f"unknown time zone {name!r}") from None


def to_utc(moment: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is an error, as its instant is unknown."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise HoursError(f"naive datetime {moment.isoformat()}: a time zone is required")
    return moment.astimezone(UTC)


@lru_cache(maxsize=32768)
def wall_clock_instants(zone: ZoneInfo, day: date, minute: int) -> tuple[datetime, ...]:
    """The UTC instants at which the local clock shows `minute` (< 1440) of `day`.

    None inside a spring-forward gap, two inside the repeated fall-back hour, else one.
    """
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    instants = set()
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == wall:
            instants.add(instant)
    return tuple(sorted(instants))


@dataclass(frozen=True)
class DayWindow:
    """One local calendar day as an interval of instants [start, end), in UTC."""

    day: date
    start: datetime
    end: datetime

    @classmethod
    def containing(cls, moment: datetime, zone: ZoneInfo) -> DayWindow:
        """The local day that contains `moment` (23 or 25 hours long on DST changes)."""
        return cls.of(moment.astimezone(zone).date(), zone)

    @classmethod
    def of(cls, day: date, zone: ZoneInfo) -> DayWindow:
        """The local calendar day `day`."""
        start = datetime.combine(day, time(), zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
        return cls(day, start, end)


def _offset_at(zone: ZoneInfo, seconds: int) -> timedelta | None:
    """The zone's UTC offset at a Unix time."""
    return datetime.fromtimestamp(seconds, zone).utcoffset()


def offset_changes(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The UTC instants in [start, end) where the zone's UTC offset changes.

    `start` and `end` must fall on whole seconds; tz database transitions always do.
    """
    before = int(start.timestamp()) - 1
    last = int(end.timestamp()) - 1
    changes = []
    while _offset_at(zone, before) != _offset_at(zone, last):
        after = last
        while after - before > 1:
            middle = (before + after) // 2
            if _offset_at(zone, middle) == _offset_at(zone, before):
                before = middle
            else:
                after = middle
        changes.append(datetime.fromtimestamp(after, UTC))
        before = after
    return changes


def day_start(instant: datetime) -> datetime:
    """The UTC midnight at or before a UTC instant."""
    return instant.replace(hour=0, minute=0, second=0, microsecond=0)


def dates_between(first: date, last: date) -> list[date]:
    """Every date from first to last, both included (calendar dates: no DST arithmetic involved)."""
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]

