"""The opening-hours engine: is the line open at an instant, and when does that change.

Precedence, strongest first:

1. closure: inside any closure's [starts_at, ends_at) the line is closed;
2. extension: inside an extension's [starts_at, ends_at) and, on that local day, inside one of
   its bands (any time, for an all-day extension) the line is open, on holidays and weekends
   too; overlapping extensions add up (union);
3. holiday: on an Italian national holiday, a local holiday or a one-off closed date (local
   calendar date) the line is closed;
4. weekly schedule: otherwise the line is open inside the weekday's bands.

Inside an extension's range but outside its bands, rules 3 and 4 decide: an extension only
adds hours. An extension's announcement is active during its whole range, whatever the state.

Bands are local wall-clock times in the timetable's zone, and the state is read from the local
clock: on the spring-forward day a band edge in the missing hour takes effect at the change,
on the fall-back day a band covering the repeated hour applies to both of its passes.
Changes are searched among candidate instants built per local day (band edges through
zoneinfo with both folds, local midnights, offset changes, range edges), never by arithmetic
on naive local times. Ranges are half-open: a state holds from a change up to the next one.

Instants come back in UTC: comparing aware datetimes of one zone ignores `fold`, and comparing
across zones treats any repeated-hour time as unequal, so local results would compare wrongly
around the autumn change. Convert with `.astimezone(timetable.zone)` to display them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

import holidays

from hours.clock import (
    dates_between,
    day_start,
    offset_changes,
    to_utc,
    wall_clock_instants,
    zone_named,
)
from hours.intervals import IntervalIndex
from hours.model import (
    DEFAULT_TIMEZONE,
    MINUTES_PER_DAY,
    ClosedDate,
    Closure,
    Extension,
    LineState,
    LocalHoliday,
    WeeklySchedule,
)

HORIZON: Final = timedelta(days=400)
_DAY: Final = timedelta(days=1)
_HOLIDAY_LANGUAGE: Final = "it_IT"
_NAME_SEPARATOR: Final = "; "


@lru_cache(maxsize=64)
def _national_holidays(year: int) -> Mapping[date, str]:
    """Italy's national holidays of a year, with their Italian names (Easter Monday included)."""
    return MappingProxyType(dict(holidays.country_holidays("IT", years=year, language=_HOLIDAY_LANGUAGE)))


