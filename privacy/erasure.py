"""Erasure (GDPR art. 17): the subject's data removed or anonymised everywhere, the counts kept.

Rows are not deleted: a ticket keeps its code, channel, topic, status and dates, a callback
entry its reason, status and attempts, a call its times and outcome, a mail its kind and status,
so every figure of the dossier stays what it was. What named or described the person goes: the
numbers, addresses, names, summaries, notes, transcripts, mail texts and the recordings (in the
store and at Twilio). The lookup limiter's failures keep counting under a random key; the mail
limiter's windows of the address are dropped. Waiting journal lines naming the subject go too.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Executable, delete, select, update
from sqlalchemy.orm import Session

from privacy.holdings import FREE_TEXTS, Holdings, mail_counter_keys
from privacy.subjects import Subject
from storage.journal import Journal
from storage.models import (
    AddressCounter,
    AuditEntry,
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
from voicemail.recordings import RecordingSource, RecordingUnavailable
from voicemail.store import RecordingStore, StoreUnavailable

log = logging.getLogger(__name__)

ERASED = "[cancellato]"
MENTION_MODELS: dict[str, Any] = {table: model for table, model, _ in FREE_TEXTS}


class ErasureIncomplete(Exception):
    """A recording could not be deleted now (store or Twilio unavailable): nothing was erased; retry."""


@dataclass
class ErasureReport:
    """What an erasure changed, by kind (anonymous figures only)."""

    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0
    twilio_deleted: int = 0
    journal_lines: int = 0

    def total(self) -> int:
        """Every record changed or removed."""
        return sum(self.rows.values()) + self.files + self.twilio_deleted + self.journal_lines


def remove_recordings(held: Holdings, store: RecordingStore, source: RecordingSource | None) -> tuple[int, int]:
    """Delete the subject's recordings from the store and from Twilio; ErasureIncomplete if one stays."""
    files = deleted = 0
    for key in held.recordings:
        try:
            files += store.delete(key)
        except (StoreUnavailable, ValueError) as error:
            raise ErasureIncomplete(f"the recordings store refused a deletion: {error}") from None
    if held.twilio_recordings and source is None:
        raise ErasureIncomplete("Twilio still holds recordings and its API is not configured")
    for sid in held.twilio_recordings:
        try:
            source.delete(sid)  # type: ignore[union-attr]
        except RecordingUnavailable as error:
            raise ErasureIncomplete(f"Twilio refused a deletion: {error}") from None
        deleted += 1
    return files, deleted


def _redact(text: str | None, subject: Subject) -> str | None:
    if text is None:
        return None
    for needle in subject.needles:
        text = re.sub(re.escape(needle), ERASED, text, flags=re.IGNORECASE)
    return text


def anonymise(session: Session, held: Holdings, secret: str, now: datetime) -> dict[str, int]:
    """Blank what names or describes the subject in every table (in the caller's transaction)."""
    tickets, entries = held.ids("tickets"), held.ids("callback_requests")
    changed: dict[str, int] = {}

    def run(table: str, statement: Executable) -> None:
        result = session.execute(statement.execution_options(synchronize_session=False))
        changed[table] = changed.get(table, 0) + int(cast(CursorResult[Any], result).rowcount or 0)

    run("tickets", update(Ticket).where(Ticket.id.in_(tickets)).values(
        contact_phone=None, contact_email=None, summary=""))
    run("ticket_status_changes", update(TicketStatusChange).where(
        TicketStatusChange.ticket_id.in_(tickets)).values(note=""))
    run("written_submissions", update(WrittenSubmission).where(
        WrittenSubmission.ticket_id.in_(tickets)).values(citizen_name=None))
    run("ticket_replies", update(TicketReply).where(TicketReply.ticket_id.in_(tickets)).values(body=""))
    run("mail_outbox", update(OutboxMail).where(OutboxMail.id.in_(held.ids("mail_outbox"))).values(
        recipient="", subject="", body_text="", body_html=""))
    run("callback_messages", update(CallbackMessage).where(CallbackMessage.id.in_(held.ids("callback_messages")))
        .values(callback_number=None, recording_sid=None, recording_url=None, recording_path=None,
                transcript=None, code_sms_sid=None, copy_error=None, purged_at=now))
    run("callback_requests", update(CallbackRequest).where(CallbackRequest.id.in_(entries)).values(
        callback_number=None, purged_at=now))
    run("callback_attempts", update(CallbackAttempt).where(CallbackAttempt.entry_id.in_(entries)).values(note=None))
    run("calls", update(Call).where(Call.id.in_(held.ids("calls"))).values(caller_number=None))
    for row in held.rows.get("console_audit_log", []):
        run("console_audit_log", update(AuditEntry).where(AuditEntry.id == row["id"]).values(
            target=_redact(row["target"], held.subject), detail=_redact(row["detail"], held.subject)))
    for table, column, row_id in held.mentions:
        model = MENTION_MODELS[table]
        text = session.scalar(select(getattr(model, column)).where(model.id == row_id))
        run(table, update(model).where(model.id == row_id).values({column: _redact(text, held.subject)}))
    if held.subject.phone and held.lookup_failures:
        # Each failure keeps counting in the figures, under a key that leads back to nobody.
        run("lookup_failures", update(LookupFailure).where(
            LookupFailure.caller_key == caller_key(f"tel:{held.subject.phone}", secret)).values(
            caller_key=secrets.token_hex(32)))
    keys = mail_counter_keys(held.subject, secret, tuple(
        row["contact_email"] for row in held.rows.get("tickets", []) if row["contact_email"]))
    if keys:
        run("address_counters", delete(AddressCounter).where(AddressCounter.key.in_(keys)))
    return {table: count for table, count in changed.items() if count}


def forget_journal(journal: Journal, subject: Subject) -> int:
    """Drop the journal's lines naming the subject (writes still waiting, or set aside)."""
    return journal.forget(lambda line: any(needle in line for needle in subject.needles))


def compact(engine: Engine) -> None:
    """On SQLite, rewrite the file so that no freed page keeps the erased values (VACUUM).

    PostgreSQL's autovacuum reclaims the old row versions on its own; nothing reads them.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM")
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
