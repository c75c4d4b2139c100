"""Every figure of a period, and of the ordinary period it is compared with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from figures.events import event_period, events_overlapping
from figures.model import Figures
from figures.opening import open_intervals
from figures.period import Period
from figures.queries import answer_rate, call_figures, callback_figures, ticket_figures, written_figures
from hours import Timetable
from storage.models import EmergencyEvent


@dataclass(frozen=True)
class Comparison:
    """A period's figures beside those of the same number of days just before it."""

    current: Figures
    ordinary: Figures
    events_in_ordinary: tuple[str, ...]


@dataclass(frozen=True)
class EventComparison:
    """An emergency event's figures beside its ordinary period, and its crisis extensions."""

    name: str
    comparison: Comparison
    extensions: int


def compute_figures(session: Session, period: Period, timetable: Timetable) -> Figures:
    """Every figure of the period; the answer rate counts the timetable's open intervals."""
    return Figures(
        period=period,
        calls=call_figures(session, period),
        answer_rate=answer_rate(session, open_intervals(timetable, period)),
        tickets=ticket_figures(session, period),
        callbacks=callback_figures(session, period),
        written=written_figures(session, period),
    )


def compare(session: Session, period: Period, timetable: Timetable) -> Comparison:
    """The period against the ordinary one, naming any event that falls in the ordinary one."""
    ordinary = period.preceding()
    return Comparison(
        current=compute_figures(session, period, timetable),
        ordinary=compute_figures(session, ordinary, timetable),
        events_in_ordinary=tuple(event.name for event in events_overlapping(session, ordinary)),
    )


def compare_events(session: Session, events: Sequence[EmergencyEvent], timetable: Timetable) -> list[EventComparison]:
    """Each event against its own ordinary period; its extensions are those overlapping its period."""
    compared = []
    for event in events:
        period = event_period(event, timetable.zone)
        extensions = timetable.extensions_overlapping(period.starts_at, period.ends_at)
        compared.append(EventComparison(event.name, compare(session, period, timetable), len(extensions)))
    return compared
