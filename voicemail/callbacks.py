"""Messages left by callers, and the callback entries they open or join.

Every write here is idempotent per call (keyed on the CallSid), so the durable writer may
replay it from its journal, and Twilio may repeat a webhook, without doubling anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Final, cast

from sqlalchemy import (
    Boolean,
    Integer,
    Row,
    String,
    Table,
    TextClause,
    bindparam,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from storage.models import CallbackMessage, CallbackRequest, Ticket
from storage.upsert import insert_text, insert_unless_present_statement, string_literals, with_defaults
from tickets.repository import insert_ticket
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


MESSAGES: Final = cast(Table, CallbackMessage.__table__)
ENTRIES: Final = cast(Table, CallbackRequest.__table__)
# What the writes below need to know of a call's message, read in one statement.
_MESSAGE_OF_CALL: Final = select(
    MESSAGES.c.id, MESSAGES.c.entry_id, MESSAGES.c.callback_number, MESSAGES.c.number_source, MESSAGES.c.reason,
    MESSAGES.c.ticket_id, MESSAGES.c.message_status, MESSAGES.c.recording_sid, MESSAGES.c.recording_url,
    MESSAGES.c.copy_status,
).where(MESSAGES.c.call_sid == bindparam("call_sid"))
_PENDING_ENTRY_FOR_NUMBER: Final = (
    select(ENTRIES.c.id, ENTRIES.c.message_count, ENTRIES.c.next_attempt_at, ENTRIES.c.priority)
    .where(ENTRIES.c.callback_number == bindparam("number"), ENTRIES.c.status == CallbackStatus.PENDING.value)
    .order_by(ENTRIES.c.id).limit(1).with_for_update())
_NEW_ENTRY: Final = insert(ENTRIES).returning(ENTRIES.c.id)
# Without .values(), the SET clause is the parameters' column names (each shape compiled once).
_UPDATE_MESSAGE: Final = update(MESSAGES).where(MESSAGES.c.id == bindparam("message_id"))
_UPDATE_ENTRY: Final = update(ENTRIES).where(ENTRIES.c.id == bindparam("entry_id"))
_COMPLETE_ENTRY: Final = (
    update(ENTRIES)
    .where(ENTRIES.c.id == bindparam("entry_id"), ENTRIES.c.message_count == 1)
    .values(callback_number=func.coalesce(ENTRIES.c.callback_number, bindparam("number", type_=String)),
            ticket_id=func.coalesce(ENTRIES.c.ticket_id, bindparam("ticket", type_=Integer))))


def _connection(session: Session | Connection) -> Connection:
    """The connection to run Core statements on: a session's own (after flushing what it holds), or this one."""
    if isinstance(session, Session):
        session.flush()
        return session.connection()
    return session


def _message_values(call_sid: str, callback_number: str | None, number_source: str, reason: str,
                    now: datetime) -> dict[str, Any]:
    return with_defaults(MESSAGES, {"call_sid": call_sid, "callback_number": callback_number,
                                    "number_source": number_source, "reason": reason, "created_at": now})


def _insert_message(connection: Connection, values: dict[str, Any]) -> bool:
    """Insert the call's message unless it exists; whether this call inserted it."""
    statement = insert_unless_present_statement(MESSAGES, "call_sid", tuple(values))
    return connection.execute(statement, values).rowcount == 1


def _message_row(connection: Connection, call_sid: str) -> Row[Any] | None:
    return connection.execute(_MESSAGE_OF_CALL, {"call_sid": call_sid}).first()


@cache
def _message_upsert_statement(columns: tuple[str, ...]) -> TextClause:
    """PostgreSQL: insert the message unless it exists, and return it either way, in one round trip;
    the lock of `:lock_number` is taken in the same statement (none for NULL: the function is strict).

    The no-op DO UPDATE makes RETURNING give the existing row too; `xmax = 0` only for a row
    this statement inserted.
    """
    returned = ", ".join(column.name for column in _MESSAGE_OF_CALL.selected_columns)
    return insert_text(MESSAGES, columns, "ON CONFLICT (call_sid) DO UPDATE SET call_sid = EXCLUDED.call_sid "
                                          f"RETURNING {returned}, (xmax = 0) AS fresh, "
                                          f"pg_advisory_xact_lock({_NUMBER_LOCK_CLASS}, hashtext(:lock_number))")


