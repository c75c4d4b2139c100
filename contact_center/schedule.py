"""The line's timetable as each process sees it: the configured hours plus the stored extensions and closures.

A process keeps the timetable it last built, tagged with the schedule version (the one-row
counter every change bumps, see `storage.hours_repository`) and the instant it was loaded for.
Each question first reads the version, one primary-key lookup, and rebuilds only when it moved:
a change made by `contact-center hours ...` reaches the very next call in every worker process,
with no restart and no message between processes. Rebuilding for every call instead would load
and index every row each time (tens of milliseconds with 1,000 extensions: `bench/hours.py`).
The version is read before the rows, so a timetable is never tagged newer than its contents.

When the database cannot be read, `for_call` answers with the last timetable this process
loaded, or else with the configured hours alone (weekly schedule and holidays): a caller always
gets an answer, never an error.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from contact_center.config import Settings
from contact_center.prompts import Prompts
from hours import HoursError, LineState, Timetable, describe_reopening, describe_schedule, describe_state
from storage.hours_repository import load_ranges, schedule_version

log = logging.getLogger(__name__)

SPEECH_PROMPTS_PREFIX: Final = "hours."


def configured_timetable(settings: Settings) -> Timetable:
    """The timetable of the configuration alone: weekly bands, holidays, closed dates, time zone."""
    hours = settings.hours
    return Timetable(hours.weekly_schedule(), timezone=settings.line.timezone,
                     local_holidays=hours.local_holiday_list(), closed_dates=hours.closed_date_list())


@dataclass(frozen=True)
class _Loaded:
    """A timetable built from the rows of one schedule version that were in force after an instant."""

    version: int
    ending_after: datetime
    timetable: Timetable


class LiveSchedule:
    """The configured timetable joined with the database's rows, rebuilt when the schedule version moves."""

    def __init__(self, configured: Timetable, engine: Engine) -> None:
        self.configured = configured
        self._engine = engine
        self._loaded: _Loaded | None = None

    def current(self, now: datetime) -> Timetable:
        """The up-to-date timetable for questions from `now` on; database errors propagate."""
        with self._engine.connect() as connection:
            version = schedule_version(connection)
            loaded = self._loaded
            if loaded is not None and loaded.version == version and loaded.ending_after <= now:
                return loaded.timetable
            extensions, closures = load_ranges(connection, now)
        timetable = replace(self.configured, extensions=extensions, closures=closures)
        self._loaded = _Loaded(version, now, timetable)
        return timetable

    def for_call(self, now: datetime) -> Timetable:
        """The current timetable, or the best one at hand when the database cannot be read."""
        try:
            return self.current(now)
        except (SQLAlchemyError, HoursError) as error:
            loaded = self._loaded
            fallback = loaded.timetable if loaded is not None else self.configured
            log.warning("opening hours: cannot read the schedule (%s: %s); using the %s",
                        error.__class__.__name__, str(error).splitlines()[0] if str(error) else "",
                        "last loaded timetable" if loaded is not None else "configured hours only")
            return fallback


def speech_templates(prompts: Prompts) -> Mapping[str, str]:
    """The words of the opening-hours sentences, from the prompts named "hours.*"."""
    return prompts.group(SPEECH_PROMPTS_PREFIX)


@dataclass(frozen=True)
class HoursSentences:
    """What to say about the line at an instant, in Italian."""

    state: str
    reopening: str | None
    schedule: str


def sentences_at(timetable: Timetable, state: LineState, now: datetime,
                 templates: Mapping[str, str]) -> HoursSentences:
    """Why the line is open or closed at `now`, when it reopens (None while open), and the weekly hours."""
    reopening = None if state.is_open else describe_reopening(
        timetable.next_opening(now), now, templates, timetable.timezone)
    return HoursSentences(describe_state(state, templates), reopening, describe_schedule(timetable.schedule, templates))
