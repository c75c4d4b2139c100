"""The call log's repository functions: every one is idempotent, and each is one statement.

They run on nearly every webhook of every call, so each is a single INSERT ... ON CONFLICT
(an upsert, on SQLite and PostgreSQL alike) rather than a read followed by a write: a status
callback that arrives before the call was logged still creates the row, a repeated one changes
nothing twice, and concurrent webhooks of one call never race.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final, cast

from sqlalchemy import Table, case, func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import Call
from storage.types import utcnow

FINAL_STATUSES: Final = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
CALLS: Final = cast(Table, Call.__table__)


def _insert(session: Session, values: dict[str, Any]) -> Any:
    """The dialect's INSERT of a call-log row, ready for its ON CONFLICT clause."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(CALLS).values(values)


def record_call_start(session: Session, call_sid: str, caller_number: str | None,
                      line_number: str | None) -> None:
    """The call's log row, created on its first webhook (a repeated greeting changes nothing)."""
    session.execute(_insert(session, {
        "call_sid": call_sid,
        "caller_number": caller_number,
        "caller_withheld": caller_number is None,
        "line_number": line_number,
        "started_at": utcnow(),
    }).on_conflict_do_nothing(index_elements=["call_sid"]))


def record_call_outcome(session: Session, call_sid: str, outcome: str) -> None:
    """Note what the call achieved (message, operator, self_service)."""
    statement = _insert(session, {"call_sid": call_sid, "started_at": utcnow(), "outcome": outcome})
    session.execute(statement.on_conflict_do_update(index_elements=["call_sid"], set_={"outcome": outcome}))


def record_call_end(session: Session, call_sid: str, status: str, duration_seconds: int | None) -> None:
    """Store how the call ended; a repeated or late status callback changes nothing twice.

    The first final status wins; the start moves back to match Twilio's duration when that says
    the call began earlier than its first webhook; a call with no outcome was abandoned.
    """
    now = utcnow()
    if status not in FINAL_STATUSES:
        session.execute(_insert(session, {"call_sid": call_sid, "started_at": now})
                        .on_conflict_do_nothing(index_elements=["call_sid"]))
        return
    began = now - timedelta(seconds=duration_seconds) if duration_seconds is not None else now
    statement = _insert(session, {"call_sid": call_sid, "started_at": began, "ended_at": now, "final_status": status,
                                  "duration_seconds": duration_seconds, "outcome": "abandoned"})
    changes: dict[str, Any] = {"final_status": status, "duration_seconds": duration_seconds, "ended_at": now,
                               "outcome": func.coalesce(CALLS.c.outcome, "abandoned")}
    if duration_seconds is not None:
        changes["started_at"] = case((statement.excluded.started_at < CALLS.c.started_at,
                                      statement.excluded.started_at), else_=CALLS.c.started_at)
    not_yet_ended = or_(CALLS.c.final_status.is_(None), CALLS.c.final_status.not_in(FINAL_STATUSES))
    session.execute(statement.on_conflict_do_update(index_elements=["call_sid"], set_=changes, where=not_yet_ended))
