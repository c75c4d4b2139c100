"""The line's opening intervals over a period, from the hours engine, for the answer rate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Final

from sqlalchemy.orm import Session

from figures.period import Period
from hours import HORIZON, Timetable
from storage.hours_repository import load_ranges

Interval = tuple[datetime, datetime]
SINCE_EVER: Final = datetime(1970, 1, 1, tzinfo=UTC)


def timetable_with_stored_ranges(configured: Timetable, session: Session) -> Timetable:
    """The configured timetable with every stored crisis extension and closure, past ones too.

    Cancelled ones are left out, as the hours engine never applied them.
    """
    extensions, closures = load_ranges(session, SINCE_EVER)
    return replace(configured, extensions=extensions, closures=closures)


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