@dataclass(frozen=True)
class Timetable:
    """The weekly schedule, holidays, extensions and closures of the line, indexed for queries."""

    schedule: WeeklySchedule
    timezone: str = DEFAULT_TIMEZONE
    local_holidays: tuple[LocalHoliday, ...] = ()
    closed_dates: tuple[ClosedDate, ...] = ()
    extensions: tuple[Extension, ...] = ()
    closures: tuple[Closure, ...] = ()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _extension_index: IntervalIndex[Extension] = field(init=False, repr=False, compare=False)
    _closure_index: IntervalIndex[Closure] = field(init=False, repr=False, compare=False)
    _closed_days_by_year: dict[int, Mapping[date, str | None]] = field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Resolve the zone and index the extensions and closures by UTC range."""
        for name in ("local_holidays", "closed_dates", "extensions", "closures"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "_zone", zone_named(self.timezone))
        object.__setattr__(self, "_extension_index", IntervalIndex(
            (to_utc(item.starts_at), to_utc(item.ends_at), item) for item in self.extensions))
        object.__setattr__(self, "_closure_index", IntervalIndex(
            (to_utc(item.starts_at), to_utc(item.ends_at), item) for item in self.closures))
        object.__setattr__(self, "_closed_days_by_year", {})

    @property
    def zone(self) -> ZoneInfo:
        """The timetable's time zone."""
        return self._zone

    def state_at(self, moment: datetime) -> LineState:
        """The line's state at an aware instant, by the precedence in the module docstring."""
        return self._state(to_utc(moment))

    def next_change(self, moment: datetime, horizon: timedelta = HORIZON) -> datetime | None:
        """The first instant after `moment` whose openness differs, in UTC; None beyond the horizon."""
        instant = to_utc(moment)
        is_open = self._state(instant).is_open
        for candidate in self._candidate_changes(instant, instant + horizon):
            if self._state(candidate).is_open != is_open:
                return candidate
        return None

    def next_opening(self, moment: datetime, horizon: timedelta = HORIZON) -> datetime | None:
        """The first open instant at or after `moment` (itself if open), in UTC; None beyond the horizon."""
        instant = to_utc(moment)
        if self._state(instant).is_open:
            return instant
        return self.next_change(instant, horizon)

    def active_announcements(self, moment: datetime) -> tuple[str, ...]:
        """The announcements of the extensions whose range contains `moment`, earliest start first."""
        extensions = self._extension_index.covering(to_utc(moment))
        return tuple(dict.fromkeys(item.announcement for item in extensions if item.announcement))

    def extensions_overlapping(self, start: datetime, end: datetime) -> tuple[Extension, ...]:
        """The extensions whose range meets [start, end), earliest start first."""
        return self._extension_index.overlapping(to_utc(start), to_utc(end))

    def closures_overlapping(self, start: datetime, end: datetime) -> tuple[Closure, ...]:
        """The closures whose range meets [start, end), earliest start first."""
        return self._closure_index.overlapping(to_utc(start), to_utc(end))

    def holidays_between(self, first: date, end: date) -> tuple[tuple[date, str | None], ...]:
        """The closed local dates in [first, end) with their names (None for an unnamed one)."""
        found = []
        for day in dates_between(first, end - _DAY):
            closed_days = self._closed_days(day.year)
            if day in closed_days:
                found.append((day, closed_days[day]))
        return tuple(found)

    def _state(self, instant: datetime) -> LineState:
        """The state at a UTC instant."""
        extensions = self._extension_index.covering(instant)
        announcement = next((item.announcement for item in extensions if item.announcement), None)
        closures = self._closure_index.covering(instant)
        if closures:
            closure = closures[0]
            return LineState(False, "closure", closure_id=closure.id, closure_reason=closure.reason,
                             announcement=announcement)
        local = instant.astimezone(self._zone)
        minute = local.hour * 60 + local.minute
        opener = next((item for item in extensions if item.is_open_at(minute)), None)
        if opener is not None:
            return LineState(True, "extension", extension_id=opener.id,
                             announcement=opener.announcement or announcement)
        day = local.date()
        closed_days = self._closed_days(day.year)
        if day in closed_days:
            return LineState(False, "holiday", holiday_name=closed_days[day], announcement=announcement)
        if self.schedule.is_open(day.weekday(), minute):
            return LineState(True, "weekly", announcement=announcement)
        return LineState(False, "outside_hours", announcement=announcement)

    def _closed_days(self, year: int) -> Mapping[date, str | None]:
        """The holidays and closed dates of a year with their names, computed once per year."""
        days = self._closed_days_by_year.get(year)
        if days is None:
            days = self._build_closed_days(year)
            self._closed_days_by_year[year] = days
        return days

    def _build_closed_days(self, year: int) -> Mapping[date, str | None]:
        """National and local holidays and one-off closed dates of a year, names joined by "; "."""
        names: dict[date, list[str]] = {day: [name] for day, name in _national_holidays(year).items()}
        local_days = [(holiday.in_year(year), holiday.name) for holiday in self.local_holidays]
        one_off_days = [(closed.on, closed.reason) for closed in self.closed_dates if closed.on.year == year]
        for day, name in local_days + one_off_days:
            if day is not None:
                day_names = names.setdefault(day, [])
                if name and name not in day_names:
                    day_names.append(name)
        return {day: _NAME_SEPARATOR.join(day_names) or None for day, day_names in names.items()}

    def _candidate_changes(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """In order, the UTC instants in (after, until] at which the state may change."""
        window = day_start(after)
        while window <= until:
            window_end = window + _DAY
            for candidate in self._boundaries(window, window_end):
                if after < candidate <= until:
                    yield candidate
            window = window_end

    def _boundaries(self, start: datetime, end: datetime) -> list[datetime]:
        """The sorted UTC instants in [start, end) where an input of some rule changes."""
        boundaries = set(self._closure_index.edges_between(start, end))
        boundaries.update(self._extension_index.edges_between(start, end))
        boundaries.update(offset_changes(self._zone, start, end))
        extension_minutes = {0}.union(
            *(item.edge_minutes for item in self._extension_index.overlapping(start, end)))
        first_day = start.astimezone(self._zone).date()
        last_day = end.astimezone(self._zone).date()
        for day in dates_between(first_day, last_day):
            for minute in extension_minutes | self.schedule.edge_minutes(day.weekday()):
                if minute < MINUTES_PER_DAY:
                    boundaries.update(instant for instant in wall_clock_instants(self._zone, day, minute)
                                      if start <= instant < end)
        return sorted(boundaries)