def _message_inserted_or_read(connection: Connection, values: dict[str, Any]
                              ) -> tuple[Row[Any] | None, bool, str | None]:
    """The call's message, inserted with `values` unless it exists, whether this call inserted it, and the
    number whose lock this transaction now holds (PostgreSQL: the given number's, taken in the same statement)."""
    if connection.dialect.name == "postgresql":
        number = values["callback_number"]
        row = connection.execute(_message_upsert_statement(tuple(values)), {**values, "lock_number": number}).one()
        return row, bool(row.fresh), number
    fresh = _insert_message(connection, values)
    return _message_row(connection, values["call_sid"]), fresh, None


_LOCK_NUMBER: Final = select(func.pg_advisory_xact_lock(_NUMBER_LOCK_CLASS, func.hashtext(bindparam("number"))))


def _joined_pending_entry(connection: Connection, number: str, reason: str, now: datetime,
                          locked: str | None = None) -> int | None:
    """Join the number's pending entry, if it has one: the message counted, the entry due now, its
    reason the most urgent; the entry's id, or None when the number has no pending entry.

    Joins for one number are serialized (PostgreSQL's advisory lock, taken in an earlier statement
    so that the next one sees what the lock's previous holder committed: its own, or the message's
    when `locked` is this number; SQLite holds its single write lock already).
    """
    if connection.dialect.name == "postgresql" and number != locked:
        connection.execute(_LOCK_NUMBER, {"number": number})
    pending = connection.execute(_PENDING_ENTRY_FOR_NUMBER, {"number": number}).first()
    if pending is None:
        return None
    changes: dict[str, Any] = {"message_count": pending.message_count + 1,
                               "next_attempt_at": min(pending.next_attempt_at, now), "updated_at": now}
    if REASON_PRIORITY[reason] < pending.priority:
        changes.update(priority=REASON_PRIORITY[reason], reason=reason)
    connection.execute(_UPDATE_ENTRY, {"entry_id": pending.id, **changes})
    return int(pending.id)


def _new_entry_values(number: str | None, reason: str, now: datetime, ticket_id: int | None) -> dict[str, Any]:
    return {"callback_number": number, "reason": reason, "priority": REASON_PRIORITY[reason],
            "status": CallbackStatus.PENDING.value, "message_count": 1, "ticket_id": ticket_id,
            "next_attempt_at": now, "attempt_count": 0, "created_at": now, "updated_at": now}


# PostgreSQL: a new entry and the message filed on it (its number, source and ticket), one round trip.
_ENTRY_COLUMNS: Final = ("callback_number", "reason", "priority", "status", "message_count", "ticket_id",
                          "next_attempt_at", "attempt_count", "created_at", "updated_at")
_NEW_ENTRY_FOR_MESSAGE: Final = insert_text(
    ENTRIES, _ENTRY_COLUMNS, head="WITH entry AS (",
    tail="RETURNING id) UPDATE callback_messages SET entry_id = (SELECT id FROM entry), ticket_id = :ticket_id, "
         "callback_number = :callback_number, number_source = :number_source WHERE id = :message_id")


def _file(connection: Connection, number: str | None, reason: str, now: datetime, ticket_id: int | None) -> int:
    """Put a message on the list: join the number's pending entry, or open a new entry; the entry's id."""
    joined = _joined_pending_entry(connection, number, reason, now) if number else None
    if joined is not None:
        return joined
    return int(connection.execute(_NEW_ENTRY, _new_entry_values(number, reason, now, ticket_id)).scalar_one())


def _message(session: Session, call_sid: str) -> CallbackMessage:
    """The call's message as an ORM row, read again (the statements above bypass the session)."""
    return session.scalars(select(CallbackMessage).where(CallbackMessage.call_sid == call_sid)
                           .execution_options(populate_existing=True)).one()


