"""A small, known data set for the dossier's tests: an emergency and the ordinary days before it.

The event runs on 20-22 May 2026 (Wednesday to Friday), its ordinary period on 17-19 May
(Sunday to Tuesday). Every row carries personal data (numbers, names, messages) that no
report may show. Times are Europe/Rome wall-clock times.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from contact_center.config import settings_from_mapping
from contact_center.schedule import configured_timetable
from figures.period import Period
from hours import Timetable
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Call, CallbackAttempt, CallbackMessage, CallbackRequest, Ticket

ROME: Final = ZoneInfo("Europe/Rome")
EVENT_NAME: Final = "Terremoto Emilia"
EVENT_PERIOD: Final = Period(date(2026, 5, 20), date(2026, 5, 22), ROME)
ORDINARY_PERIOD: Final = Period(date(2026, 5, 17), date(2026, 5, 19), ROME)
SECRET_NUMBERS: Final = ("+393331234567", "3331234567", "+390612345678", "0612345678", "+393479876543")
SECRET_TEXTS: Final = ("Mario Rossi", "Giulia Bianchi", "crepa nel muro portante", "mario.rossi@example.it",
                       "RE0123456789abcdef", "https://api.twilio.com/recordings/RE0123456789abcdef")

# (local time, outcome): calls of the event, then of the ordinary period, then just outside both.
EVENT_CALLS: Final = (
    ((2026, 5, 20, 8, 30), "message"),       # before opening
    ((2026, 5, 20, 9, 0), "operator"),       # the opening instant
    ((2026, 5, 20, 10, 15), "operator"),
    ((2026, 5, 20, 10, 45), "abandoned"),
    ((2026, 5, 20, 17, 59, 59), "self_service"),
    ((2026, 5, 20, 18, 0), "message"),       # the closing instant: closed
    ((2026, 5, 21, 0, 30), "message"),       # 22:30 UTC the day before
    ((2026, 5, 21, 11, 0), "operator"),
    ((2026, 5, 21, 11, 20), None),           # no outcome stored
    ((2026, 5, 22, 23, 59), "abandoned"),
)
ORDINARY_CALLS: Final = (
    ((2026, 5, 17, 10, 0), "message"),       # Sunday: closed
    ((2026, 5, 18, 9, 30), "operator"),
    ((2026, 5, 18, 12, 0), "abandoned"),
    ((2026, 5, 18, 15, 0), "abandoned"),
    ((2026, 5, 19, 23, 59), "message"),
)
OUTSIDE_CALLS: Final = (
    ((2026, 5, 16, 23, 59), "operator"),
    ((2026, 5, 23, 0, 0), "operator"),
)
# (local time, topic, channel)
EVENT_TICKETS: Final = (
    ((2026, 5, 20, 9, 5), "risks", "phone"),
    ((2026, 5, 20, 9, 6), "risks", "phone"),
    ((2026, 5, 21, 14, 0), "risks", "phone"),
    ((2026, 5, 21, 19, 0), "risks", "voicemail"),
    ((2026, 5, 22, 8, 0), "other", "web"),
)
ORDINARY_TICKETS: Final = (((2026, 5, 18, 10, 0), "campaigns", "phone"),)
OUTSIDE_TICKETS: Final = (((2026, 5, 23, 0, 0), "risks", "phone"),)
# (local time of the first message, status, local times of the attempts with their outcomes)
EVENT_CALLBACKS: Final = (
    ((2026, 5, 20, 8, 31), "done", (((2026, 5, 20, 9, 1), "no_answer"), ((2026, 5, 20, 9, 30), "reached"))),
    ((2026, 5, 20, 18, 1), "done", (((2026, 5, 21, 9, 1), "reached"),)),
    ((2026, 5, 21, 0, 31), "unreachable", (((2026, 5, 21, 14, 31), "no_answer"), ((2026, 5, 21, 9, 31), "busy"),
                                            ((2026, 5, 21, 10, 31), "no_answer"))),
    ((2026, 5, 21, 20, 0), "pending", (((2026, 5, 22, 9, 0), "no_answer"),)),
    ((2026, 5, 22, 7, 0), "claimed", ()),
)
ORDINARY_CALLBACKS: Final = (((2026, 5, 17, 10, 1), "done", (((2026, 5, 18, 9, 1, 30), "reached"),)),)

def rome(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """A Europe/Rome wall-clock time as an aware UTC instant."""
    return datetime(year, month, day, hour, minute, second, tzinfo=ROME).astimezone(UTC)


def standard_timetable() -> Timetable:
    """The default configuration's opening hours (Monday to Friday, 09:00-18:00)."""
    return configured_timetable(settings_from_mapping({}))


