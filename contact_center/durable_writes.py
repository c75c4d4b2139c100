"""The writes a call must not lose, one typed operation each.

A flow step builds one of these dataclasses; the DurableWriter applies it now, or journals its
name and fields while the database is down and applies it later at the instant it was asked
for. Every operation is idempotent: Twilio may repeat a webhook, and a replay may repeat a write.
The registry is built, and checked, when this module is imported.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, ClassVar, Final, Protocol

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from storage import call_log
from voicemail import callbacks


class DurableWrite(Protocol):
    """A write that must reach the database, now or after an outage."""

    operation: ClassVar[str]

    def apply(self, session: Session, now: datetime) -> None:
        """Do the write in `session`, as if at `now`."""


class CoreWrite(ABC):
    """A write made of SQL statements alone, with no ORM unit of work.

    The writer runs it in one transaction on a Core connection (no session to build and flush);
    a journal replay still applies it in a session, with the other writes of its group.
    """

    operation: ClassVar[str]

    @abstractmethod
    def apply(self, session: Session | Connection, now: datetime) -> None:
        """Run the statements on `session` (a session, or a connection in a transaction), as if at `now`."""

    alone_on: ClassVar[frozenset[str]] = frozenset()  # the databases where `apply_alone` may do the write

    def apply_alone(self, connection: Connection, now: datetime) -> bool:
        """The whole write in one statement on `connection` (in autocommit), when it can be; False when
        it wrote nothing and `apply` must run in a transaction. The writer asks only on `alone_on`."""
        return False


class SingleStatementWrite(CoreWrite):
    """A write that is exactly one statement (the call log's upserts).

    It needs no transaction of its own either: the writer runs it on a Core connection in
    autocommit, one round trip instead of three (BEGIN, the statement, COMMIT).
    """

    alone_on: ClassVar[frozenset[str]] = frozenset({"postgresql", "sqlite"})

    def apply_alone(self, connection: Connection, now: datetime) -> bool:
        self.apply(connection, now)
        return True


@dataclass(frozen=True)
class OpenCallbackRequest(CoreWrite):
    """The caller's message, its ticket and its place on the callback list."""

    operation: ClassVar[str] = "open_callback_request"
    call_sid: str
    callback_number: str | None
    number_source: str
    reason: str
    tracking_code: str | None = None
    code_length: int = 8
    language: str = "it"  # the caller's; journal lines written before languages replay as Italian
    topic: str = "other"  # the one the caller chose; journal lines written before topics replay as "other"

    def apply(self, session: Session | Connection, now: datetime) -> None:
        callbacks.store_callback_request(session, self.call_sid, self.callback_number, self.number_source,
                                        self.reason, self.tracking_code, self.code_length, now=now,
                                        language=self.language, topic=self.topic)


@dataclass(frozen=True)
class AttachRecording(CoreWrite):
    """The recording Twilio reports for the call's message."""

    operation: ClassVar[str] = "attach_recording"
    alone_on: ClassVar[frozenset[str]] = frozenset({"postgresql"})
    call_sid: str
    reason: str
    sid: str
    url: str
    duration_seconds: int
    status: str = "completed"

    def apply(self, session: Session | Connection, now: datetime) -> None:
        callbacks.store_recording(session, self.call_sid, self._recording(), reason=self.reason, now=now)

    def apply_alone(self, connection: Connection, now: datetime) -> bool:
        return callbacks.store_recording_alone(connection, self.call_sid, self._recording(), now=now)

    def _recording(self) -> callbacks.Recording:
        return callbacks.Recording(self.sid, self.url, self.duration_seconds, self.status)


@dataclass(frozen=True)
class MarkNoMessage:
    """The caller hung up or stayed silent: the entry stays, with no message."""

    operation: ClassVar[str] = "mark_no_message"
    call_sid: str

    def apply(self, session: Session, now: datetime) -> None:
        callbacks.mark_no_message(session, self.call_sid)


@dataclass(frozen=True)
class NoteCodeSms:
    """The tracking code went by SMS: never send it twice."""

    operation: ClassVar[str] = "note_code_sms"
    call_sid: str
    sms_sid: str

    def apply(self, session: Session, now: datetime) -> None:
        callbacks.note_code_sms(session, self.call_sid, self.sms_sid)


@dataclass(frozen=True)
class RecordCallStart(SingleStatementWrite):
    """The call's log row, on its first webhook."""

    operation: ClassVar[str] = "record_call_start"
    call_sid: str
    caller_number: str | None
    line_number: str | None
    language: str = "it"  # the language the call starts in; older journal lines replay as Italian

    def apply(self, session: Session | Connection, now: datetime) -> None:
        call_log.record_call_start(session, self.call_sid, self.caller_number, self.line_number, now=now,
                                   language=self.language)


@dataclass(frozen=True)
class RecordCallLanguage(SingleStatementWrite):
    """The caller chose the other language (key 8): it holds for the rest of the call."""

    operation: ClassVar[str] = "record_call_language"
    call_sid: str
    language: str

    def apply(self, session: Session | Connection, now: datetime) -> None:
        call_log.record_call_language(session, self.call_sid, self.language, now=now)


@dataclass(frozen=True)
class RecordCallOutcome(SingleStatementWrite):
    """What the call achieved: message, operator or self_service."""

    operation: ClassVar[str] = "record_call_outcome"
    call_sid: str
    outcome: str

    def apply(self, session: Session | Connection, now: datetime) -> None:
        call_log.record_call_outcome(session, self.call_sid, self.outcome, now=now)


@dataclass(frozen=True)
class RecordCallEnd(SingleStatementWrite):
    """How the call ended, from Twilio's status callback."""

    operation: ClassVar[str] = "record_call_end"
    call_sid: str
    status: str
    duration_seconds: int | None

    def apply(self, session: Session | Connection, now: datetime) -> None:
        call_log.record_call_end(session, self.call_sid, self.status, self.duration_seconds, now=now)


def _registry(*kinds: type[DurableWrite]) -> dict[str, type[DurableWrite]]:
    """The operations by their journal name; two operations with one name stop the import."""
    registry = {kind.operation: kind for kind in kinds}
    if len(registry) != len(kinds):
        raise RuntimeError("two durable operations share a journal name")
    return registry


OPERATIONS: Final = _registry(OpenCallbackRequest, AttachRecording, MarkNoMessage, NoteCodeSms, RecordCallStart,
                              RecordCallLanguage, RecordCallOutcome, RecordCallEnd)


def journal_arguments(write: DurableWrite) -> dict[str, Any]:
    """The fields the journal keeps, by name (the dataclass's own)."""
    return asdict(write)  # type: ignore[call-overload]  # every operation is a dataclass


def from_journal(operation: str, arguments: dict[str, Any]) -> DurableWrite:
    """The operation a journal line names; KeyError for an unknown name, TypeError for wrong fields."""
    return OPERATIONS[operation](**arguments)
