"""Whole calls through the simulator and the fake Twilio API: every way of leaving a message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from callsim.fake_api import FakeTwilioApi
from callsim.simulator import Simulator
from callsim.transport import WSGITransport
from contact_center.services import recording_store
from storage.models import Call, CallbackMessage, CallbackRequest, Ticket
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, make_app, make_settings
from tickets.codes import format_code_for_speech, is_valid_code

MOBILE = "+393471234567"
LANDLINE = "+390612345678"
SMS_SENDER = "+393399999999"


@pytest.fixture
def fake_api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as api:
        yield api


def voicemail_app(database_url: str, tmp_path: Path, api: FakeTwilioApi, **voicemail: Any) -> Flask:
    """The app with its REST client pointed at the fake Twilio API."""
    settings = make_settings(database_url, tmp_path / "instance", twilio={"api_base_url": api.base_url},
                             voicemail=voicemail)
    return make_app(settings)


@pytest.fixture
def app(database_url: str, tmp_path: Path, fake_api: FakeTwilioApi) -> Iterator[Flask]:
    app = voicemail_app(database_url, tmp_path, fake_api)
    yield app
    app.extensions["contact_center"].engine.dispose()


def simulator_for(app: Flask, api: FakeTwilioApi, **options: Any) -> Simulator:
    return Simulator(WSGITransport(app), auth_token=AUTH_TOKEN, public_base_url="http://localhost",
                     account_sid=ACCOUNT_SID, api_base_url=api.base_url, recording_store=api, **options)


@pytest.fixture
def simulator(app: Flask, fake_api: FakeTwilioApi) -> Simulator:
    return simulator_for(app, fake_api)


def rows(app: Flask, model: type) -> list[Any]:
    with app.extensions["contact_center"].sessions() as session:
        return list(session.scalars(select(model).order_by(model.id)).all())


def spoken_code(app: Flask, call_sid: str) -> str:
    [ticket] = [ticket for ticket in rows(app, Ticket) if ticket.call_sid == call_sid]
    return format_code_for_speech(ticket.code)


def test_a_confirmed_caller_id_gives_entry_ticket_recording_copy_and_the_code_twice(
        app: Flask, simulator: Simulator, fake_api: FakeTwilioApi) -> None:
    call = simulator.dial(from_=MOBILE)
    call.press("3")
    assert "termina con 45 67: premi 1 per confermare, 2 per indicarne un altro" in call.heard_since_last_input()
    call.press("1")
    assert "dopo il segnale acustico" in call.heard_since_last_input()
    call.record(seconds=14, finish_key="#")
    heard = call.heard_since_last_input()
    assert call.ended and call.errors == []

    [entry], [message], [ticket] = rows(app, CallbackRequest), rows(app, CallbackMessage), rows(app, Ticket)
    code = format_code_for_speech(ticket.code)
    assert "messaggio è stato registrato" in heard
    assert heard.count(code) == 2 and "Arrivederci" in heard
    assert (entry.callback_number, entry.reason, entry.status, entry.ticket_id) == (
        MOBILE, "chosen", "pending", ticket.id)
    assert (message.number_source, message.message_status, message.recording_duration) == ("caller_id", "recorded", 14)
    assert message.recording_sid == call.recordings[0].sid
    assert (ticket.channel, ticket.contact_phone, ticket.call_sid) == ("voicemail", MOBILE, call.sid)
    copy = recording_store(app.extensions["contact_center"].settings).read(message.recording_path)
    assert message.copy_status == "copied" and copy is not None and next(copy.chunks)[:4] == b"RIFF"
    assert fake_api.messages == []  # SMS is off by default
    [logged] = rows(app, Call)
    assert (logged.outcome, logged.final_status) == ("message", "completed")


def test_the_caller_gives_a_different_number_which_is_read_back(app: Flask, simulator: Simulator) -> None:
    call = simulator.dial(from_=MOBILE)
    call.press("3")
    call.press("2")
    assert "Digita il numero" in call.heard_since_last_input()
    call.press("00393339876543#")
    assert "il numero 3 3 3, 9 8 7, 6 5 4 3" in call.heard_since_last_input()
    call.press("1")
    call.record(seconds=3, finish_key="#")
    [entry], [message] = rows(app, CallbackRequest), rows(app, CallbackMessage)
    assert (entry.callback_number, message.number_source) == ("+393339876543", "keypad")
    assert call.errors == []


def test_a_withheld_caller_id_is_never_stored_and_the_caller_types_a_number(app: Flask, simulator: Simulator) -> None:
    call = simulator.dial(from_="anonymous")
    call.press("3")
    assert "Digita il numero al quale vuoi essere richiamato" in call.heard_since_last_input()
    call.press("0612345678#")
    assert "0 6, 1 2 3 4, 5 6 7 8" in call.heard_since_last_input()
    call.press("1")
    call.record(seconds=5, finish_key="#")
    [entry], [logged] = rows(app, CallbackRequest), rows(app, Call)
    assert entry.callback_number == LANDLINE
    assert logged.caller_number is None and logged.caller_withheld
    assert call.errors == []


@pytest.mark.parametrize(("typed", "reason"), [
    ("112#", "numeri brevi o di emergenza"),
    ("899123456#", "tariffa speciale"),
    ("800840840#", "numero di questo servizio"),
    ("4567890123#", "non è valido"),
])
def test_a_refused_number_is_explained_then_a_valid_one_is_taken(
        app: Flask, simulator: Simulator, typed: str, reason: str) -> None:
    call = simulator.dial(from_="anonymous")
    call.press("3")
    call.press(typed)
    assert reason in call.heard_since_last_input()
    call.press("3471234567#")
    call.press("1")
    call.record(seconds=3, finish_key="#")
    assert [entry.callback_number for entry in rows(app, CallbackRequest)] == [MOBILE]


def test_three_failed_numbers_still_take_the_message_flagged_without_a_number(
        app: Flask, simulator: Simulator) -> None:
    call = simulator.dial(from_="anonymous")
    call.press("3")
    for typed in ("112#", "4567890123#", "899123456#"):
        call.press(typed)
    assert "Non è stato possibile registrare un numero di richiamata" in call.heard_since_last_input()
    call.record(seconds=6, finish_key="#")
    heard = call.heard_since_last_input()
    [entry], [message] = rows(app, CallbackRequest), rows(app, CallbackMessage)
    assert (entry.callback_number, message.number_source, message.message_status) == (None, "none", "recorded")
    assert spoken_code(app, call.sid) in heard and "scegli l'opzione 2" in heard


def test_hanging_up_before_the_number_leaves_nothing_to_call_back(app: Flask, simulator: Simulator) -> None:
    call = simulator.dial(from_=MOBILE)
    call.press("3")
    call.hang_up()
    assert call.ended and call.errors == []
    assert rows(app, CallbackRequest) == [] and rows(app, Ticket) == []
    assert rows(app, Call)[0].outcome == "abandoned"


def test_hanging_up_right_after_the_number_keeps_entry_and_ticket_without_recording(
        app: Flask, simulator: Simulator) -> None:
    call = simulator.dial(from_=MOBILE)
    call.press("3")
    call.press("1")
    call.hang_up(recorded_seconds=0)
    assert call.ended and call.errors == []
    [entry], [message], [ticket] = rows(app, CallbackRequest), rows(app, CallbackMessage), rows(app, Ticket)
    assert (entry.callback_number, entry.status, entry.ticket_id) == (MOBILE, "pending", ticket.id)
    assert message.message_status in {"no_message", "absent"} and message.copy_status == "none"


def test_hanging_up_during_the_recording_keeps_entry_and_recording(
        app: Flask, simulator: Simulator, fake_api: FakeTwilioApi) -> None:
    call = simulator.dial(from_=MOBILE)
    call.press("3")
    call.press("1")
    call.hang_up(recorded_seconds=7)
    assert call.ended and call.errors == []
    [entry], [message] = rows(app, CallbackRequest), rows(app, CallbackMessage)
    assert entry.callback_number == MOBILE
    assert (message.message_status, message.recording_duration, message.copy_status) == ("recorded", 7, "copied")


@pytest.mark.parametrize("mode", ["before", "twice"])
def test_early_or_repeated_recording_callbacks_attach_and_copy_once(
        app: Flask, fake_api: FakeTwilioApi, mode: str) -> None:
    call = simulator_for(app, fake_api, recording_callback=mode).dial(from_=MOBILE)
    call.press("3")
    call.press("1")
    call.record(seconds=9, finish_key="#")
    assert call.errors == []
    assert spoken_code(app, call.sid) in call.heard_since_last_input()
    [entry], [message] = rows(app, CallbackRequest), rows(app, CallbackMessage)
    assert (entry.message_count, message.recording_duration, message.copy_status) == (1, 9, "copied")
    downloads = [r for r in fake_api.requests if r.method == "GET" and r.path.endswith(".wav")]
    assert len(downloads) == 1


def test_a_failed_recording_keeps_the_entry_marked_without_message(app: Flask, fake_api: FakeTwilioApi) -> None:
    call = simulator_for(app, fake_api, recording_callback="failed").dial(from_=MOBILE)
    call.press("3")
    call.press("1")
    call.record(seconds=9, finish_key="#")
    [entry], [message] = rows(app, CallbackRequest), rows(app, CallbackMessage)
    assert entry.status == "pending" and message.message_status in {"recorded", "failed"}
    assert call.errors == []


def test_a_second_call_from_the_same_number_joins_the_pending_entry(
        app: Flask, simulator: Simulator) -> None:
    for seconds in (4, 6):
        call = simulator.dial(from_=MOBILE)
        call.press("3")
        call.press("1")
        call.record(seconds=seconds, finish_key="#")
    [entry] = rows(app, CallbackRequest)
    messages = rows(app, CallbackMessage)
    assert entry.message_count == 2
    assert [(m.entry_id, m.recording_duration) for m in messages] == [(entry.id, 4), (entry.id, 6)]
    assert len({m.recording_sid for m in messages}) == 2 and len(rows(app, Ticket)) == 2


def test_the_code_goes_by_sms_to_a_mobile_through_the_real_twilio_client(
        database_url: str, tmp_path: Path, fake_api: FakeTwilioApi) -> None:
    app = voicemail_app(database_url, tmp_path, fake_api, sms_tracking_code=True, sms_from=SMS_SENDER)
    simulator = simulator_for(app, fake_api)
    call = simulator.dial(from_=MOBILE)
    call.press("3")
    call.press("1")
    call.record(seconds=5, finish_key="#")
    assert "Riceverai il codice anche con un SMS" in call.heard_since_last_input()
    [ticket], [message] = rows(app, Ticket), rows(app, CallbackMessage)
    [sms] = fake_api.messages
    assert (sms.params["To"], sms.params["From"]) == (MOBILE, SMS_SENDER)
    assert ticket.code in sms.params["Body"] and message.code_sms_sid == sms.sid

    landline_call = simulator.dial(from_=LANDLINE)
    landline_call.press("3")
    landline_call.press("1")
    landline_call.record(seconds=5, finish_key="#")
    assert len(fake_api.messages) == 1
    assert "SMS" not in landline_call.heard_since_last_input()
    app.extensions["contact_center"].engine.dispose()


def test_an_unreachable_sms_api_does_not_disturb_the_call(
        database_url: str, tmp_path: Path, fake_api: FakeTwilioApi) -> None:
    app = voicemail_app(database_url, tmp_path, fake_api, sms_tracking_code=True, sms_from=SMS_SENDER)
    call = simulator_for(app, fake_api).dial(from_=MOBILE)
    call.press("3")
    call.press("1")
    fake_api.fail_next(1, status=500)
    call.record(seconds=5, finish_key="#")
    heard = call.heard_since_last_input()
    assert call.errors == [] and fake_api.messages == []
    assert spoken_code(app, call.sid) in heard and "SMS" not in heard
    app.extensions["contact_center"].engine.dispose()


def test_the_configured_code_length_is_what_the_caller_hears_and_what_is_stored(
        database_url: str, tmp_path: Path, fake_api: FakeTwilioApi) -> None:
    settings = make_settings(database_url, tmp_path / "instance", twilio={"api_base_url": fake_api.base_url},
                             tickets={"code_length": 10})
    app = make_app(settings)
    try:
        call = simulator_for(app, fake_api).dial(from_=MOBILE)
        call.press("3")
        call.press("1")
        call.record(seconds=5, finish_key="#")
        heard = call.heard_since_last_input()
        [ticket] = rows(app, Ticket)
        assert len(ticket.code) == 10 and is_valid_code(ticket.code, 10)
        assert heard.count(format_code_for_speech(ticket.code)) == 2 and call.errors == []
    finally:
        app.extensions["contact_center"].engine.dispose()
