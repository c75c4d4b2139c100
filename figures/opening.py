"""The line's opening intervals over a period, from the hours engine, for the answer rate."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from figures.period import Period
from hours import HORIZON, ClosedDate, Closure, Extension, LocalHoliday, Timetable, WeeklySchedule

Interval = tuple[datetime, datetime]


def timetable_from_config(hours: Mapping[str, Any], timezone: str, extensions: Iterable[Extension] = (),
                          closures: Iterable[Closure] = ()) -> Timetable:
    """The timetable of the configuration's `hours` section (as a mapping), plus any extensions."""
    return Timetable(
        WeeklySchedule.parse(hours.get("weekly", {})),
        timezone=timezone,
        local_holidays=tuple(LocalHoliday.parse(text) for text in hours.get("local_holidays", ())),
        closed_dates=tuple(ClosedDate.parse(text) for text in hours.get("closed_dates", ())),
        extensions=tuple(extensions),
        closures=tuple(closures),
    )


def open_intervals(timetable: Timetable, period: Period) -> list[Interval]:
    """The UTC ranges [start, end) inside the period during which the line was open, in order."""
    end = period.ends_at
    moment = period.starts_at
    intervals: list[Interval] = []
    while moment < end:
        change = timetable.next_change(moment)
        stop = min(change or moment + HORIZON, end)
        if timetable.state_at(moment).is_open:
            _append_merged(intervals, (moment, stop))
        moment = stop
    return intervals


def _append_merged(intervals: list[Interval], interval: Interval) -> None:
    """Add an interval, joining it to the previous one when they touch."""
    if intervals and intervals[-1][1] == interval[0]:
        intervals[-1] = (intervals[-1][0], interval[1])
    else:
        intervals.append(interval)


def chunks(intervals: Sequence[Interval], size: int) -> list[Sequence[Interval]]:
    """The intervals in consecutive groups of at most `size`."""
    return [intervals[index:index + size] for index in range(0, len(intervals), size)]
