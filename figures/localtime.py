"""The local wall-clock hour of a stored UTC instant, computed inside the database.

PostgreSQL converts with the IANA zone itself. SQLite has no time zones: the instant is
shifted by the UTC offset in force, which changes only at the zone's transitions, so a CASE
over the (few) transitions inside the period gives the exact local time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import case, func
from sqlalchemy.sql.elements import ColumnElement

from figures.period import Period
from hours.clock import offset_changes

SLOT_FORMAT_SQLITE: Final = "%Y-%m-%d %H"
SEARCH_STEP: Final = timedelta(days=7)


def _modifier(offset: timedelta | None) -> str:
    """SQLite's date modifier for a UTC offset, such as '+7200 seconds'."""
    seconds = int(offset.total_seconds()) if offset else 0
    return f"{seconds:+d} seconds"


def offset_transitions(period: Period) -> list[datetime]:
    """The UTC instants inside the period where the zone's offset changes.

    Searched week by week: `offset_changes` compares the offsets at both ends of its range,
    so each range must hold at most one transition (a zone changes a few times a year).
    """
    found: list[datetime] = []
    start = period.starts_at
    while start < period.ends_at:
        end = min(start + SEARCH_STEP, period.ends_at)
        found.extend(offset_changes(period.zone, start, end))
        start = end
    return found


def _sqlite_offset(column: Any, period: Period) -> ColumnElement[str] | str:
    """The modifier turning the UTC column into local time, for instants inside the period."""
    changes = offset_transitions(period)
    offsets = [period.starts_at.astimezone(period.zone).utcoffset()]
    offsets += [change.astimezone(period.zone).utcoffset() for change in changes]
    if not changes:
        return _modifier(offsets[0])
    whens = [(column < change, _modifier(offset)) for change, offset in zip(changes, offsets, strict=False)]
    return case(*whens, else_=_modifier(offsets[-1]))


def local_hour_slot(column: Any, period: Period, dialect: str) -> ColumnElement[Any]:
    """The hour of the column's instant on the local clock of the period's zone (see parse_slot)."""
    if dialect == "postgresql":
        return func.date_trunc("hour", func.timezone(period.zone.key, column))
    return func.strftime(SLOT_FORMAT_SQLITE, column, _sqlite_offset(column, period))


def parse_slot(slot: str | datetime) -> tuple[date, int]:
    """The local day and hour of a slot: a local hour (PostgreSQL) or its 'YYYY-MM-DD HH' text (SQLite)."""
    # A local wall-clock hour, already in the line's zone: naive on purpose, only its date and hour are read.
    moment = slot if isinstance(slot, datetime) else datetime.strptime(slot, SLOT_FORMAT_SQLITE)  # noqa: DTZ007
    return moment.date(), moment.hour