def migrated_engine(url: str) -> Engine:
    """An engine on `url` with the schema migrated."""
    engine = make_engine(url)
    upgrade(engine)
    return engine


def add_calls(session: Session, calls: tuple[tuple[tuple[int, ...], str | None], ...], prefix: str) -> None:
    """Store calls with personal caller numbers; one in four (the 2nd, 6th, ...) in English."""
    for index, (when, outcome) in enumerate(calls):
        started = rome(*when)
        session.add(Call(call_sid=f"CA{prefix}{index:04d}", caller_number=SECRET_NUMBERS[index % 3],
                         line_number="+39800840840", started_at=started, outcome=outcome,
                         language="en" if index % 4 == 1 else "it",
                         ended_at=started + timedelta(minutes=3), final_status="completed", duration_seconds=180))


def add_tickets(session: Session, tickets: tuple[tuple[tuple[int, ...], str, str], ...], prefix: str) -> None:
    """Store tickets whose summaries name people and repeat their numbers."""
    for index, (when, topic, channel) in enumerate(tickets):
        session.add(Ticket(code=f"{prefix}{index:05d}", channel=channel, topic=topic, status="received",
                           contact_phone=SECRET_NUMBERS[index % 3], contact_email=SECRET_TEXTS[3],
                           summary=f"{SECRET_TEXTS[index % 2]} segnala una {SECRET_TEXTS[2]}, "
                                   f"richiamare al {SECRET_NUMBERS[1]}",
                           created_at=rome(*when), status_changed_at=rome(*when)))


def add_callbacks(session: Session, entries: tuple[tuple[Any, ...], ...], prefix: str) -> None:
    """Store callback entries with their messages (numbers, recordings, transcripts) and attempts."""
    for index, (when, status, attempts) in enumerate(entries):
        number = SECRET_NUMBERS[index % 3]
        entry = CallbackRequest(callback_number=number, reason="closed", status=status, created_at=rome(*when),
                                attempt_count=len(attempts))
        entry.messages.append(CallbackMessage(
            call_sid=f"CB{prefix}{index:04d}", callback_number=number, number_source="caller_id", reason="closed",
            message_status="recorded", recording_sid=SECRET_TEXTS[4], recording_url=SECRET_TEXTS[5],
            recording_duration=20, transcript=f"{SECRET_TEXTS[0]}: {SECRET_TEXTS[2]}", created_at=rome(*when)))
        for attempted, outcome in attempts:
            entry.attempts.append(CallbackAttempt(outcome=outcome, operator=SECRET_TEXTS[1],
                                                  note=f"{SECRET_TEXTS[0]} {number}", attempted_at=rome(*attempted)))
        session.add(entry)

def load_dataset(engine: Engine) -> None:
    """Store the whole known data set."""
    with Session(engine) as session:
        add_calls(session, EVENT_CALLS, "E")
        add_calls(session, ORDINARY_CALLS, "O")
        add_calls(session, OUTSIDE_CALLS, "X")
        add_tickets(session, EVENT_TICKETS, "E")
        add_tickets(session, ORDINARY_TICKETS, "O")
        add_tickets(session, OUTSIDE_TICKETS, "X")
        add_callbacks(session, EVENT_CALLBACKS, "E")
        add_callbacks(session, ORDINARY_CALLBACKS, "O")
        session.commit()


def write_config(tmp_path: Path, database_url: str) -> Path:
    """A configuration file for the CLI on `database_url`."""
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "database": {"url": database_url, "instance_dir": str(tmp_path / "instance")},
        "twilio": {"auth_token": "test-auth-token"},
    }), encoding="utf-8")
    return path
