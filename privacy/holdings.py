"""What the service holds on a subject (GDPR art. 15): every row, recording and journal line naming them.

Numbers are stored in E.164 everywhere, so one normalised number matches every form the caller
used. The lookup limiter keeps only a keyed hash of a caller's number and the mail limiter one of
an address: they are matched by computing the same hash. A ticket belongs to the subject when
its contact is theirs, when it was opened by one of their calls, or by a message they left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from access.address_limits import limit_key
from privacy.subjects import Subject
from storage.journal import Journal
from storage.models import (
    AddressCounter,
    AuditEntry,
    Base,
    Call,
    CallbackAttempt,
    CallbackMessage,
    CallbackRequest,
    LookupFailure,
    OutboxMail,
    Ticket,
    TicketReply,
    TicketStatusChange,
    WrittenSubmission,
)
from tickets.lookups import caller_key

# The limiter's scope for the code mails of the written form (selfservice/written.py).
CODE_MAIL_SCOPE = "code-mail"


@dataclass
class Holdings:
    """Every record of one subject, table by table, as plain values (what an export writes)."""

    subject: Subject
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    recordings: list[str] = field(default_factory=list)  # keys in the recordings store
    twilio_recordings: list[str] = field(default_factory=list)  # recordings Twilio may still hold
    lookup_failures: int = 0  # failed code lookups counted under the number's keyed hash
    mail_counters: int = 0  # code-mail limiter windows counted under the address's keyed hash
    journal_lines: int = 0  # writes waiting in the journal that name the subject
    # Free texts of other people's records that spell the number or the address: (table, column, id).
    mentions: list[tuple[str, str, int]] = field(default_factory=list)

    def ids(self, table: str) -> list[int]:
        """The primary keys of the subject's rows of `table`."""
        return [row["id"] for row in self.rows.get(table, [])]

    @property
    def empty(self) -> bool:
        """True when the service holds nothing on the subject."""
        return not any(self.rows.values()) and not (
            self.lookup_failures or self.mail_counters or self.journal_lines or self.mentions)

    def counts(self) -> dict[str, int]:
        """How many records of each kind (for a summary that names nobody)."""
        figures = {table: len(rows) for table, rows in self.rows.items()}
        figures.update(recordings=len(self.recordings), mentions=len(self.mentions),
                       lookup_failures=self.lookup_failures,
                       mail_counters=self.mail_counters, journal_lines=self.journal_lines)
        return figures


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def as_dict(row: Base) -> dict[str, Any]:
    """A row's columns as JSON-ready values."""
    return {column.key: _plain(getattr(row, column.key)) for column in row.__table__.columns}


def _all(session: Session, query: Select[Any]) -> list[dict[str, Any]]:
    return [as_dict(row) for row in session.scalars(query)]


def _lower(column: Any) -> Any:
    return func.lower(column)


def ticket_ids(session: Session, subject: Subject, call_sids: list[str]) -> list[int]:
    """The subject's tickets: by contact, by their calls, by the messages left with their number."""
    match: list[ColumnElement[bool]] = []
    if subject.phone:
        match.append(Ticket.contact_phone == subject.phone)
        match.append(Ticket.id.in_(select(CallbackMessage.ticket_id).where(
            CallbackMessage.callback_number == subject.phone, CallbackMessage.ticket_id.is_not(None))))
    if subject.email:
        match.append(_lower(Ticket.contact_email) == subject.email)
    if call_sids:
        match.append(Ticket.call_sid.in_(call_sids))
    return list(session.scalars(select(Ticket.id).where(or_(*match)).order_by(Ticket.id)))


def mentioned_in_audit(session: Session, subject: Subject) -> list[int]:
    """Audit lines whose target or detail spells one of the subject's identifiers."""
    match = [_lower(column).contains(needle.lower()) for needle in subject.needles
             for column in (AuditEntry.target, AuditEntry.detail)]
    return list(session.scalars(select(AuditEntry.id).where(or_(*match)).order_by(AuditEntry.id)))


# The free texts where someone may have written a citizen's number or address about another record.
FREE_TEXTS: Final = (
    ("tickets", Ticket, "summary"), ("ticket_status_changes", TicketStatusChange, "note"),
    ("ticket_replies", TicketReply, "body"), ("callback_messages", CallbackMessage, "transcript"),
    ("callback_attempts", CallbackAttempt, "note"),
)


