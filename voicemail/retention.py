"""Retention: past the configured age, recordings and personal data go; anonymous counts stay.

A purged entry keeps its row (reason, status, dates, message count, attempts with their
outcomes, message statuses and durations) with `purged_at` set and NULL where a number, a
recording, a transcript or an operator's note was. Entries still open (pending or claimed)
are never purged: they are counted so that someone closes them. The call log forgets the
caller's number of every call older than the retention (its outcome, times and status stay).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from storage.models import Call, CallbackAttempt, CallbackMessage, CallbackRequest, Ticket
from voicemail.recordings import RecordingSource, RecordingUnavailable
from voicemail.status import OPEN_STATUSES
from voicemail.store import RecordingStore, StoreUnavailable

log = logging.getLogger(__name__)

BATCH: Final = 500
_AGE: Final = re.compile(r"(\d+)\s*([dhw])")
_UNITS: Final = {"d": "days", "h": "hours", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """An age such as '90d', '12w' or '36h'; ValueError for anything else."""
    match = _AGE.fullmatch(text.strip().lower())
    if not match or int(match[1]) < 1:
        raise ValueError(f"{text!r} is not an age such as 90d, 12w or 36h")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


@dataclass
class PurgeReport:
    """What a purge did, and what it had to leave."""

    entries: int = 0
    messages: int = 0
    files: int = 0
    twilio_deleted: int = 0
    kept_for_twilio: list[int] = field(default_factory=list)  # entries whose recording stays (Twilio or store)
    open_past_retention: int = 0
    calls: int = 0


def _purgeable_ids(session: Session, cutoff: datetime, after_id: int) -> list[int]:
    return list(session.scalars(
        select(CallbackRequest.id)
        .where(CallbackRequest.created_at < cutoff, CallbackRequest.purged_at.is_(None),
               CallbackRequest.status.not_in(OPEN_STATUSES), CallbackRequest.id > after_id)
        .order_by(CallbackRequest.id).limit(BATCH)))


def _remove_media(message: CallbackMessage, store: RecordingStore, source: RecordingSource | None,
                  report: PurgeReport) -> bool:
    """Delete the message's copy in the store and Twilio's; False if either had to stay."""
    if message.recording_path:
        try:
            if store.delete(message.recording_path):
                report.files += 1
        except (StoreUnavailable, ValueError) as error:
            log.warning("purge: the copy of %s stays in the store for now: %s", message.recording_sid, error)
            return False
    if message.recording_sid and message.twilio_deleted_at is None:
        if source is None:
            return False
        try:
            source.delete(message.recording_sid)
        except RecordingUnavailable as error:
            log.warning("purge: recording %s stays in Twilio for now: %s", message.recording_sid, error)
            return False
        report.twilio_deleted += 1
    return True


def _anonymize(session: Session, entry_id: int, messages: list[CallbackMessage], now: datetime) -> None:
    ticket_ids = [m.ticket_id for m in messages if m.ticket_id]
    session.execute(update(CallbackMessage).where(CallbackMessage.entry_id == entry_id).values(
        callback_number=None, recording_sid=None, recording_url=None, recording_path=None, transcript=None,
        code_sms_sid=None, purged_at=now))
    session.execute(update(CallbackAttempt).where(CallbackAttempt.entry_id == entry_id).values(note=None))
    session.execute(update(CallbackRequest).where(CallbackRequest.id == entry_id).values(
        callback_number=None, purged_at=now))
    if ticket_ids:
        session.execute(update(Ticket).where(Ticket.id.in_(ticket_ids)).values(contact_phone=None))


def purge(sessions: sessionmaker[Session], older_than: timedelta, store: RecordingStore,
          source: RecordingSource | None, now: datetime, *, forget_calls: bool = True) -> PurgeReport:
    """Purge the closed entries created more than `older_than` ago (and, unless told not to, the call log's numbers)."""
    cutoff = now - older_than
    report = PurgeReport()
    last_id = 0
    while True:
        with sessions() as session:
            ids = _purgeable_ids(session, cutoff, last_id)
        if not ids:
            break
        last_id = ids[-1]
        for entry_id in ids:
            _purge_entry(sessions, entry_id, store, source, now, report)
    if forget_calls:
        report.calls = forget_call_numbers(sessions, cutoff)
    with sessions() as session:
        report.open_past_retention = session.scalar(
            select(func.count()).select_from(CallbackRequest)
            .where(CallbackRequest.created_at < cutoff, CallbackRequest.status.in_(OPEN_STATUSES))) or 0
    return report


def forget_call_numbers(sessions: sessionmaker[Session], cutoff: datetime) -> int:
    """Forget the caller's number of every call that started before `cutoff`; how many calls."""
    with sessions.begin() as session:
        forgotten = session.execute(update(Call).where(Call.started_at < cutoff, Call.caller_number.is_not(None))
                                    .values(caller_number=None).execution_options(synchronize_session=False))
        return cast(CursorResult[Any], forgotten).rowcount


def _purge_entry(sessions: sessionmaker[Session], entry_id: int, store: RecordingStore,
                 source: RecordingSource | None, now: datetime, report: PurgeReport) -> None:
    with sessions.begin() as session:
        messages = list(session.scalars(select(CallbackMessage).where(CallbackMessage.entry_id == entry_id)))
        for message in messages:
            if not _remove_media(message, store, source, report):
                report.kept_for_twilio.append(entry_id)
                return
            message.twilio_deleted_at = message.twilio_deleted_at or (now if message.recording_sid else None)
        _anonymize(session, entry_id, messages, now)
    report.entries += 1
    report.messages += len(messages)
