"""What operators read: the callback list in work order, and one entry in full."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from storage.models import CallbackAttempt, CallbackMessage, CallbackRequest, Ticket
from voicemail.errors import CallbackError, CallbackProblem
from voicemail.queue import CallbackPolicy, release_expired_claims
from voicemail.status import CallbackStatus

WORK_ORDER: Final = (CallbackRequest.priority, CallbackRequest.created_at, CallbackRequest.id)
# What `contact-center callbacks list --status` shows: open (pending and claimed), one status, or all.
VIEWS: Final = ("open", *(status.value for status in CallbackStatus), "all")


@dataclass(frozen=True)
class MessageView:
    """One call's message on an entry."""

    call_sid: str
    created_at: datetime
    number_source: str
    reason: str
    ticket_code: str | None
    message_status: str
    recording_sid: str | None
    recording_duration: int | None
    recording_path: str | None
    copy_status: str
    transcript: str | None


@dataclass(frozen=True)
class AttemptView:
    """One call back."""

    attempted_at: datetime
    operator: str
    outcome: str
    note: str | None


@dataclass(frozen=True)
class CallView:
    """The latest "Chiama" call of an entry: who started it, when, and how far it got."""

    state: str
    by: str | None
    started_at: datetime | None
    state_at: datetime | None


@dataclass(frozen=True)
class EntryView:
    """An entry with what operators need to call back."""

    id: int
    callback_number: str | None
    reason: str
    topic: str | None
    ticket_code: str | None
    status: CallbackStatus
    created_at: datetime
    next_attempt_at: datetime
    attempt_count: int
    claimed_by: str | None
    claimed_at: datetime | None
    message_count: int
    messages: tuple[MessageView, ...]
    attempts: tuple[AttemptView, ...] = ()
    call: CallView | None = None  # the latest "Chiama" call, if any

    @property
    def recorded_seconds(self) -> int:
        """Seconds of recorded messages on the entry."""
        return sum(m.recording_duration or 0 for m in self.messages if m.message_status == "recorded")

    def is_due(self, now: datetime) -> bool:
        """Whether the entry waits to be called back now."""
        return self.status is CallbackStatus.PENDING and self.next_attempt_at <= now

    def as_dict(self, zone: ZoneInfo, now: datetime) -> dict[str, Any]:
        """JSON-ready, times in `zone`."""
        def when(moment: datetime | None) -> str | None:
            return moment.astimezone(zone).isoformat(timespec="seconds") if moment else None

        return {
            "id": self.id, "callback_number": self.callback_number, "reason": self.reason,
            "topic": self.topic, "ticket": self.ticket_code, "status": self.status.value, "due": self.is_due(now),
            "created_at": when(self.created_at), "next_attempt_at": when(self.next_attempt_at),
            "attempt_count": self.attempt_count, "claimed_by": self.claimed_by,
            "claimed_at": when(self.claimed_at), "message_count": self.message_count,
            "recorded_seconds": self.recorded_seconds,
            "messages": [{
                "call_sid": m.call_sid, "created_at": when(m.created_at), "number_source": m.number_source,
                "reason": m.reason, "ticket": m.ticket_code, "message": m.message_status,
                "recording_sid": m.recording_sid, "recording_duration": m.recording_duration,
                "recording_file": m.recording_path, "copy": m.copy_status, "transcript": m.transcript,
            } for m in self.messages],
            "attempts": [{
                "at": when(a.attempted_at), "operator": a.operator, "outcome": a.outcome, "note": a.note,
            } for a in self.attempts],
        }


def _groups(view: str, now: datetime) -> list[tuple[ColumnElement[bool], ...]]:
    """The filters of `view`, in the order their entries are listed."""
    Filters = list[tuple[ColumnElement[bool], ...]]
    pending_status = CallbackRequest.status == CallbackStatus.PENDING.value
    pending_due = (pending_status, CallbackRequest.next_attempt_at <= now)
    pending_later = (pending_status, CallbackRequest.next_attempt_at > now)
    by_status: dict[str, Filters] = {
        status.value: [(CallbackRequest.status == status.value,)] for status in CallbackStatus
        if status is not CallbackStatus.PENDING}
    pending: Filters = [pending_due, pending_later]
    claimed, done, unreachable = (by_status[status.value] for status in (
        CallbackStatus.CLAIMED, CallbackStatus.DONE, CallbackStatus.UNREACHABLE))
    combined: dict[str, Filters] = {
        CallbackStatus.PENDING.value: pending,
        "open": pending + claimed,
        "all": pending + claimed + done + unreachable,
    }
    return combined.get(view) or by_status[view]


