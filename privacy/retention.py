"""Retention for every kind of personal data, each with its own age; anonymous rows and counts stay.

Applied by `contact-center voicemail purge` (and `privacy purge`). A dry run counts what would go
and changes nothing. Ages run from a callback entry's creation (once it is closed), a ticket's
closing, a mail's creation (once sent or failed), a call's or an audit line's instant; open work
is never touched.

- recordings: closed callback entries lose their recordings (store, Twilio), numbers,
  transcripts and notes; the entry and its messages' status and durations stay.
- callback_numbers: closed callback entries lose the number (the entry's and its messages').
- ticket_contacts: closed tickets lose phone, e-mail and the writer's name.
- ticket_summaries: closed tickets lose the summary, the operators' notes, the replies' text.
- call_log_numbers: every call loses the caller's number (times, status, outcome stay).
- audit_addresses: audit log lines lose the network address (who, what, when stay).
- outbox_mails: sent or failed mails lose recipient, subject and texts (kind, status, dates stay).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from access import audit
from storage.models import (
    AuditEntry,
    Call,
    CallbackMessage,
    CallbackRequest,
    OutboxMail,
    Ticket,
    TicketReply,
    TicketStatusChange,
    WrittenSubmission,
)
from tickets.status import TicketStatus
from voicemail.recordings import RecordingSource
from voicemail.retention import forget_call_numbers, purge
from voicemail.status import OPEN_STATUSES
from voicemail.store import RecordingStore

FINAL_MAIL_STATUSES: Final = ("sent", "failed")
KINDS: Final = ("recordings", "callback_numbers", "ticket_contacts", "ticket_summaries", "call_log_numbers",
                "audit_addresses", "outbox_mails")


@dataclass(frozen=True)
class RetentionPolicy:
    """Days each kind of personal data is kept."""

    recordings: int = 90
    callback_numbers: int = 90
    ticket_contacts: int = 730
    ticket_summaries: int = 730
    call_log_numbers: int = 90
    audit_addresses: int = 365
    outbox_mails: int = 90

    def cutoff(self, kind: str, now: datetime) -> datetime:
        """The instant before which data of `kind` goes."""
        return now - timedelta(days=int(getattr(self, kind)))


@dataclass
class RetentionReport:
    """How many records of each kind lost their personal data (or would, in a dry run)."""

    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    messages: int = 0
    files: int = 0
    twilio_deleted: int = 0
    kept_for_twilio: int = 0
    open_past_retention: int = 0


def _closed_entries(cutoff: datetime) -> ColumnElement[bool]:
    return and_(CallbackRequest.created_at < cutoff, CallbackRequest.status.not_in(OPEN_STATUSES))


def _closed_tickets(cutoff: datetime) -> ColumnElement[bool]:
    return and_(Ticket.status == TicketStatus.CLOSED.value, Ticket.status_changed_at < cutoff)


def _count(session: Session, model: Any, where: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(model).where(where)) or 0


def _update(session: Session, model: Any, where: ColumnElement[bool], **values: Any) -> int:
    result = session.execute(update(model).where(where).values(**values).execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount


def _callback_numbers(session: Session, cutoff: datetime, dry_run: bool) -> int:
    where = and_(_closed_entries(cutoff), CallbackRequest.callback_number.is_not(None))
    if dry_run:
        return _count(session, CallbackRequest, where)
    entries = select(CallbackRequest.id).where(_closed_entries(cutoff)).scalar_subquery()
    _update(session, CallbackMessage, and_(CallbackMessage.entry_id.in_(entries),
                                           CallbackMessage.callback_number.is_not(None)), callback_number=None)
    return _update(session, CallbackRequest, where, callback_number=None)


def _ticket_contacts(session: Session, cutoff: datetime, dry_run: bool) -> int:
    named = select(WrittenSubmission.ticket_id).where(WrittenSubmission.citizen_name.is_not(None))
    where = and_(_closed_tickets(cutoff), or_(Ticket.contact_phone.is_not(None), Ticket.contact_email.is_not(None),
                                              Ticket.id.in_(named)))
    if dry_run:
        return _count(session, Ticket, where)
    ids = list(session.scalars(select(Ticket.id).where(where)))
    _update(session, WrittenSubmission, WrittenSubmission.ticket_id.in_(ids), citizen_name=None)
    return _update(session, Ticket, Ticket.id.in_(ids), contact_phone=None, contact_email=None)


def _ticket_summaries(session: Session, cutoff: datetime, dry_run: bool) -> int:
    noted = select(TicketStatusChange.ticket_id).where(TicketStatusChange.note != "")
    replied = select(TicketReply.ticket_id).where(TicketReply.body != "")
    where = and_(_closed_tickets(cutoff), or_(Ticket.summary != "", Ticket.id.in_(noted), Ticket.id.in_(replied)))
    if dry_run:
        return _count(session, Ticket, where)
    ids = list(session.scalars(select(Ticket.id).where(where)))
    _update(session, TicketStatusChange, TicketStatusChange.ticket_id.in_(ids), note="")
    _update(session, TicketReply, TicketReply.ticket_id.in_(ids), body="")
    return _update(session, Ticket, Ticket.id.in_(ids), summary="")


def _audit_addresses(session: Session, cutoff: datetime, dry_run: bool) -> int:
    where = and_(AuditEntry.at < cutoff, AuditEntry.address != "")
    return _count(session, AuditEntry, where) if dry_run else _update(session, AuditEntry, where, address="")


def _outbox_mails(session: Session, cutoff: datetime, dry_run: bool) -> int:
    where = and_(OutboxMail.created_at < cutoff, OutboxMail.status.in_(FINAL_MAIL_STATUSES), OutboxMail.recipient != "")
    if dry_run:
        return _count(session, OutboxMail, where)
    return _update(session, OutboxMail, where, recipient="", subject="", body_text="", body_html="")


_PASSES: Final = {
    "callback_numbers": _callback_numbers,
    "ticket_contacts": _ticket_contacts,
    "ticket_summaries": _ticket_summaries,
    "audit_addresses": _audit_addresses,
    "outbox_mails": _outbox_mails,
}


def apply_retention(sessions: sessionmaker[Session], policy: RetentionPolicy, store: RecordingStore,
                    source: RecordingSource | None, now: datetime, *, dry_run: bool = False,
                    recordings_age: timedelta | None = None) -> RetentionReport:
    """Remove what is past its retention, kind by kind; with dry_run, only count it.

    `recordings_age` overrides the policy's days for the recordings (`voicemail purge --older-than`).
    """
    report = RetentionReport(dry_run=dry_run)
    recordings_age = recordings_age or timedelta(days=policy.recordings)
    recordings_cutoff = now - recordings_age
    if dry_run:
        with sessions() as session:
            report.counts["recordings"] = _count(session, CallbackRequest, and_(
                _closed_entries(recordings_cutoff), CallbackRequest.purged_at.is_(None)))
            report.files = _count(session, CallbackMessage, and_(
                CallbackMessage.entry_id.in_(select(CallbackRequest.id).where(
                    _closed_entries(recordings_cutoff), CallbackRequest.purged_at.is_(None))),
                CallbackMessage.recording_path.is_not(None)))
            calls_cutoff = policy.cutoff("call_log_numbers", now)
            report.counts["call_log_numbers"] = _count(session, Call, and_(
                Call.started_at < calls_cutoff, Call.caller_number.is_not(None)))
    else:
        purged = purge(sessions, recordings_age, store, source, now, forget_calls=False)
        report.counts["recordings"], report.messages = purged.entries, purged.messages
        report.files, report.twilio_deleted = purged.files, purged.twilio_deleted
        report.kept_for_twilio = len(purged.kept_for_twilio)
        report.counts["call_log_numbers"] = forget_call_numbers(sessions, policy.cutoff("call_log_numbers", now))
    for kind, run in _PASSES.items():
        with sessions.begin() as session:
            report.counts[kind] = run(session, policy.cutoff(kind, now), dry_run)
            if dry_run:
                session.rollback()
    with sessions() as session:
        report.open_past_retention = _count(session, CallbackRequest, and_(
            CallbackRequest.created_at < recordings_cutoff, CallbackRequest.status.in_(OPEN_STATUSES)))
    report.counts = {kind: report.counts.get(kind, 0) for kind in KINDS}
    return report


def record_run(sessions: sessionmaker[Session], report: RetentionReport, actor: str, now: datetime) -> None:
    """An audit line with the counts of a retention run (a dry run leaves none)."""
    if report.dry_run:
        return
    detail = ", ".join(f"{kind} {count}" for kind, count in report.counts.items())
    with sessions.begin() as session:
        audit.record(session, actor, "privacy_retention", "conservazione",
                     f"{detail}; file {report.files}; Twilio {report.twilio_deleted}", at=now)


def policy_fields() -> tuple[str, ...]:
    """The kinds, in the order of the policy."""
    return tuple(item.name for item in fields(RetentionPolicy))