def store_callback_request(session: Session | Connection, call_sid: str, callback_number: str | None,
                           number_source: str, reason: str, tracking_code: str | None = None,
                           code_length: int = 8, *, now: datetime, language: str = "it",
                           topic: str = Topic.OTHER.value) -> None:
    """`open_callback_request` in SQL statements alone, compiled once: the confirmation step's write."""
    _check(reason, number_source)
    connection = _connection(session)
    message, fresh, locked = _message_inserted_or_read(
        connection, _message_values(call_sid, callback_number, number_source, reason, now))
    if message is None:  # deleted between the two statements (an erasure): nothing to file
        return
    changes: dict[str, Any] = {}
    number = message.callback_number
    if message.number_source == "none" and callback_number is not None:
        number = changes["callback_number"] = callback_number
        changes["number_source"] = number_source
    ticket_id = message.ticket_id
    if ticket_id is None:
        # Only this function makes a call's ticket, with its message: a message new now has none.
        ticket_id = changes["ticket_id"] = insert_ticket(
            connection, now=now, channel=Channel.VOICEMAIL, summary=TICKET_SUMMARY, topic=_topic(topic),
            phone=number, call_sid=call_sid, code=tracking_code, code_length=code_length, call_has_none=fresh,
            language=language)
    if message.entry_id is None:
        joined = _joined_pending_entry(connection, number, message.reason, now, locked) if number else None
        if joined is None and connection.dialect.name == "postgresql":
            connection.execute(_NEW_ENTRY_FOR_MESSAGE, {
                **_new_entry_values(number, message.reason, now, ticket_id), "message_id": message.id,
                "callback_number": number, "number_source": changes.get("number_source", message.number_source)})
            return
        changes["entry_id"] = joined if joined is not None else int(connection.execute(
            _NEW_ENTRY, _new_entry_values(number, message.reason, now, ticket_id)).scalar_one())
    else:  # an entry opened by an early recording callback gets the number and ticket found later
        connection.execute(_COMPLETE_ENTRY, {"entry_id": message.entry_id, "number": number, "ticket": ticket_id})
    if changes:
        connection.execute(_UPDATE_MESSAGE, {"message_id": message.id, **changes})


def open_callback_request(session: Session, call_sid: str, callback_number: str | None,
                          number_source: str, reason: str, tracking_code: str | None = None,
                          code_length: int = 8, *, now: datetime, language: str = "it",
                          topic: str = Topic.OTHER.value) -> CallbackMessage:
    """The call's message, its ticket (with `tracking_code` when free) and its place on the list.

    A repeated webhook returns the same message; the first number given for a call is kept,
    unless the call only had an early recording callback and no number yet. `topic` is the one
    the caller chose in the topic menu (an unknown value counts as "other").
    """
    store_callback_request(session, call_sid, callback_number, number_source, reason, tracking_code, code_length,
                           now=now, language=language, topic=topic)
    return _message(session, call_sid)


def _topic(raw: str) -> Topic:
    try:
        return Topic(raw)
    except ValueError:
        return Topic.OTHER


def store_recording(session: Session | Connection, call_sid: str, recording: Recording,
                    reason: str = "error", *, now: datetime) -> None:
    """`attach_recording` in SQL statements alone, compiled once: the recording steps' write."""
    connection = _connection(session)
    message = _message_row(connection, call_sid)  # read first: a recording callback nearly always finds it
    if message is None:
        values = _message_values(call_sid, None, "none", reason if reason in REASONS else "error", now)
        _insert_message(connection, values)
        message = _message_row(connection, call_sid)
        if message is None:
            return
    changes: dict[str, Any] = {}
    if message.entry_id is None:
        changes["entry_id"] = _file(connection, message.callback_number, message.reason, now, message.ticket_id)
    changes.update(_recording_changes(message, recording, now))
    if changes:
        connection.execute(_UPDATE_MESSAGE, {"message_id": message.id, **changes})


