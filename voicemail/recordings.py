"""Recordings copied from Twilio into the service's own storage, never losing Twilio's copy.

Each message with a finished recording is a small durable work item: `copy_status` is
"pending" until the recording store (a local folder or an S3-compatible bucket) holds the
file ("copied"), with a count of attempts, the last error and when to try again. Only after
the store acknowledged the whole file may Twilio's copy be deleted (when configured): while
Twilio or the store is down, the copy is retried with backoff. After `max_attempts` failures
the item is "failed" and keeps Twilio's copy; `retry_failed` puts such items back in the queue.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, Protocol, cast

from sqlalchemy import ColumnElement, CursorResult, select, update
from sqlalchemy.orm import Session, sessionmaker

from storage.models import CallbackMessage
from voicemail.store import RecordingStore, StoreUnavailable
from voicemail.transcription import NoTranscription, Transcriber

log = logging.getLogger(__name__)

LEASE: Final = timedelta(minutes=5)
CONTENT_TYPES: Final = {"wav": "audio/wav", "mp3": "audio/mpeg"}
MAX_BACKOFF: Final = timedelta(hours=1)


class RecordingUnavailable(Exception):
    """Twilio did not hand over (or delete) the recording; the message says why."""


class RecordingSource(Protocol):
    """Where recordings are fetched from and deleted: Twilio's REST API."""

    def download(self, recording_sid: str, file_format: str) -> bytes:
        """The recording's audio; RecordingUnavailable on any failure."""
        ...

    def delete(self, recording_sid: str) -> None:
        """Delete the recording (already gone counts as done); RecordingUnavailable on failure."""
        ...


