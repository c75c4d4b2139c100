"""The message flow's steps: the opening, <Record> as configured, the code with the database down."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import select, text

from contact_center.app import create_app
from contact_center.config import ConfigError
from contact_center.durable import DurableWriter
from storage.db import make_engine, make_session_factory
from storage.migrate import alembic_config, upgrade
from storage.models import CallbackMessage, CallbackRequest, Ticket
from tests.conftest import AUTH_TOKEN, LINE_OPEN_AT, make_app, make_settings, post_signed
from tickets.codes import format_code_for_speech, is_valid_code
from voicemail.callbacks import Recording, attach_recording, open_callback_request
from voicemail.tracking import call_tracking_code

CALL = {"CallSid": "CA" + "4" * 32, "AccountSid": "AC" + "0" * 32, "From": "+393471234567",
        "To": "+39800840840", "CallStatus": "in-progress"}


def document(response) -> ElementTree.Element:
    assert response.status_code == 200
    return ElementTree.fromstring(response.data)


def said(root: ElementTree.Element) -> str:
    return " ".join(say.text or "" for say in root.iter("Say"))


@pytest.mark.parametrize(("reason", "opening"), [
    ("all_busy", "In questo momento tutti gli operatori sono occupati. Lascia un messaggio"),
    ("no_answer", "Nessun operatore ha potuto rispondere. Lascia un messaggio"),
    ("closed", "Puoi lasciare un messaggio: ti richiameremo quando il servizio riaprirà."),
    ("chosen", "Puoi lasciare un messaggio e sarai richiamato."),
    ("nonsense", "Puoi lasciare un messaggio e sarai richiamato."),
])
def test_each_reason_has_its_own_opening(sqlite_app: Flask, reason: str, opening: str) -> None:
    root = document(post_signed(sqlite_app.test_client(), f"/voice/message?reason={reason}", CALL))
    assert said(root).startswith(opening)
    assert root.find("Redirect").text.startswith("/voice/message/number?reason=")


def test_record_uses_every_configured_setting(tmp_path: Path) -> None:
    app = make_app(make_settings(f"sqlite:///{tmp_path / 'db'}", tmp_path / "i", voicemail={
        "max_length_seconds": 120, "finish_on_key": "*", "play_beep": False, "trim_silence": False,
        "silence_timeout_seconds": 7}))
    root = document(post_signed(app.test_client(), "/voice/message/record?reason=all_busy&code=12345678", CALL))
    record = root.find("Record")
    assert record is not None
    assert {key: record.get(key) for key in ("maxLength", "finishOnKey", "playBeep", "trim", "timeout")} == {
        "maxLength": "120", "finishOnKey": "*", "playBeep": "false", "trim": "do-not-trim", "timeout": "7"}
    assert record.get("recordingStatusCallback") == "/voice/message/recording-status?reason=all_busy"
    assert record.get("recordingStatusCallbackEvent") == "completed absent"
    assert parse_qs(urlsplit(record.get("action")).query)["code"] == ["12345678"]
    assert "Al termine premi il tasto asterisco." in said(root)


def test_a_star_on_the_keypad_stands_for_plus(sqlite_app: Flask) -> None:
    words = said(document(post_signed(sqlite_app.test_client(), "/voice/message/number/typed?reason=chosen",
                                      {**CALL, "Digits": "*447911123456#"})))
    assert "Hai digitato il numero 0 0 4 4" in words


def test_the_code_is_derived_from_the_call_so_repeats_agree() -> None:
    first = call_tracking_code(CALL["CallSid"], AUTH_TOKEN)
    assert is_valid_code(first, 8) and first == call_tracking_code(CALL["CallSid"], AUTH_TOKEN)
    assert first != call_tracking_code("CA" + "5" * 32, AUTH_TOKEN)
    assert first != call_tracking_code(CALL["CallSid"], "another key")
    assert all(is_valid_code(call_tracking_code(f"CA{n:032d}", "k"), 8) for n in range(500))


def test_with_the_database_down_the_caller_hears_the_code_the_journal_later_stores(tmp_path: Path) -> None:
    app = create_app(make_settings("postgresql+psycopg://postgres@127.0.0.1:1/none", tmp_path / "i"))
    client = app.test_client()
    confirmed = document(post_signed(client, "/voice/message/number/confirm?reason=all_busy&attempt=1",
                                     {**CALL, "Digits": "1"}))
    record_url = confirmed.find("Redirect").text
    assert record_url.startswith("/voice/message/record?")
    recording = document(post_signed(client, record_url, CALL)).find("Record")
    finished = document(post_signed(client, recording.get("action"), {
        **CALL, "RecordingSid": "RE" + "6" * 32, "RecordingUrl": "https://api.twilio.com/RE6",
        "RecordingDuration": "11", "Digits": "#"}))
    heard = said(finished)
    code = re.search(r"codice della tua richiesta: ([\d ,]+)\.", heard)[1]
    assert heard.count(code) == 2
    again = document(post_signed(client, "/voice/message/number/confirm?reason=all_busy&attempt=1",
                                 {**CALL, "Digits": "1"}))
    assert again.find("Redirect").text == record_url

    engine = make_engine(f"sqlite:///{tmp_path / 'back.db'}")
    upgrade(engine)
    DurableWriter(make_session_factory(engine), app.extensions["contact_center"].journal).replay_backlog()
    with make_session_factory(engine)() as session:
        ticket = session.scalars(select(Ticket)).one()
        entry = session.scalars(select(CallbackRequest)).one()
        message = session.scalars(select(CallbackMessage)).one()
    assert format_code_for_speech(ticket.code) == code
    assert (entry.reason, entry.ticket_id, message.recording_duration) == ("all_busy", ticket.id, 11)
    engine.dispose()


def test_old_entries_become_messages_when_the_schema_is_upgraded(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0002_tickets")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO callback_requests (call_sid, callback_number, number_source, reason, status,"
            " message_status, recording_sid, recording_url, recording_duration, created_at, updated_at)"
            " VALUES ('CA1', '+393471234567', 'caller_id', 'all_busy', 'pending', 'recorded', 'RE1',"
            " 'https://api.twilio.com/RE1', 12, :at, :at)"), {"at": datetime(2026, 1, 5, 10, 0)})
    upgrade(engine)
    with make_session_factory(engine)() as session:
        entry = session.scalars(select(CallbackRequest)).one()
        message = session.scalars(select(CallbackMessage)).one()
    assert (entry.priority, entry.message_count, entry.attempt_count) == (2, 1, 0)
    assert entry.next_attempt_at == entry.created_at == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    assert (message.entry_id, message.call_sid, message.recording_sid, message.copy_status) == (
        entry.id, "CA1", "RE1", "pending")
    engine.dispose()


@pytest.mark.parametrize(("voicemail", "problem"), [
    ({"sms_tracking_code": True}, "sms_from: the sender number is required"),
    ({"sms_from": "12"}, "voicemail.sms_from"),
    ({"retry_delays_minutes": []}, "voicemail.retry_delays_minutes"),
    ({"transcriber": "not a path"}, "voicemail.transcriber"),
    ({"recording_format": "ogg"}, "voicemail.recording_format"),
])
def test_voicemail_settings_are_checked(tmp_path: Path, voicemail: dict, problem: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(problem)):
        make_settings("sqlite://", tmp_path, voicemail=voicemail)


def test_the_schema_goes_back_keeping_each_entrys_first_message(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with make_session_factory(engine).begin() as session:
        open_callback_request(session, "CA1", "+393471234567", "caller_id", "closed", now=LINE_OPEN_AT)
        attach_recording(session, "CA1", Recording("RE1", "https://api.twilio.com/RE1", 12), now=LINE_OPEN_AT)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002_tickets")
    with engine.connect() as connection:
        row = connection.execute(text(
            "SELECT call_sid, callback_number, message_status, recording_sid, recording_duration"
            " FROM callback_requests")).one()
    assert tuple(row) == ("CA1", "+393471234567", "recorded", "RE1", 12)
    upgrade(engine)
    engine.dispose()
