"""The line's timetable as each process sees it: the configured hours plus the stored extensions and closures.

A process keeps the timetable it last built, tagged with the schedule version (the one-row
counter every change bumps, see `storage.hours_repository`) and the instant it was loaded for.
`current` first reads the version, one primary-key lookup, and rebuilds only when it moved: a
change made by `contact-center hours ...` reaches the very next question in every worker
process, with no restart. Rebuilding for every call instead would load and index every row
each time (tens of milliseconds with 1,000 extensions: `bench/hours.py`). The version is read
before the rows, so a timetable is never tagged newer than its contents.

On PostgreSQL a call does not even read the version (`for_call`): every change also sends a
NOTIFY when it commits, and each process LISTENs on a connection of its own (`ScheduleChanges`).
No thread waits on it: each call polls that connection's socket (a system call, no round trip)
and reloads only after a notification, after the listening connection was (re)opened (a change
may have been missed while it was down), or once `RECHECK_SECONDS` have passed (which bounds how
stale a process can be if notifications were lost without the connection failing, such as a
failover that left it attached to the old server). While the listening connection is down,
every call reads the version, as on SQLite, which keeps the per-call check.

When the database cannot be read, `for_call` answers with the last timetable this process
loaded, or else with the configured hours alone (weekly schedule and holidays): a caller always
gets an answer, never an error.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

import psycopg
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from contact_center.config import Settings
from contact_center.prompts import Prompts
from hours import HoursError, LineState, Timetable, describe_reopening, describe_schedule, describe_state
from storage.db import on_dispose
from storage.hours_repository import CHANGE_CHANNEL, load_ranges, schedule_version

log = logging.getLogger(__name__)

SPEECH_PROMPTS_PREFIX: Final = "hours."
RECHECK_SECONDS: Final = 5.0  # a listening process still reads the version this often
RECONNECT_SECONDS: Final = 2.0  # how often a process tries to listen again while it cannot


def configured_timetable(settings: Settings) -> Timetable:
    """The timetable of the configuration alone: weekly bands, holidays, closed dates, time zone."""
    hours = settings.hours
    return Timetable(hours.weekly_schedule(), timezone=settings.line.timezone,
                     local_holidays=hours.local_holiday_list(), closed_dates=hours.closed_date_list())


class ScheduleChanges:
    """Changes of the schedule heard through PostgreSQL's LISTEN, on a connection of this process's own.

    `heard()` is a counter that moves with every notification and every new listening
    connection, or None while this process is not listening. It never blocks on the network
    but to reopen the connection (at most every RECONNECT_SECONDS), and never waits for
    another thread: a call that finds the connection busy gets None and reads the version.
    """

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._clock = clock
        self._lock = threading.Lock()
        self._connection: Any = None  # psycopg.Connection, detached from the engine's pool
        self._pid = os.getpid()
        self._count = 0
        self._next_attempt = 0.0
        on_dispose(engine, lambda _engine: self.close())

    def heard(self) -> int | None:
        """The count of changes heard (and of connections opened), or None while not listening."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if self._pid != os.getpid():  # a forked child: the parent's socket is not ours to use or close
                self._pid, self._connection, self._next_attempt = os.getpid(), None, 0.0
            if self._connection is None and not self._listen():
                return None
            if self._drained():
                self._count += 1
            return self._count
        except (psycopg.Error, OSError, SQLAlchemyError) as error:
            log.warning("opening hours: stopped listening for changes (%s); reading the version on every call "
                        "until it listens again", error.__class__.__name__)
            self._drop()
            return None
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close the listening connection (the engine was disposed, or the process is ending)."""
        with self._lock:
            if self._pid == os.getpid():
                self._drop()

    def _listen(self) -> bool:
        """Open a connection and LISTEN, unless the last attempt was too recent; whether it listens."""
        if self._clock() < self._next_attempt:
            return False
        self._next_attempt = self._clock() + RECONNECT_SECONDS
        pooled = self._engine.raw_connection()
        pooled.detach()  # kept for good: it must not count against, or return to, the pool
        connection = pooled.dbapi_connection
        try:
            connection.autocommit = True
            connection.execute(f"LISTEN {CHANGE_CHANNEL}")
        except Exception:
            connection.close()
            raise
        self._connection = connection
        self._count += 1  # a change may have been made while nobody listened: read the version again
        return True

    def _drained(self) -> bool:
        """Whether a notification arrived since the last look (reading only what the socket holds).

        Anything else on an idle listening connection (the server's goodbye when it shuts down
        or ends the backend, or the end of the stream) counts as a lost connection.
        """
        pgconn = self._connection.pgconn
        readable, _, _ = select.select([pgconn.socket], [], [], 0)
        if not readable:
            return False
        pgconn.consume_input()  # raises when the server closed the connection
        heard = False
        while pgconn.notifies() is not None:
            heard = True
        if not heard or pgconn.status != 0:  # 0: libpq's CONNECTION_OK
            raise psycopg.OperationalError("the listening connection received no notification but other data")
        return heard

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(psycopg.Error, OSError):
                connection.close()
        self._count += 1


@dataclass(frozen=True)
class _Loaded:
    """A timetable built from the rows of one schedule version that were in force after an instant."""

    version: int
    ending_after: datetime
    timetable: Timetable
    heard: int | None = None  # ScheduleChanges.heard() before the version was read
    checked_at: float = 0.0  # when the version was read (time.monotonic)


class LiveSchedule:
    """The configured timetable joined with the database's rows, rebuilt when the schedule version moves."""

    def __init__(self, configured: Timetable, engine: Engine, changes: ScheduleChanges | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.configured = configured
        self._engine = engine
        self._changes = changes
        self._clock = clock
        self._loaded: _Loaded | None = None

    @classmethod
    def for_engine(cls, configured: Timetable, engine: Engine) -> LiveSchedule:
        """A live schedule that listens for changes on PostgreSQL and reads the version per call on SQLite."""
        listens = engine.dialect.name == "postgresql"
        return cls(configured, engine, ScheduleChanges(engine) if listens else None)

    def current(self, now: datetime) -> Timetable:
        """The up-to-date timetable for questions from `now` on; database errors propagate."""
        return self._read(now, None)

    def _read(self, now: datetime, heard: int | None) -> Timetable:
        """Read the version, and the rows if it moved; tag what is kept with `heard`."""
        checked_at = self._clock()
        with self._engine.connect() as connection:
            version = schedule_version(connection)
            loaded = self._loaded
            if loaded is not None and loaded.version == version and loaded.ending_after <= now:
                self._loaded = replace(loaded, heard=heard, checked_at=checked_at)
                return loaded.timetable
            extensions, closures = load_ranges(connection, now)
        timetable = replace(self.configured, extensions=extensions, closures=closures)
        self._loaded = _Loaded(version, now, timetable, heard, checked_at)
        return timetable

    def _without_reading(self, now: datetime) -> Timetable:
        """The kept timetable when no change was heard since it was checked; else read the version."""
        heard = self._changes.heard() if self._changes is not None else None
        loaded = self._loaded
        if (heard is not None and loaded is not None and loaded.heard == heard and loaded.ending_after <= now
                and self._clock() - loaded.checked_at < RECHECK_SECONDS):
            return loaded.timetable
        return self._read(now, heard)

    def for_call(self, now: datetime) -> Timetable:
        """The current timetable, or the best one at hand when the database cannot be read."""
        try:
            return self._without_reading(now)
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
