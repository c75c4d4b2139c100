"""The call log's repository functions: every one is idempotent, and each is one statement.

They run on nearly every webhook of every call, so each is a single INSERT ... ON CONFLICT
(an upsert) rather than a read followed by a write: a status callback that arrives before the
call was logged still creates the row, a repeated one changes nothing twice, and concurrent
webhooks of one call never race. Being one statement, each runs in a session (a journal
replay) or straight on a connection in autocommit (a webhook: one round trip, no transaction
around it). The statements are SQL text that SQLite and PostgreSQL both
run as written, compiled once (see storage.upsert for why not SQLAlchemy's on_conflict_*).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final, cast

from sqlalchemy import Table, bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from storage.models import Call
from storage.upsert import insert_unless_present_statement, string_literals

FINAL_STATUSES: Final = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
CALLS: Final = cast(Table, Call.__table__)

_START: Final = insert_unless_present_statement(
    CALLS, "call_sid", ("call_sid", "caller_number", "caller_withheld", "line_number", "started_at", "language"))
_TOUCH: Final = insert_unless_present_statement(CALLS, "call_sid", ("call_sid", "caller_withheld", "started_at"))
_OUTCOME: Final = text(
    "INSERT INTO calls (call_sid, caller_withheld, started_at, outcome) "
    "VALUES (:call_sid, FALSE, :started_at, :outcome) "
    "ON CONFLICT (call_sid) DO UPDATE SET outcome = excluded.outcome"
).bindparams(bindparam("started_at", type_=CALLS.c.started_at.type))
_LANGUAGE: Final = text(
    "INSERT INTO calls (call_sid, caller_withheld, started_at, language) "
    "VALUES (:call_sid, FALSE, :started_at, :language) "
    "ON CONFLICT (call_sid) DO UPDATE SET language = excluded.language"
).bindparams(bindparam("started_at", type_=CALLS.c.started_at.type))
_FINAL_LIST: Final = string_literals(FINAL_STATUSES)
# The first final status wins; the start moves back when Twilio's duration says the call began
# before its first webhook (:moves_start); a call with no outcome was abandoned.
_END: Final = text(
    "INSERT INTO calls (call_sid, caller_withheld, started_at, ended_at, final_status, duration_seconds, outcome) "
    "VALUES (:call_sid, FALSE, :started_at, :ended_at, :final_status, :duration_seconds, 'abandoned') "
    "ON CONFLICT (call_sid) DO UPDATE SET final_status = excluded.final_status, "
    "duration_seconds = excluded.duration_seconds, ended_at = excluded.ended_at, "
    "outcome = COALESCE(calls.outcome, excluded.outcome), "
    "started_at = CASE WHEN :moves_start AND excluded.started_at < calls.started_at "
    "THEN excluded.started_at ELSE calls.started_at END "
    f"WHERE calls.final_status IS NULL OR calls.final_status NOT IN ({_FINAL_LIST})"
).bindparams(bindparam("started_at", type_=CALLS.c.started_at.type),
             bindparam("ended_at", type_=CALLS.c.ended_at.type))


def record_call_start(session: Session | Connection, call_sid: str, caller_number: str | None,
                      line_number: str | None, *, now: datetime, language: str = "it") -> None:
    """The call's log row, created on its first webhook (a repeated greeting changes nothing)."""
    session.execute(_START, {"call_sid": call_sid, "caller_number": caller_number,
                             "caller_withheld": caller_number is None, "line_number": line_number,
                             "started_at": now, "language": language})


def record_call_language(session: Session | Connection, call_sid: str, language: str, *, now: datetime) -> None:
    """The language the caller chose during the call (the last choice wins)."""
    session.execute(_LANGUAGE, {"call_sid": call_sid, "started_at": now, "language": language})


def record_call_outcome(session: Session | Connection, call_sid: str, outcome: str, *, now: datetime) -> None:
    """Note what the call achieved (message, operator, self_service)."""
    session.execute(_OUTCOME, {"call_sid": call_sid, "started_at": now, "outcome": outcome})


def record_call_end(session: Session | Connection, call_sid: str, status: str, duration_seconds: int | None, *,
                    now: datetime) -> None:
    """Store how the call ended; a repeated or late status callback changes nothing twice."""
    if status not in FINAL_STATUSES:
        session.execute(_TOUCH, {"call_sid": call_sid, "caller_withheld": False, "started_at": now})
        return
    began = now - timedelta(seconds=duration_seconds) if duration_seconds is not None else now
    session.execute(_END, {"call_sid": call_sid, "started_at": began, "ended_at": now, "final_status": status,
                           "duration_seconds": duration_seconds, "moves_start": duration_seconds is not None})