def list_entries(session: Session, policy: CallbackPolicy, view: str = "open", limit: int = 50,
                 *, now: datetime) -> list[EntryView]:
    """The first `limit` entries of `view`: due first, then reason priority, then oldest."""
    if view not in VIEWS:
        raise CallbackError(CallbackProblem.UNKNOWN_LIST, view=view, choices=VIEWS)
    release_expired_claims(session, policy, now)
    entries: list[CallbackRequest] = []
    for filters in _groups(view, now):
        if len(entries) >= limit:
            break
        query = select(CallbackRequest).where(*filters).order_by(*WORK_ORDER).limit(limit - len(entries))
        entries.extend(session.scalars(query))
    return _views(session, entries, with_attempts=False)


def entry_details(session: Session, entry_id: int) -> EntryView:
    """One entry with its messages and attempts; CallbackError if there is none."""
    entry = session.get(CallbackRequest, entry_id)
    if entry is None:
        raise CallbackError(CallbackProblem.NO_SUCH_ENTRY, entry_id=entry_id)
    return _views(session, [entry], with_attempts=True)[0]


def recorded_message(session: Session, entry_id: int, call_sid: str) -> CallbackMessage | None:
    """The message the call `call_sid` left on the entry, if it was recorded (None otherwise)."""
    message = session.scalars(select(CallbackMessage).where(CallbackMessage.entry_id == entry_id,
                                                            CallbackMessage.call_sid == call_sid)).first()
    if message is None or message.message_status != "recorded" or not message.recording_sid:
        return None
    return message


def _views(session: Session, entries: Sequence[CallbackRequest], with_attempts: bool) -> list[EntryView]:
    """Views of `entries`, with their messages and tickets (an entry's ticket is its first message's)."""
    ids = [entry.id for entry in entries]
    rows = session.execute(
        select(CallbackMessage, Ticket).outerjoin(Ticket, Ticket.id == CallbackMessage.ticket_id)
        .where(CallbackMessage.entry_id.in_(ids)).order_by(CallbackMessage.id)).tuples().all()
    messages = [message for message, _ in rows]
    tickets = {ticket.id: ticket for _, ticket in rows if ticket is not None}
    attempts: list[CallbackAttempt] = []
    if with_attempts:
        attempts = list(session.scalars(
            select(CallbackAttempt).where(CallbackAttempt.entry_id.in_(ids)).order_by(CallbackAttempt.id)))
    return [_view(entry, [m for m in messages if m.entry_id == entry.id], tickets,
                  [a for a in attempts if a.entry_id == entry.id]) for entry in entries]


def _view(entry: CallbackRequest, messages: list[CallbackMessage], tickets: dict[int, Ticket],
          attempts: list[CallbackAttempt]) -> EntryView:
    ticket_id = entry.ticket_id or next((m.ticket_id for m in messages if m.ticket_id), None)
    ticket = tickets.get(ticket_id) if ticket_id else None
    return EntryView(
        id=entry.id, callback_number=entry.callback_number, reason=entry.reason,
        topic=ticket.topic if ticket else None, ticket_code=ticket.code if ticket else None,
        status=CallbackStatus(entry.status), created_at=entry.created_at, next_attempt_at=entry.next_attempt_at,
        attempt_count=entry.attempt_count, claimed_by=entry.claimed_by, claimed_at=entry.claimed_at,
        message_count=entry.message_count,
        messages=tuple(MessageView(
            call_sid=m.call_sid, created_at=m.created_at, number_source=m.number_source, reason=m.reason,
            ticket_code=tickets[m.ticket_id].code if m.ticket_id in tickets else None,
            message_status=m.message_status, recording_sid=m.recording_sid,
            recording_duration=m.recording_duration, recording_path=m.recording_path,
            copy_status=m.copy_status, transcript=m.transcript) for m in messages),
        attempts=tuple(AttemptView(a.attempted_at, a.operator, a.outcome, a.note) for a in attempts),
        call=CallView(entry.call_state, entry.call_by, entry.call_started_at, entry.call_state_at)
        if entry.call_state else None,
    )
