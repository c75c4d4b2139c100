"""Messages left by callers, and the callback entries they open or join.

Every write here is idempotent per call (keyed on the CallSid), so the durable writer may
replay it from its journal, and Twilio may repeat a webhook, without doubling anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import CallbackMessage, CallbackRequest, Ticket
from storage.upsert import get_or_insert, inserted_or_got
from tickets.repository import create_ticket
from tickets.status import Channel, Topic
from voicemail.status import CallbackStatus

REASONS: Final = ("closed", "all_busy", "no_answer", "chosen", "no_choice", "error")
# Work order among due entries: a technical failure first, then callers who wanted an operator
# during opening hours, then the line closed, then callers who chose to leave a message.
REASON_PRIORITY: Final = {"error": 0, "no_answer": 1, "all_busy": 2, "closed": 3, "no_choice": 4, "chosen": 5}
NUMBER_SOURCES: Final = ("caller_id", "keypad", "none")
FAILED_RECORDING_STATUSES: Final = {"failed": "failed", "absent": "absent"}
UNRECORDED: Final = frozenset({"awaiting", "no_message"})
TICKET_SUMMARY: Final = "Messaggio in segreteria con richiesta di richiamata"
_NUMBER_LOCK_CLASS: Final = 5_800_840  # namespace of the PostgreSQL advisory locks taken here


@dataclass(frozen=True)
class Recording:
    """What Twilio reports about a recording."""

    sid: str
    url: str
    duration_seconds: int
    status: str = "completed"


def _check(reason: str, number_source: str) -> None:
    if number_source not in NUMBER_SOURCES:
        raise ValueError(f"unknown number source {number_source!r}")
    if reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r}")


def _message_values(call_sid: str, callback_number: str | None, number_source: str, reason: str,
                    now: datetime) -> dict[str, Any]:
    return {"call_sid": call_sid, "callback_number": callback_number, "number_source": number_source,
            "reason": reason, "created_at": now}


def _message(session: Session, call_sid: str, callback_number: str | None, number_source: str,
             reason: str, now: datetime) -> CallbackMessage:
    """The call's message row, read first: a recording callback nearly always finds it."""
    return get_or_insert(session, CallbackMessage, "call_sid",
                         _message_values(call_sid, callback_number, number_source, reason, now))


def _lock_number(session: Session, number: str) -> None:
    """Serialize joins for one number (PostgreSQL; SQLite already holds its single write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_NUMBER_LOCK_CLASS, func.hashtext(number))))


def _pending_entry_for(session: Session, number: str) -> CallbackRequest | None:
    """The oldest pending entry with this number, locked for update."""
    _lock_number(session, number)
    return session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.callback_number == number, CallbackRequest.status == CallbackStatus.PENDING.value)
        .order_by(CallbackRequest.id).limit(1).with_for_update()
    ).first()


def _join(entry: CallbackRequest, message: CallbackMessage, now: datetime) -> None:
    """A new message from the entry's number: counted, the entry due now, its reason the most urgent."""
    entry.message_count += 1
    entry.next_attempt_at = min(entry.next_attempt_at, now)
    if REASON_PRIORITY[message.reason] < entry.priority:
        entry.priority = REASON_PRIORITY[message.reason]
        entry.reason = message.reason


def _file(session: Session, message: CallbackMessage, now: datetime, ticket_id: int | None = None) -> CallbackRequest:
    """Put a message on the list: join the number's pending entry, or open a new entry.

    `ticket_id`, the message's new ticket, is set on the message with its entry: one UPDATE.
    """
    with session.no_autoflush:  # the message's changes go in one UPDATE at the end
        entry = _pending_entry_for(session, message.callback_number) if message.callback_number else None
    if entry is not None:
        _join(entry, message, now)
    else:
        entry = CallbackRequest(callback_number=message.callback_number, reason=message.reason,
                                priority=REASON_PRIORITY[message.reason], status=CallbackStatus.PENDING.value,
                                message_count=1,
                                ticket_id=ticket_id if ticket_id is not None else message.ticket_id,
                                next_attempt_at=now, attempt_count=0, created_at=now, updated_at=now)
        session.add(entry)
    session.flush()
    message.entry_id = entry.id
    if ticket_id is not None:
        message.ticket_id = ticket_id
    return entry


