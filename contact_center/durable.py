"""Writes a call must not lose: to the database, or to the journal when it is down."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from contact_center.durable_writes import (
    OPERATIONS,
    CoreWrite,
    DurableWrite,
    from_journal,
    journal_arguments,
)
from storage.db import autocommit_engine
from storage.journal import REJECTED, Journal, JournalEntry

log = logging.getLogger(__name__)

DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeoutError)
NEVER_APPLICABLE = (TypeError, ValueError, KeyError, DataError, IntegrityError)
REPLAY_GROUP_SIZE = 100


class DurableWriter:
    """Apply typed idempotent writes, journaling them while the database is down.

    While earlier writes wait in the journal, new ones queue behind them: the writes of one
    call reach the database in the order they were made. A background thread of each
    process replays the journal, at most every `retry_seconds` while the database refuses.

    A write of SQL statements alone (a `CoreWrite`) runs in one transaction on a Core
    connection, with no ORM session to build and flush. One that is a single statement (a
    `SingleStatementWrite`) runs in autocommit: the statement is its own transaction, one round
    trip to the server where BEGIN, the statement and COMMIT would be three. It is as durable:
    the server answers once it has committed. Both go through `CoreWrite.apply_alone`: a write
    that is one statement there (always for a `SingleStatementWrite`, sometimes for another)
    is done in autocommit; otherwise `apply` runs in a transaction.
    """

    def __init__(self, sessions: sessionmaker[Session], journal: Journal, retry_seconds: float = 2.0, *,
                 autocommit: Engine | None = None) -> None:
        """`autocommit`: the sessions' engine in autocommit (storage.db.autocommit_engine), made here if not given."""
        self.sessions = sessions
        self.journal = journal
        self.replayer = BackgroundReplayer(self._replay_if_free, journal.has_backlog, retry_seconds)
        engine = sessions.kw.get("bind")
        self._engine = engine if isinstance(engine, Engine) else None
        if autocommit is None and self._engine is not None:
            autocommit = autocommit_engine(self._engine)
        self.autocommit = autocommit  # where a write that is one statement runs

    def apply(self, write: DurableWrite, now: datetime) -> bool:
        """Write now if possible; return False when the write went to the journal.

        `now` is the instant the write happens at; replayed later, it keeps that instant.
        """
        if not self.journal.has_backlog():
            try:
                if self._engine is not None and isinstance(write, CoreWrite):
                    if not self._applied_alone(write, now):
                        with self._engine.begin() as connection:
                            write.apply(connection, now)
                else:
                    with self.sessions.begin() as session:
                        write.apply(session, now)
                return True
            except DATABASE_DOWN as exc:
                log.warning("database unavailable, journaling %s: %s", write.operation, exc.__class__.__name__)
        self.journal.append(write.operation, journal_arguments(write), now)
        self.replayer.wake()
        return False

    def _applied_alone(self, write: CoreWrite, now: datetime) -> bool:
        """Whether the write was done in one statement in autocommit (see `CoreWrite.apply_alone`)."""
        if self.autocommit is None or self.autocommit.dialect.name not in write.alone_on:
            return False  # no connection checked out for a write that is never one statement here
        with self.autocommit.connect() as connection:
            return write.apply_alone(connection, now)

    def replay_backlog(self) -> int:
        """Replay the journal now, waiting for any other replayer; database errors propagate."""
        return self.journal.replay_groups(self._apply_group, REPLAY_GROUP_SIZE) or 0

    def replay_soon(self) -> None:
        """Have this process's background thread replay the journal if it holds anything."""
        if self.journal.has_backlog():
            self.replayer.wake()

    def _replay_if_free(self) -> int | None:
        return self.journal.replay_groups(self._apply_group, REPLAY_GROUP_SIZE, wait=False)

    def _apply_group(self, entries: list[JournalEntry]) -> None:
        """Consecutive journaled writes in one transaction (a backlog drains many times faster).

        If one of them can never be applied, the group is applied again entry by entry, so
        that only that one is set aside.
        """
        try:
            with self.sessions.begin() as session:
                for entry in entries:
                    from_journal(entry.operation, entry.arguments).apply(session, entry.asked_at)
        except NEVER_APPLICABLE:
            for entry in entries:
                self._apply_entry(entry)

    def _apply_entry(self, entry: JournalEntry) -> None:
        """Apply one journaled write; one that can never be applied is set aside, not retried forever."""
        if entry.operation not in OPERATIONS:
            self._reject(entry, f"unknown operation {entry.operation!r}")
            return
        try:
            write = from_journal(entry.operation, entry.arguments)
            with self.sessions.begin() as session:
                write.apply(session, entry.asked_at)
        except NEVER_APPLICABLE as exc:
            self._reject(entry, f"{exc.__class__.__name__}: {exc}")

    def _reject(self, entry: JournalEntry, reason: str) -> None:
        log.error("journaled %s cannot be applied, set aside in %s: %s",
                  entry.operation, self.journal.directory / REJECTED, reason)
        self.journal.reject(entry, reason)


class BackgroundReplayer:
    """A daemon thread that replays the journal while it holds entries, then ends."""

    def __init__(self, replay: Callable[[], int | None], has_backlog: Callable[[], bool],
                 retry_seconds: float) -> None:
        self.retry_seconds = retry_seconds
        self._replay = replay
        self._has_backlog = has_backlog
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def wake(self) -> None:
        """Make sure the thread runs (started in this process, after a fork too)."""
        with self._lock:
            self._wanted.set()
            alive = self._thread is not None and self._thread.is_alive() and self._pid == os.getpid()
            if not alive and not self._stopped.is_set():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="journal-replayer", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        """End the thread (for a process that is shutting down)."""
        self._stopped.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wanted.clear()
            self._attempt()
            if not self._has_backlog():
                with self._lock:
                    if not self._wanted.is_set():
                        self._thread = None
                        return
                continue
            self._stopped.wait(self.retry_seconds)

    def _attempt(self) -> None:
        try:
            replayed = self._replay()
        except DATABASE_DOWN as exc:
            log.info("journal replay postponed, database still unavailable: %s", exc.__class__.__name__)
        except Exception:  # keep the thread alive: the entries stay in the journal
            log.exception("journal replay failed; retrying in %s s", self.retry_seconds)
        else:
            if replayed:
                log.info("replayed %d journaled writes", replayed)
