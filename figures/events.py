"""Emergency events: named periods the dossier reports on, each compared with an ordinary one.

A crisis extension of the opening hours belongs to an event when its range overlaps the
event's period: no link is stored, so extensions and events are managed independently and
an extension added later, or an event named after the fact, still match.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from figures.period import Period
from storage.models import EmergencyEvent

NAME_MAX: Final = 120


class EventProblem(StrEnum):
    """Why an event request was refused (its Italian correction: figures.labels.problem)."""

    NAME_MISSING = "name_missing"
    NAME_TOO_LONG = "name_too_long"
    NAME_TAKEN = "name_taken"
    UNKNOWN_EVENT = "unknown_event"


class EventError(ValueError):
    """An event request that cannot be carried out: `problem` says why, the (English) message in detail."""

    def __init__(self, problem: EventProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def clean_name(name: str) -> str:
    """The event's name with spaces collapsed; EventError when empty or too long."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise EventError(EventProblem.NAME_MISSING, "the event needs a name")
    if len(cleaned) > NAME_MAX:
        raise EventError(EventProblem.NAME_TOO_LONG,
                         f"the event name is {len(cleaned)} characters long: at most {NAME_MAX}")
    return cleaned


def add_event(session: Session, name: str, period: Period, created_by: str,
              description: str = "") -> EmergencyEvent:
    """Name a new event over `period`; EventError when the name is taken."""
    cleaned = clean_name(name)
    taken = EventError(EventProblem.NAME_TAKEN, f"an event named {cleaned!r} already exists")
    if session.scalar(select(EmergencyEvent.id).where(EmergencyEvent.name == cleaned)) is not None:
        raise taken
    event = EmergencyEvent(name=cleaned, starts_at=period.starts_at, ends_at=period.ends_at,
                           description=description.strip(), created_by=created_by.strip()[:120] or "-")
    session.add(event)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise taken from None
    return event


def find_event(session: Session, name: str) -> EmergencyEvent:
    """The event with this name; EventError naming the known ones when there is none."""
    event = session.scalars(select(EmergencyEvent).where(EmergencyEvent.name == clean_name(name))).first()
    if event is None:
        known = ", ".join(repr(item.name) for item in list_events(session)) or "none yet"
        raise EventError(EventProblem.UNKNOWN_EVENT, f"no event named {clean_name(name)!r} (known events: {known})")
    return event


def list_events(session: Session) -> Sequence[EmergencyEvent]:
    """Every event, earliest first."""
    return session.scalars(select(EmergencyEvent).order_by(EmergencyEvent.starts_at, EmergencyEvent.name)).all()


def events_overlapping(session: Session, period: Period) -> Sequence[EmergencyEvent]:
    """The events sharing at least one instant with `period`, earliest first."""
    return session.scalars(
        select(EmergencyEvent)
        .where(EmergencyEvent.starts_at < period.ends_at, EmergencyEvent.ends_at > period.starts_at)
        .order_by(EmergencyEvent.starts_at, EmergencyEvent.name)
    ).all()


def remove_event(session: Session, name: str) -> None:
    """Forget the event with this name; EventError when there is none."""
    event = find_event(session, name)
    session.execute(delete(EmergencyEvent).where(EmergencyEvent.id == event.id))


def remove_event_by_id(session: Session, event_id: int) -> str | None:
    """Forget the event with this id; its name, or None when there is none."""
    event = session.get(EmergencyEvent, event_id)
    if event is None:
        return None
    name = event.name
    session.delete(event)
    return name


def event_period(event: EmergencyEvent, zone: ZoneInfo) -> Period:
    """The local days of the event."""
    return Period.from_instants(event.starts_at, event.ends_at, zone)