def mentions_in_free_text(session: Session, subject: Subject, owned: dict[str, set[int]]) -> list[tuple[str, str, int]]:
    """Other records whose free text spells one of the subject's identifiers: (table, column, id)."""
    found = []
    for table, model, column_name in FREE_TEXTS:
        column = getattr(model, column_name)
        query = select(model.id).where(or_(*(_lower(column).contains(needle.lower()) for needle in subject.needles)))
        found += [(table, column_name, row_id) for row_id in session.scalars(query.order_by(model.id))
                  if row_id not in owned.get(table, set())]
    return found


def mail_counter_keys(subject: Subject, secret: str, spellings: tuple[str, ...] = ()) -> list[str]:
    """The code-mail limiter's keys of the address (as normalised, and as the citizen may have typed it)."""
    if not subject.email:
        return []
    return sorted({limit_key(CODE_MAIL_SCOPE, address, secret) for address in (subject.email, *spellings)})


def find(session: Session, subject: Subject, secret: str, journal: Journal | None = None) -> Holdings:
    """Everything the service holds on `subject`; `secret` keys the hashes of numbers and addresses."""
    held = Holdings(subject)
    calls = _all(session, select(Call).where(Call.caller_number == subject.phone).order_by(Call.id)) \
        if subject.phone else []
    call_sids = [call["call_sid"] for call in calls]
    tickets = ticket_ids(session, subject, call_sids)
    message_match: list[ColumnElement[bool]] = []
    if subject.phone:
        message_match.append(CallbackMessage.callback_number == subject.phone)
    if call_sids:
        message_match.append(CallbackMessage.call_sid.in_(call_sids))
    if tickets:
        message_match.append(CallbackMessage.ticket_id.in_(tickets))
    messages = _all(session, select(CallbackMessage).where(or_(*message_match)).order_by(CallbackMessage.id)) \
        if message_match else []
    message_entries = [message["entry_id"] for message in messages if message["entry_id"]]
    entry_match: list[ColumnElement[bool]] = [CallbackRequest.id.in_(message_entries)]
    if subject.phone:
        entry_match.append(CallbackRequest.callback_number == subject.phone)
    entries = _all(session, select(CallbackRequest).where(or_(*entry_match)).order_by(CallbackRequest.id))
    entry_ids = [entry["id"] for entry in entries]
    mail_match: list[ColumnElement[bool]] = [OutboxMail.ticket_id.in_(tickets)]
    if subject.email:
        mail_match.append(_lower(OutboxMail.recipient) == subject.email)
    held.rows = {
        "tickets": _all(session, select(Ticket).where(Ticket.id.in_(tickets)).order_by(Ticket.id)),
        "ticket_status_changes": _all(session, select(TicketStatusChange).where(
            TicketStatusChange.ticket_id.in_(tickets)).order_by(TicketStatusChange.id)),
        "written_submissions": _all(session, select(WrittenSubmission).where(
            WrittenSubmission.ticket_id.in_(tickets)).order_by(WrittenSubmission.id)),
        "ticket_replies": _all(session, select(TicketReply).where(
            TicketReply.ticket_id.in_(tickets)).order_by(TicketReply.id)),
        "mail_outbox": _all(session, select(OutboxMail).where(or_(*mail_match)).order_by(OutboxMail.id)),
        "callback_requests": entries,
        "callback_messages": messages,
        "callback_attempts": _all(session, select(CallbackAttempt).where(
            CallbackAttempt.entry_id.in_(entry_ids)).order_by(CallbackAttempt.id)),
        "calls": calls,
        "console_audit_log": _all(session, select(AuditEntry).where(
            AuditEntry.id.in_(mentioned_in_audit(session, subject))).order_by(AuditEntry.id)),
    }
    held.mentions = mentions_in_free_text(session, subject, {table: set(held.ids(table)) for table in held.rows})
    held.recordings = [m["recording_path"] for m in messages if m["recording_path"]]
    held.twilio_recordings = [m["recording_sid"] for m in messages
                              if m["recording_sid"] and m["twilio_deleted_at"] is None]
    if subject.phone:
        held.lookup_failures = session.scalar(select(func.count()).select_from(LookupFailure).where(
            LookupFailure.caller_key == caller_key(f"tel:{subject.phone}", secret))) or 0
    keys = mail_counter_keys(subject, secret, _typed_addresses(held))
    if keys:
        held.mail_counters = session.scalar(select(func.count()).select_from(AddressCounter).where(
            AddressCounter.key.in_(keys))) or 0
    if journal is not None:
        held.journal_lines = journal.count_lines(lambda line: any(needle in line for needle in subject.needles))
    return held


def _typed_addresses(held: Holdings) -> tuple[str, ...]:
    """The address as stored on the subject's tickets (the limiter hashed it as typed)."""
    return tuple(sorted({row["contact_email"] for row in held.rows.get("tickets", []) if row["contact_email"]}))
