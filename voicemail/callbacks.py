"""The callback list: entries created during a call, recordings attached idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import CallbackRequest
from storage.upsert import insert_or_get

REASONS = ("closed", "all_busy", "no_answer", "chosen", "no_choice", "error")
NUMBER_SOURCES = ("caller_id", "keypad", "none")
STATUSES = ("pending", "claimed", "done", "unreachable")
FAILED_RECORDING_STATUSES = {"failed": "failed", "absent": "absent"}


@dataclass(frozen=True)
class Recording:
    """What Twilio reports about a recording."""

    sid: str
    url: str
    duration_seconds: int
    status: str = "completed"


def open_callback_request(session: Session, call_sid: str, callback_number: str | None,
                          number_source: str, reason: str) -> CallbackRequest:
    """The call's callback entry, created once; a repeated webhook returns the same one."""
    if number_source not in NUMBER_SOURCES:
        raise ValueError(f"unknown number source {number_source!r}")
    if reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    return insert_or_get(session, CallbackRequest, "call_sid", {
        "call_sid": call_sid,
        "callback_number": callback_number,
        "number_source": number_source,
        "reason": reason,
    })


def attach_recording(session: Session, call_sid: str, recording: Recording,
                     reason: str = "error") -> CallbackRequest:
    """Attach a recording to the call's entry; repeated or early callbacks change nothing twice.

    A recording callback for a call with no entry yet (it came before the caller confirmed a
    number, or the entry was written elsewhere) creates one with no callback number.
    """
    entry = insert_or_get(session, CallbackRequest, "call_sid", {
        "call_sid": call_sid, "callback_number": None, "number_source": "none", "reason": reason,
    })
    if entry.message_status == "recorded":
        return entry
    failed_status = FAILED_RECORDING_STATUSES.get(recording.status)
    if failed_status:
        entry.message_status = failed_status
    elif recording.duration_seconds <= 0:
        entry.message_status = "no_message"
    else:
        entry.message_status = "recorded"
    if recording.sid:
        entry.recording_sid = recording.sid
        entry.recording_url = recording.url or entry.recording_url
        entry.recording_duration = max(recording.duration_seconds, 0)
    return entry


def mark_no_message(session: Session, call_sid: str) -> CallbackRequest | None:
    """The caller hung up or stayed silent: the entry stays, with no message."""
    entry = session.scalars(select(CallbackRequest).where(CallbackRequest.call_sid == call_sid)).first()
    if entry is not None and entry.message_status == "awaiting":
        entry.message_status = "no_message"
    return entry


def list_callback_requests(session: Session, status: str | None = None,
                           limit: int = 200) -> Sequence[CallbackRequest]:
    """Entries in work order: oldest first."""
    query = select(CallbackRequest).order_by(CallbackRequest.created_at, CallbackRequest.id)
    if status:
        query = query.where(CallbackRequest.status == status)
    return session.scalars(query.limit(limit)).all()
