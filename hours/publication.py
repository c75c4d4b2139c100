"""The timetable the web site publishes, as a JSON-ready dict."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hours.clock import to_utc
from hours.model import WEEKDAY_KEYS, Closure, Extension, WeeklySchedule
from hours.speech import weekday_name
from hours.timetable import Timetable


def published_timetable(timetable: Timetable, now: datetime, days: int = 60) -> dict[str, Any]:
    """Schedule, state now, next change, extensions, closures and holidays over the next `days` days."""
    zone = timetable.zone
    local_now = to_utc(now).astimezone(zone)
    until = to_utc(now) + timedelta(days=days)
    state = timetable.state_at(local_now)
    next_change = timetable.next_change(local_now)
    return {
        "timezone": timetable.timezone,
        "generated_at": local_now.isoformat(),
        "weekly_schedule": _weekly_schedule(timetable.schedule),
        "open_now": state.is_open,
        "reason": state.reason,
        "holiday_name": state.holiday_name,
        "next_change": next_change.astimezone(zone).isoformat() if next_change else None,
        "announcements": list(timetable.active_announcements(local_now)),
        "extensions": [_extension(item, local_now, zone)
                       for item in timetable.extensions_overlapping(local_now, until)],
        "closures": [_closure(item, local_now, zone)
                     for item in timetable.closures_overlapping(local_now, until)],
        "holidays": [{"date": day.isoformat(), "name": name} for day, name in
                     timetable.holidays_between(local_now.date(), local_now.date() + timedelta(days=days))],
    }


def _weekly_schedule(schedule: WeeklySchedule) -> dict[str, dict[str, Any]]:
    """Each weekday by English key, with its Italian label and "HH:MM-HH:MM" bands."""
    return {key: {"label": weekday_name(weekday), "bands": [str(band) for band in schedule.bands_on(weekday)]}
            for weekday, key in enumerate(WEEKDAY_KEYS)}


def _extension(extension: Extension, now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """An extension with local ISO 8601 times; null bands mean all day."""
    return {
        "id": extension.id,
        "starts_at": extension.starts_at.astimezone(zone).isoformat(),
        "ends_at": extension.ends_at.astimezone(zone).isoformat(),
        "all_day": extension.bands is None,
        "bands": None if extension.bands is None else [str(band) for band in extension.bands],
        "announcement": extension.announcement,
        "active": extension.starts_at <= now < extension.ends_at,
    }


def _closure(closure: Closure, now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """A closure with local ISO 8601 times."""
    return {
        "id": closure.id,
        "starts_at": closure.starts_at.astimezone(zone).isoformat(),
        "ends_at": closure.ends_at.astimezone(zone).isoformat(),
        "reason": closure.reason,
        "active": closure.starts_at <= now < closure.ends_at,
    }
