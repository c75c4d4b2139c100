"""Crisis extensions and closures in the database, read back as the opening-hours engine's values.

Every change bumps the one-row schedule version in the same transaction, so a process holding a
timetable knows, with one primary-key read, whether it must reload. On PostgreSQL the same
transaction also sends `NOTIFY hours_schedule_changed` (delivered when it commits), so a process
listening on that channel need not read the version on every call. Ids carry their kind:
"E12" is extension 12, "C3" is closure 3.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any, Final, Literal, TypeVar, cast

from sqlalchemy import select, text, update
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.orm import Session

from hours.model import Band, Closure, Extension, HoursError
from storage.models import HoursClosure, HoursExtension, HoursScheduleVersion

EXTENSION_PREFIX: Final = "E"
CLOSURE_PREFIX: Final = "C"
MAX_TEXT_CHARS: Final = 600
VERSION_ROW_ID: Final = 1
CHANGE_CHANNEL: Final = "hours_schedule_changed"  # PostgreSQL NOTIFY channel of every change
_DRAFT_ID: Final = "new"
_BAND_SEPARATOR: Final = ","
_ENTRY_ID: Final = re.compile(r"([EC])([0-9]{1,18})", re.IGNORECASE)

Kind = Literal["extension", "closure"]
HoursRow = HoursExtension | HoursClosure
_Row = TypeVar("_Row", HoursExtension, HoursClosure)


@dataclass(frozen=True)
class ScheduleEntry:
    """A stored extension or closure as listed to supervisors."""

    id: str
    kind: Kind
    starts_at: datetime
    ends_at: datetime
    bands: tuple[Band, ...] | None
    text: str | None
    created_by: str
    created_at: datetime
    cancelled_at: datetime | None

    def status_at(self, now: datetime) -> str:
        """"cancelled", "past", "active" or "upcoming" at an instant."""
        if self.cancelled_at is not None:
            return "cancelled"
        if self.ends_at <= now:
            return "past"
        return "active" if self.starts_at <= now else "upcoming"


def add_extension(session: Session, starts_at: datetime, ends_at: datetime, bands: Sequence[Band] | None,
                  announcement: str | None, created_by: str, *, now: datetime) -> Extension:
    """Store extra hours (all day when `bands` is None) after the engine's checks; HoursError if invalid."""
    draft = Extension(_DRAFT_ID, starts_at, ends_at, None if bands is None else tuple(bands),
                      _optional_text("announcement", announcement))
    row = HoursExtension(starts_at=draft.starts_at, ends_at=draft.ends_at, bands=_bands_text(draft.bands),
                         announcement=draft.announcement, created_by=created_by_text(created_by), created_at=now)
    session.add(row)
    session.flush()
    bump_version(session, now)
    return replace(draft, id=f"{EXTENSION_PREFIX}{row.id}")


def add_closure(session: Session, starts_at: datetime, ends_at: datetime, reason: str | None,
                created_by: str, *, now: datetime) -> Closure:
    """Store a closure after the engine's checks; HoursError if invalid."""
    draft = Closure(_DRAFT_ID, starts_at, ends_at, _optional_text("reason", reason))
    row = HoursClosure(starts_at=draft.starts_at, ends_at=draft.ends_at, reason=draft.reason,
                       created_by=created_by_text(created_by), created_at=now)
    session.add(row)
    session.flush()
    bump_version(session, now)
    return replace(draft, id=f"{CLOSURE_PREFIX}{row.id}")


def cancel_entry(session: Session, entry_id: str, cancelled_by: str, *, now: datetime) -> tuple[ScheduleEntry, bool]:
    """Cancel an extension or closure by id; the entry and whether this call cancelled it."""
    row = _row(session, entry_id)
    if row.cancelled_at is not None:
        return _entry(row), False
    row.cancelled_at = now
    row.cancelled_by = created_by_text(cancelled_by)
    bump_version(session, now)
    return _entry(row), True


def list_entries(session: Session, ending_after: datetime | None = None,
                 include_cancelled: bool = False) -> list[ScheduleEntry]:
    """Extensions and closures by start, optionally only those ending after an instant or not cancelled."""
    entries = (_rows(session, HoursExtension, ending_after, include_cancelled)
               + _rows(session, HoursClosure, ending_after, include_cancelled))
    return sorted(entries, key=lambda entry: (entry.starts_at, entry.kind, entry.id))


def _rows(session: Session, model: type[_Row], ending_after: datetime | None,
          include_cancelled: bool) -> list[ScheduleEntry]:
    """The entries of one table, filtered as list_entries says."""
    query = select(model)
    if ending_after is not None:
        query = query.where(model.ends_at > ending_after)
    if not include_cancelled:
        query = query.where(model.cancelled_at.is_(None))
    return [_entry(row) for row in session.scalars(query)]