@dataclass(frozen=True)
class CopyPolicy:
    """Where copies go and how failures are retried, from the configuration."""

    store: RecordingStore
    file_format: str = "wav"
    delete_from_twilio: bool = False
    max_attempts: int = 8
    first_retry: timedelta = timedelta(minutes=1)
    language: str = "it-IT"

    def retry_delay(self, attempts: int) -> timedelta:
        """Exponential backoff after `attempts` failures, at most an hour."""
        return min(self.first_retry * (1 << max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass
class CopyReport:
    """What one run did."""

    copied: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    gave_up: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Item:
    message_id: int
    recording_sid: str
    created_at: datetime
    attempts: int


def _lease_next(session: Session, now: datetime, preferred_call_sid: str | None) -> _Item | None:
    """Take the next due copy for a while, so that another process does not take it too."""
    order: list[ColumnElement[Any]] = [CallbackMessage.copy_next_at.asc(), CallbackMessage.id.asc()]
    if preferred_call_sid:
        order.insert(0, CallbackMessage.call_sid != preferred_call_sid)
    message = session.scalars(
        select(CallbackMessage)
        .where(CallbackMessage.copy_status == "pending", CallbackMessage.copy_next_at <= now,
               CallbackMessage.recording_sid.is_not(None))
        .order_by(*order).limit(1)).first()
    if message is None or message.recording_sid is None:
        return None
    taken = cast(CursorResult[Any], session.execute(
        update(CallbackMessage)
        .where(CallbackMessage.id == message.id, CallbackMessage.copy_status == "pending",
               CallbackMessage.copy_next_at == message.copy_next_at)
        .values(copy_next_at=now + LEASE)
        .execution_options(synchronize_session=False)
    )).rowcount
    if not taken:
        return None
    return _Item(message.id, message.recording_sid, message.created_at, message.copy_attempts)


def relative_path(item_sid: str, created_at: datetime, file_format: str) -> str:
    """A recording's key in the store: YYYY/MM/SID.format."""
    return f"{created_at:%Y}/{created_at:%m}/{item_sid}.{file_format}"


def _copy(item: _Item, source: RecordingSource, policy: CopyPolicy) -> tuple[str, bytes]:
    """Download one recording and put it in the store; its key there and its audio."""
    audio = source.download(item.recording_sid, policy.file_format)
    if not audio:
        raise RecordingUnavailable("Twilio returned an empty file")
    key = relative_path(item.recording_sid, item.created_at, policy.file_format)
    policy.store.put(key, audio, CONTENT_TYPES.get(policy.file_format, "application/octet-stream"))
    return key, audio


def _record_failure(sessions: sessionmaker[Session], item: _Item, error: str, policy: CopyPolicy,
                    report: CopyReport, now: datetime) -> None:
    attempts = item.attempts + 1
    gave_up = attempts >= policy.max_attempts
    with sessions.begin() as session:
        session.execute(update(CallbackMessage).where(CallbackMessage.id == item.message_id).values(
            copy_attempts=attempts, copy_error=error[:200], copy_status="failed" if gave_up else "pending",
            copy_next_at=now + policy.retry_delay(attempts)))
    (report.gave_up if gave_up else report.failed).append(item.recording_sid)
    log.warning("copy of recording %s failed (attempt %d): %s", item.recording_sid, attempts, error)


def _transcribe(sessions: sessionmaker[Session], item: _Item, key: str, audio: bytes, transcriber: Transcriber,
                language: str) -> None:
    """Run the transcription step on a private file of the audio; its failure never undoes the copy."""
    if isinstance(transcriber, NoTranscription):
        return
    try:
        with tempfile.TemporaryDirectory(prefix="cc-transcribe-") as folder:
            path = Path(folder) / Path(key).name
            path.write_bytes(audio)
            text = transcriber.transcribe(path, language)
    except Exception:  # a plug-in's failure must not lose the copy: log it and go on
        log.exception("transcription of %s failed", item.recording_sid)
        return
    if text:
        with sessions.begin() as session:
            session.execute(update(CallbackMessage).where(CallbackMessage.id == item.message_id)
                            .values(transcript=text))


def _copy_one(sessions: sessionmaker[Session], item: _Item, source: RecordingSource, policy: CopyPolicy,
              transcriber: Transcriber, report: CopyReport, clock: Callable[[], datetime]) -> None:
    try:
        key, audio = _copy(item, source, policy)
    except (RecordingUnavailable, StoreUnavailable) as error:
        _record_failure(sessions, item, str(error) or error.__class__.__name__, policy, report, clock())
        return
    with sessions.begin() as session:
        session.execute(update(CallbackMessage).where(CallbackMessage.id == item.message_id).values(
            copy_status="copied", recording_path=key, copy_error=None, copy_next_at=None,
            copy_attempts=item.attempts + 1))
    report.copied.append(item.recording_sid)
    _transcribe(sessions, item, key, audio, transcriber, policy.language)


def delete_copied_from_twilio(sessions: sessionmaker[Session], source: RecordingSource,
                              report: CopyReport, clock: Callable[[], datetime], limit: int = 100) -> None:
    """Delete from Twilio the recordings the store holds (failures are retried later)."""
    with sessions() as session:
        pending = session.execute(
            select(CallbackMessage.id, CallbackMessage.recording_sid)
            .where(CallbackMessage.copy_status == "copied", CallbackMessage.twilio_deleted_at.is_(None),
                   CallbackMessage.recording_sid.is_not(None))
            .order_by(CallbackMessage.id).limit(limit)).all()
    for message_id, recording_sid in pending:
        try:
            source.delete(recording_sid)
        except RecordingUnavailable as error:
            log.warning("could not delete recording %s from Twilio: %s", recording_sid, error)
            continue
        with sessions.begin() as session:
            session.execute(update(CallbackMessage).where(CallbackMessage.id == message_id)
                            .values(twilio_deleted_at=clock()))
        report.deleted.append(recording_sid)


def copy_due_recordings(sessions: sessionmaker[Session], source: RecordingSource, policy: CopyPolicy,
                        transcriber: Transcriber, *, clock: Callable[[], datetime], first_call_sid: str | None = None,
                        limit: int = 100, seconds: float | None = None) -> CopyReport:
    """Copy up to `limit` due recordings (the call's own first), starting none after `seconds`.

    `clock` gives "now" each time it is needed: a copy can take seconds.
    """
    report = CopyReport()
    deadline = None if seconds is None else time.monotonic() + seconds
    for _ in range(limit):
        if deadline is not None and time.monotonic() >= deadline:
            break
        with sessions.begin() as session:
            item = _lease_next(session, clock(), first_call_sid)
        if item is None:
            break
        _copy_one(sessions, item, source, policy, transcriber, report, clock)
    if policy.delete_from_twilio and (deadline is None or time.monotonic() < deadline):
        delete_copied_from_twilio(sessions, source, report, clock, limit)
    return report


def retry_failed(session: Session, now: datetime) -> int:
    """Put the copies that gave up back in the queue; how many."""
    result = cast(CursorResult[Any], session.execute(
        update(CallbackMessage).where(CallbackMessage.copy_status == "failed")
        .values(copy_status="pending", copy_attempts=0, copy_next_at=now)
        .execution_options(synchronize_session=False)))
    return result.rowcount or 0
