"""The call log's repository functions: every one is idempotent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from storage.models import Call
from storage.types import utcnow
from storage.upsert import get_or_insert, insert_or_get

FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


def record_call_start(session: Session, call_sid: str, caller_number: str | None,
                      line_number: str | None) -> Call:
    """The call's log row, created on its first webhook."""
    return insert_or_get(session, Call, "call_sid", {
        "call_sid": call_sid,
        "caller_number": caller_number,
        "caller_withheld": caller_number is None,
        "line_number": line_number,
        "started_at": utcnow(),
    })


def record_call_outcome(session: Session, call_sid: str, outcome: str) -> None:
    """Note what the call achieved (message, operator, self_service)."""
    call = get_or_insert(session, Call, "call_sid", {"call_sid": call_sid, "started_at": utcnow()})
    call.outcome = outcome


def record_call_end(session: Session, call_sid: str, status: str, duration_seconds: int | None) -> Call:
    """Store how the call ended; a repeated or late status callback changes nothing twice."""
    call = get_or_insert(session, Call, "call_sid", {"call_sid": call_sid, "started_at": utcnow()})
    if status not in FINAL_STATUSES or call.final_status in FINAL_STATUSES:
        return call
    call.final_status = status
    call.duration_seconds = duration_seconds
    call.ended_at = utcnow()
    if duration_seconds is not None and call.started_at:
        call.started_at = min(call.started_at, call.ended_at - timedelta(seconds=duration_seconds))
    if call.outcome is None:
        call.outcome = "abandoned"
    return call