def load_ranges(connection: Connection | Session,
                ending_after: datetime) -> tuple[tuple[Extension, ...], tuple[Closure, ...]]:
    """The extensions and closures in force after an instant (not cancelled, not over), for the engine.

    Plain column reads, no ORM objects: a worker reloads every row after each change.
    """
    extensions = connection.execute(
        select(HoursExtension.id, HoursExtension.starts_at, HoursExtension.ends_at, HoursExtension.bands,
               HoursExtension.announcement)
        .where(HoursExtension.cancelled_at.is_(None), HoursExtension.ends_at > ending_after)
        .order_by(HoursExtension.id))
    closures = connection.execute(
        select(HoursClosure.id, HoursClosure.starts_at, HoursClosure.ends_at, HoursClosure.reason)
        .where(HoursClosure.cancelled_at.is_(None), HoursClosure.ends_at > ending_after)
        .order_by(HoursClosure.id))
    return (tuple(Extension(f"{EXTENSION_PREFIX}{row.id}", row.starts_at, row.ends_at, _parsed_bands(row.bands),
                            row.announcement) for row in extensions),
            tuple(Closure(f"{CLOSURE_PREFIX}{row.id}", row.starts_at, row.ends_at, row.reason) for row in closures))


def schedule_version(connection: Connection | Session) -> int:
    """The schedule's change counter (0 before any change): one primary-key read."""
    version = connection.execute(select(HoursScheduleVersion.version).where(
        HoursScheduleVersion.id == VERSION_ROW_ID)).scalar()
    return version or 0


def bump_version(session: Session, now: datetime) -> None:
    """Count a change of the schedule, in the caller's transaction (and, on PostgreSQL, announce it at commit)."""
    bumped = cast(CursorResult[Any], session.execute(
        update(HoursScheduleVersion).where(HoursScheduleVersion.id == VERSION_ROW_ID).values(
            version=HoursScheduleVersion.version + 1, changed_at=now)))
    if bumped.rowcount == 0:
        session.add(HoursScheduleVersion(id=VERSION_ROW_ID, version=1, changed_at=now))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANGE_CHANNEL}"))


def created_by_text(name: str) -> str:
    """Who made a change, trimmed to the column's size ("unknown" when empty)."""
    return (name.strip() or "unknown")[:120]


def _optional_text(label: str, text: str | None) -> str | None:
    """A trimmed text, None when empty; HoursError when too long to be spoken to every caller."""
    cleaned = " ".join((text or "").split())
    if len(cleaned) > MAX_TEXT_CHARS:
        raise HoursError(f"the {label} has {len(cleaned)} characters: at most {MAX_TEXT_CHARS} are allowed")
    return cleaned or None


def _bands_text(bands: tuple[Band, ...] | None) -> str | None:
    """The stored form of bands: "08:00-20:00,21:00-23:00", or None for all day."""
    return None if bands is None else _BAND_SEPARATOR.join(str(band) for band in bands)


@lru_cache(maxsize=1024)
def _parsed_bands(text: str | None) -> tuple[Band, ...] | None:
    """The bands of their stored form (a handful of distinct texts: parsed once each)."""
    return None if text is None else tuple(Band.parse(part) for part in text.split(_BAND_SEPARATOR))


def _entry(row: HoursRow) -> ScheduleEntry:
    """The listing of a row."""
    if isinstance(row, HoursExtension):
        kind: Kind = "extension"
        entry_id, bands, text = f"{EXTENSION_PREFIX}{row.id}", _parsed_bands(row.bands), row.announcement
    else:
        kind = "closure"
        entry_id, bands, text = f"{CLOSURE_PREFIX}{row.id}", None, row.reason
    return ScheduleEntry(id=entry_id, kind=kind, starts_at=row.starts_at, ends_at=row.ends_at, bands=bands,
                         text=text, created_by=row.created_by, created_at=row.created_at,
                         cancelled_at=row.cancelled_at)


def _row(session: Session, entry_id: str) -> HoursRow:
    """The row of an id like "E12" or "C3"; HoursError when there is none."""
    match = _ENTRY_ID.fullmatch(entry_id.strip())
    row: HoursRow | None = None
    if match is not None:
        if match[1].upper() == EXTENSION_PREFIX:
            row = session.get(HoursExtension, int(match[2]))
        else:
            row = session.get(HoursClosure, int(match[2]))
    if row is None:
        raise HoursError(f"no extension or closure with id {entry_id!r} (ids look like E12 or C3)")
    return row
