"""The console's Today figures: calls, lookups, messages and callbacks of the current local day."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hours.clock import DayWindow
from storage.models import Call, CallbackAttempt, CallbackRequest
from voicemail.status import CallbackStatus

HOURS = 24


@dataclass(frozen=True)
class TodayFigures:
    """What the Today page shows."""

    day: date
    calls_received: int
    answered_by_operator: int
    self_service_lookups: int
    messages_left: int
    pending_callbacks: int
    overdue_callbacks: int
    median_callback_delay: timedelta | None
    calls_by_hour: tuple[int, ...]
    messages_by_hour: tuple[int, ...]


def _by_hour(moments: list[datetime], zone: ZoneInfo) -> tuple[int, ...]:
    """How many instants fall in each local hour of the day (0-23)."""
    counts = Counter(moment.astimezone(zone).hour for moment in moments)
    return tuple(counts.get(hour, 0) for hour in range(HOURS))


def median_callback_delay(session: Session, window: DayWindow) -> timedelta | None:
    """The median time from a message to its first call back, over entries first called back in `window`."""
    first_attempt = func.min(CallbackAttempt.attempted_at)
    rows = session.execute(
        select(CallbackRequest.created_at, first_attempt)
        .join(CallbackAttempt, CallbackAttempt.entry_id == CallbackRequest.id)
        .group_by(CallbackRequest.id, CallbackRequest.created_at)
        .having(first_attempt >= window.start, first_attempt < window.end)).all()
    delays = [_aware(attempted) - created for created, attempted in rows]
    return statistics.median_low(delays) if delays else None


def _aware(moment: datetime) -> datetime:
    """An aggregate's datetime (SQLite returns it naive, in UTC) as a UTC-aware datetime."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def today_figures(session: Session, now: datetime, zone: ZoneInfo, overdue_after: timedelta) -> TodayFigures:
    """The figures of the local day containing `now`."""
    window = DayWindow.containing(now, zone)
    calls = session.execute(
        select(Call.started_at, Call.outcome)
        .where(Call.started_at >= window.start, Call.started_at < window.end)).all()
    outcomes = Counter(outcome for _, outcome in calls)
    pending = (CallbackRequest.status == CallbackStatus.PENDING.value,)
    pending_count = session.scalar(select(func.count()).select_from(CallbackRequest).where(*pending)) or 0
    overdue_count = session.scalar(select(func.count()).select_from(CallbackRequest).where(
        *pending, CallbackRequest.created_at < now - overdue_after)) or 0
    return TodayFigures(
        day=window.day,
        calls_received=len(calls),
        answered_by_operator=outcomes["operator"],
        self_service_lookups=outcomes["self_service"],
        messages_left=outcomes["message"],
        pending_callbacks=pending_count,
        overdue_callbacks=overdue_count,
        median_callback_delay=median_callback_delay(session, window),
        calls_by_hour=_by_hour([started for started, _ in calls], zone),
        messages_by_hour=_by_hour([started for started, outcome in calls if outcome == "message"], zone),
    )
