"""Writes a call must not lose: to the database, or to the journal when it is down."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError, TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from storage import call_log
from storage.journal import Journal, JournalEntry
from voicemail import callbacks

log = logging.getLogger(__name__)

DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeoutError)


def _open_callback_request(session: Session, **arguments: Any) -> None:
    callbacks.open_callback_request(session, **arguments)


def _attach_recording(session: Session, call_sid: str, reason: str, **recording: Any) -> None:
    callbacks.attach_recording(session, call_sid, callbacks.Recording(**recording), reason=reason)


def _mark_no_message(session: Session, call_sid: str) -> None:
    callbacks.mark_no_message(session, call_sid)


def _note_code_sms(session: Session, call_sid: str, sms_sid: str) -> None:
    callbacks.note_code_sms(session, call_sid, sms_sid)


def _record_call_start(session: Session, **arguments: Any) -> None:
    call_log.record_call_start(session, **arguments)


def _record_call_outcome(session: Session, **arguments: Any) -> None:
    call_log.record_call_outcome(session, **arguments)


def _record_call_end(session: Session, **arguments: Any) -> None:
    call_log.record_call_end(session, **arguments)


OPERATIONS: dict[str, Callable[..., None]] = {
    "open_callback_request": _open_callback_request,
    "attach_recording": _attach_recording,
    "mark_no_message": _mark_no_message,
    "note_code_sms": _note_code_sms,
    "record_call_start": _record_call_start,
    "record_call_outcome": _record_call_outcome,
    "record_call_end": _record_call_end,
}


class DurableWriter:
    """Apply named idempotent operations, journaling them while the database is down."""

    def __init__(self, sessions: sessionmaker[Session], journal: Journal) -> None:
        self.sessions = sessions
        self.journal = journal

    def apply(self, operation: str, **arguments: Any) -> bool:
        """Write now if possible; return False when the write went to the journal."""
        handler = OPERATIONS[operation]
        try:
            self.replay_backlog()
            with self.sessions.begin() as session:
                handler(session, **arguments)
            return True
        except DATABASE_DOWN as exc:
            log.warning("database unavailable, journaling %s: %s", operation, exc.__class__.__name__)
            self.journal.append(operation, arguments)
            return False

    def replay_backlog(self) -> int:
        """Replay the journal if it holds anything; database errors propagate."""
        if not self.journal.has_backlog():
            return 0
        replayed = self.journal.replay(self._apply_entry)
        if replayed:
            log.info("replayed %d journaled writes", replayed)
        return replayed

    def _apply_entry(self, entry: JournalEntry) -> None:
        with self.sessions.begin() as session:
            OPERATIONS[entry.operation](session, **entry.arguments)
