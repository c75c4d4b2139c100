"""The confirmation and recording writes as SQL statements alone: atomic, few round trips, the same rows.

They run in one transaction on a Core connection (no ORM session), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from random import Random
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

import tickets.repository
from contact_center.durable import DurableWriter
from contact_center.durable_writes import AttachRecording, OpenCallbackRequest
from storage.journal import Journal
from storage.models import CallbackMessage, CallbackRequest, Ticket, TicketStatusChange
from tickets.codes import generate_code
from tickets.repository import CodeSpaceExhausted
from voicemail.callbacks import left_by_call

NOW = datetime(2031, 3, 4, 10, 30, tzinfo=UTC)
SID = "CA" + "7" * 32
OTHER_SID = "CA" + "8" * 32
NUMBER = "+393471234567"
CODE, SECOND_CODE, UNUSED_CODE = (generate_code(12, Random(seed)) for seed in (1, 2, 3))


@pytest.fixture
def writer(sessions: sessionmaker[Session], tmp_path: Path) -> DurableWriter:
    return DurableWriter(sessions, Journal(tmp_path / "journal"))


@contextmanager
def statements_sent(writer: DurableWriter, engine: Engine) -> Iterator[list[str]]:
    """The statements sent meanwhile, in transactions (on `engine`) and alone (on the writer's autocommit engine)."""
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    targets = {id(target): target for target in (engine, writer.autocommit) if target is not None}.values()
    for target in targets:
        event.listen(target, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        for target in targets:
            event.remove(target, "before_cursor_execute", count)


def confirmation(sid: str = SID, code: str = CODE) -> OpenCallbackRequest:
    return OpenCallbackRequest(call_sid=sid, callback_number=NUMBER, number_source="caller_id", reason="chosen",
                               tracking_code=code, code_length=12, language="en", topic="other")


def test_a_confirmation_stores_the_message_its_ticket_with_history_and_its_entry(
        writer: DurableWriter, sessions: sessionmaker[Session]) -> None:
    assert writer.apply(confirmation(), NOW)
    with sessions() as session:
        message = session.scalars(select(CallbackMessage).where(CallbackMessage.call_sid == SID)).one()
        ticket = session.scalars(select(Ticket).where(Ticket.call_sid == SID)).one()
        entry = session.get_one(CallbackRequest, message.entry_id)
        history = session.scalars(select(TicketStatusChange).where(TicketStatusChange.ticket_id == ticket.id)).all()
    assert (message.callback_number, message.number_source, message.ticket_id) == (NUMBER, "caller_id", ticket.id)
    assert (ticket.code, ticket.channel, ticket.status, ticket.language, ticket.contact_phone, ticket.version) == (
        CODE, "voicemail", "received", "en", NUMBER, 1)
    assert [(change.from_status, change.to_status, change.changed_by, change.changed_at) for change in history] == [
        (None, "received", "sistema", NOW)]
    assert (entry.callback_number, entry.ticket_id, entry.status, entry.message_count, entry.next_attempt_at) == (
        NUMBER, ticket.id, "pending", 1, NOW)


def test_a_repeated_confirmation_changes_nothing(writer: DurableWriter, sessions: sessionmaker[Session]) -> None:
    assert writer.apply(confirmation(), NOW)
    assert writer.apply(confirmation(code=UNUSED_CODE), NOW)
    with sessions() as session:
        counts = [session.scalar(select(func.count()).select_from(model))
                  for model in (CallbackMessage, Ticket, TicketStatusChange, CallbackRequest)]
        code = session.scalar(select(Ticket.code))
    assert counts == [1, 1, 1, 1] and code == CODE


def test_a_second_call_from_the_number_joins_its_pending_entry(
        writer: DurableWriter, sessions: sessionmaker[Session]) -> None:
    assert writer.apply(confirmation(), NOW)
    assert writer.apply(confirmation(OTHER_SID, SECOND_CODE), NOW)
    with sessions() as session:
        entry_ids = set(session.scalars(select(CallbackMessage.entry_id)))
        [entry] = session.scalars(select(CallbackRequest)).all()
        tickets_made = session.scalar(select(func.count()).select_from(Ticket))
    assert entry_ids == {entry.id} and entry.message_count == 2 and tickets_made == 2


def test_a_confirmation_that_fails_half_way_leaves_nothing_behind(
        writer: DurableWriter, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    """The message row is written before the ticket: when no ticket can be made, it is rolled back too."""
    assert writer.apply(confirmation(), NOW)
    monkeypatch.setattr(tickets.repository, "generate_code", lambda _length: CODE)  # every code taken
    with pytest.raises(CodeSpaceExhausted):
        writer.apply(confirmation(OTHER_SID, CODE), NOW)
    with sessions() as session:
        assert session.scalars(select(CallbackMessage.call_sid)).all() == [SID]
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_the_recording_is_attached_once_and_queued_for_copy(
        writer: DurableWriter, sessions: sessionmaker[Session]) -> None:
    assert writer.apply(confirmation(), NOW)
    recording = AttachRecording(SID, "chosen", "RE" + "1" * 32, "https://api.twilio.com/RE1", 25)
    assert writer.apply(recording, NOW)
    assert writer.apply(AttachRecording(SID, "chosen", "RE" + "2" * 32, "https://api.twilio.com/RE2", 9), NOW)
    with sessions() as session:
        message = session.scalars(select(CallbackMessage)).one()
    assert (message.message_status, message.recording_sid, message.recording_duration, message.copy_status,
            message.copy_next_at) == ("recorded", "RE" + "1" * 32, 25, "pending", NOW)


def test_an_early_recording_opens_an_entry_that_the_confirmation_completes(
        writer: DurableWriter, sessions: sessionmaker[Session]) -> None:
    assert writer.apply(AttachRecording(SID, "chosen", "RE" + "1" * 32, "https://api.twilio.com/RE1", 25), NOW)
    assert writer.apply(confirmation(), NOW)
    with sessions() as session:
        message = session.scalars(select(CallbackMessage)).one()
        [entry] = session.scalars(select(CallbackRequest)).all()
    assert (message.callback_number, message.number_source, message.message_status) == (NUMBER, "caller_id",
                                                                                      "recorded")
    assert (entry.callback_number, entry.ticket_id) == (NUMBER, message.ticket_id) and entry.ticket_id is not None


def test_what_a_call_left_is_read_in_one_statement(writer: DurableWriter, engine: Engine) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    with engine.connect() as connection:
        nothing = left_by_call(connection, SID)
    assert writer.apply(confirmation(), NOW)
    event.listen(engine, "before_cursor_execute", count)
    try:
        with engine.connect() as connection:
            left = left_by_call(connection, SID)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert (nothing.has_message, nothing.tracking_code) == (False, None)
    assert (left.has_message, left.callback_number, left.code_sms_sid, left.tracking_code) == (
        True, NUMBER, None, CODE)
    assert len(statements) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgresql_a_new_callers_confirmation_is_four_statements_in_one_transaction(
        writer: DurableWriter, engine: Engine) -> None:
    """The message (insert or read) with the number's lock, the ticket with its history, the number's pending
    entry, the new entry with the message filed on it: no ORM flush, no savepoint. (SQLite, with no
    data-modifying CTEs, runs the same write in more statements, with no network between them.)"""
    commits: list[object] = []

    def count_commit(connection: object) -> None:
        commits.append(connection)

    event.listen(engine, "commit", count_commit)
    try:
        with statements_sent(writer, engine) as statements:
            assert writer.apply(confirmation(), NOW)
    finally:
        event.remove(engine, "commit", count_commit)
    assert len(statements) == 4, statements
    assert not any("pg_advisory_xact_lock" in statement and "INSERT" not in statement for statement in statements)
    assert len(commits) == 1


def _message_row(sessions: sessionmaker[Session], sid: str) -> dict[str, Any]:
    with sessions() as session:
        message = session.scalars(select(CallbackMessage).where(CallbackMessage.call_sid == sid)).one()
        return {column: getattr(message, column) for column in (
            "message_status", "recording_sid", "recording_url", "recording_duration", "copy_status",
            "copy_next_at", "entry_id")} | {"entry_id": message.entry_id is not None}


REPORTS = {
    "a recording": [AttachRecording(SID, "chosen", "RE" + "1" * 32, "https://api.twilio.com/RE1", 25)],
    "an empty recording": [AttachRecording(SID, "chosen", "RE" + "1" * 32, "https://api.twilio.com/RE1", 0)],
    "an empty one, then a recording": [
        AttachRecording(SID, "chosen", "RE" + "1" * 32, "", 0),
        AttachRecording(SID, "chosen", "RE" + "2" * 32, "https://api.twilio.com/RE2", 12)],
    "the action, then the status callback": [
        AttachRecording(SID, "chosen", "RE" + "1" * 32, "https://api.twilio.com/RE1", 25),
        AttachRecording(SID, "chosen", "RE" + "1" * 32, "https://api.twilio.com/RE1", 25)],
    "a failed recording, then a completed one": [
        AttachRecording(SID, "chosen", "RE" + "1" * 32, "", 0, status="failed"),
        AttachRecording(SID, "chosen", "RE" + "1" * 32, "https://api.twilio.com/RE1", 25)],
}


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("name", list(REPORTS))
def test_on_postgresql_the_one_statement_recording_leaves_what_the_transaction_leaves(
        name: str, writer: DurableWriter, sessions: sessionmaker[Session]) -> None:
    """The same reports, through the writer (one statement in autocommit where it can) and through
    store_recording in a transaction, on two calls in the same state: the same message."""
    for sid in (SID, OTHER_SID):
        assert writer.apply(confirmation(sid, CODE if sid == SID else SECOND_CODE), NOW)
    for report in REPORTS[name]:
        assert writer.apply(report, NOW)
        with sessions.begin() as session:
            AttachRecording(OTHER_SID, report.reason, report.sid, report.url, report.duration_seconds,
                            report.status).apply(session, NOW)
    assert _message_row(sessions, SID) == _message_row(sessions, OTHER_SID)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_on_postgresql_a_recording_of_a_message_on_the_list_is_one_statement_in_autocommit(
        writer: DurableWriter, engine: Engine, sessions: sessionmaker[Session]) -> None:
    """The Record action and the status callback after it: one statement each, no transaction; an early
    recording (no message yet) falls back to the transaction and still opens its entry."""
    early = AttachRecording(OTHER_SID, "chosen", "RE" + "3" * 32, "https://api.twilio.com/RE3", 7)
    assert writer.apply(confirmation(), NOW)
    report = AttachRecording(SID, "chosen", "RE" + "1" * 32, "https://api.twilio.com/RE1", 25)
    with statements_sent(writer, engine) as statements:
        assert writer.apply(report, NOW)
        assert writer.apply(report, NOW)
        recorded_in = len(statements)
        assert writer.apply(early, NOW)
    assert recorded_in == 2, statements
    assert len(statements) > 3  # the early one: the statement that found no message, then the transaction's
    assert _message_row(sessions, SID)["message_status"] == "recorded"
    assert _message_row(sessions, OTHER_SID) == {
        "message_status": "recorded", "recording_sid": "RE" + "3" * 32, "recording_url": "https://api.twilio.com/RE3",
        "recording_duration": 7, "copy_status": "pending", "copy_next_at": NOW, "entry_id": True}