def open_callback_request(session: Session, call_sid: str, callback_number: str | None,
                          number_source: str, reason: str, tracking_code: str | None = None,
                          code_length: int = 8, *, now: datetime, language: str = "it",
                          topic: str = Topic.OTHER.value) -> CallbackMessage:
    """The call's message, its ticket (with `tracking_code` when free) and its place on the list.

    A repeated webhook returns the same message; the first number given for a call is kept,
    unless the call only had an early recording callback and no number yet. `topic` is the one
    the caller chose in the topic menu (an unknown value counts as "other").
    """
    _check(reason, number_source)
    message, fresh = inserted_or_got(session, CallbackMessage, "call_sid",
                                     _message_values(call_sid, callback_number, number_source, reason, now))
    if message.number_source == "none" and callback_number is not None:
        message.callback_number, message.number_source = callback_number, number_source
    new_ticket_id = None
    if message.ticket_id is None:
        # Only this function makes a call's ticket, with its message: a message new now has none.
        new_ticket_id = create_ticket(session, now=now, channel=Channel.VOICEMAIL, summary=TICKET_SUMMARY,
                                      topic=_topic(topic),
                                      phone=message.callback_number, call_sid=call_sid, code=tracking_code,
                                      code_length=code_length, call_has_none=fresh, language=language).id
    if message.entry_id is None:
        _file(session, message, now, new_ticket_id)
    else:
        if new_ticket_id is not None:
            message.ticket_id = new_ticket_id
        _complete_entry(session, message)
    return message


def _topic(raw: str) -> Topic:
    try:
        return Topic(raw)
    except ValueError:
        return Topic.OTHER


def _complete_entry(session: Session, message: CallbackMessage) -> None:
    """An entry opened by an early recording callback gets the number and ticket found later."""
    entry = session.get(CallbackRequest, message.entry_id)
    if entry is None or entry.message_count != 1:
        return
    entry.callback_number = entry.callback_number or message.callback_number
    entry.ticket_id = entry.ticket_id or message.ticket_id


def attach_recording(session: Session, call_sid: str, recording: Recording,
                     reason: str = "error", *, now: datetime) -> CallbackMessage:
    """Attach a recording to the call's message; repeated or early callbacks change nothing twice.

    Twilio's "failed" or "absent" (from the status callback, which knows about the file) wins
    over the Record action's report; otherwise the first recording reported is kept. A
    recording for a call with no message yet (its callback came before the caller's number
    was stored) opens one with no callback number, so the recording is never lost.
    """
    message = _message(session, call_sid, None, "none", reason if reason in REASONS else "error", now)
    if message.entry_id is None:
        _file(session, message, now)
    failed_status = FAILED_RECORDING_STATUSES.get(recording.status)
    if failed_status:
        message.message_status = failed_status
        if message.copy_status == "pending":
            message.copy_status = "none"
        return message
    if message.message_status not in UNRECORDED:
        return message
    message.message_status = "recorded" if recording.duration_seconds > 0 else "no_message"
    if recording.sid:
        message.recording_sid = recording.sid
        message.recording_url = recording.url or message.recording_url
        message.recording_duration = max(recording.duration_seconds, 0)
    if message.message_status == "recorded" and message.recording_sid and message.copy_status == "none":
        message.copy_status, message.copy_next_at = "pending", now
    return message


def mark_no_message(session: Session, call_sid: str) -> CallbackMessage | None:
    """The caller hung up or stayed silent: the entry stays, with no message."""
    message = session.scalars(select(CallbackMessage).where(CallbackMessage.call_sid == call_sid)).first()
    if message is not None and message.message_status == "awaiting":
        message.message_status = "no_message"
    return message


def note_code_sms(session: Session, call_sid: str, sms_sid: str) -> None:
    """Remember that the tracking code went by SMS, so it is never sent twice."""
    message = session.scalars(select(CallbackMessage).where(CallbackMessage.call_sid == call_sid)).first()
    if message is not None and message.code_sms_sid is None:
        message.code_sms_sid = sms_sid[:64]


def message_for_call(session: Session, call_sid: str) -> CallbackMessage | None:
    """The message a call left, if any."""
    return session.scalars(select(CallbackMessage).where(CallbackMessage.call_sid == call_sid)).first()


def ticket_code_for_call(session: Session, call_sid: str) -> str | None:
    """The tracking code of the call's ticket, once stored."""
    return session.scalars(select(Ticket.code).where(Ticket.call_sid == call_sid)).first()