_UNRECORDED_LIST: Final = string_literals(UNRECORDED)
# PostgreSQL: a completed recording attached to a message already on the list, in one statement.
# The UPDATE's own WHERE is checked again on the row as it is when its lock is taken, so a
# report racing another one changes the message once; the SELECT tells what the message was.
_ATTACH_ON_THE_LIST: Final = text(
    "WITH attached AS (UPDATE callback_messages SET message_status = :message_status, recording_sid = :sid, "
    "recording_url = COALESCE(NULLIF(:url, ''), recording_url), recording_duration = :duration, "
    "copy_status = CASE WHEN :start_copy AND copy_status = 'none' THEN 'pending' ELSE copy_status END, "
    "copy_next_at = CASE WHEN :start_copy AND copy_status = 'none' THEN :now ELSE copy_next_at END "
    f"WHERE call_sid = :call_sid AND entry_id IS NOT NULL AND message_status IN ({_UNRECORDED_LIST}) "
    "RETURNING id) "
    "SELECT (SELECT count(*) FROM attached) AS attached, entry_id, message_status "
    "FROM callback_messages WHERE call_sid = :call_sid"
).bindparams(bindparam("now", type_=MESSAGES.c.copy_next_at.type), bindparam("start_copy", type_=Boolean))


def store_recording_alone(connection: Connection, call_sid: str, recording: Recording, *, now: datetime) -> bool:
    """`store_recording` in one statement, in autocommit, when it can: on PostgreSQL, for a completed
    recording of a message already on the list (the Record action, then its status callback).

    False when it could not (no message yet, not filed, a failed or absent recording, SQLite):
    nothing was written, and `store_recording` in a transaction does the write.
    """
    if connection.dialect.name != "postgresql" or recording.status != "completed" or not recording.sid:
        return False
    duration = max(recording.duration_seconds, 0)
    row = connection.execute(_ATTACH_ON_THE_LIST, {
        "call_sid": call_sid, "sid": recording.sid, "url": recording.url, "duration": duration,
        "message_status": "recorded" if duration > 0 else "no_message", "start_copy": duration > 0,
        "now": now}).first()
    if row is None or row.entry_id is None:
        return False
    return bool(row.attached) or row.message_status not in UNRECORDED


def _recording_changes(message: Row[Any], recording: Recording, now: datetime) -> dict[str, Any]:
    """What a recording report changes on the message (nothing for a repeated report)."""
    failed_status = FAILED_RECORDING_STATUSES.get(recording.status)
    if failed_status:
        return {"message_status": failed_status,
                **({"copy_status": "none"} if message.copy_status == "pending" else {})}
    if message.message_status not in UNRECORDED:
        return {}
    changes: dict[str, Any] = {"message_status": "recorded" if recording.duration_seconds > 0 else "no_message"}
    if recording.sid:
        changes.update(recording_sid=recording.sid, recording_url=recording.url or message.recording_url,
                       recording_duration=max(recording.duration_seconds, 0))
        if changes["message_status"] == "recorded" and message.copy_status == "none":
            changes.update(copy_status="pending", copy_next_at=now)
    return changes


def attach_recording(session: Session, call_sid: str, recording: Recording,
                     reason: str = "error", *, now: datetime) -> CallbackMessage:
    """Attach a recording to the call's message; repeated or early callbacks change nothing twice.

    Twilio's "failed" or "absent" (from the status callback, which knows about the file) wins
    over the Record action's report; otherwise the first recording reported is kept. A
    recording for a call with no message yet (its callback came before the caller's number
    was stored) opens one with no callback number, so the recording is never lost.
    """
    store_recording(session, call_sid, recording, reason, now=now)
    return _message(session, call_sid)


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


@dataclass(frozen=True)
class LeftByCall:
    """What a call left, as the closing words need it: its message's callback number and SMS, its code."""

    has_message: bool
    callback_number: str | None
    code_sms_sid: str | None
    tracking_code: str | None


# One statement for both: the call's message (if any) and the code of the call's ticket (if any).
_LEFT_BY_CALL: Final = select(
    MESSAGES.c.id, MESSAGES.c.callback_number, MESSAGES.c.code_sms_sid,
    select(Ticket.code).where(Ticket.call_sid == bindparam("call_sid")).limit(1).scalar_subquery(),
).select_from(select(literal(1).label("one")).subquery("one").outerjoin(
    MESSAGES, MESSAGES.c.call_sid == bindparam("call_sid")))


def left_by_call(connection: Session | Connection, call_sid: str) -> LeftByCall:
    """The call's message and ticket code, read in one statement (one round trip in autocommit)."""
    row = connection.execute(_LEFT_BY_CALL, {"call_sid": call_sid}).one()
    return LeftByCall(row[0] is not None, row[1], row[2], row[3])
