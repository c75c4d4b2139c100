"""Whole calls through the simulator: greeting, menu, a message left, the callback list."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from callsim import Simulator, WSGITransport
from storage.models import Call, CallbackMessage, CallbackRequest
from tests.conftest import AUTH_TOKEN

CALLER = "+393471234567"


@pytest.fixture
def simulator(app: Flask) -> Simulator:
    return Simulator(WSGITransport(app), auth_token=AUTH_TOKEN, public_base_url="http://localhost")


def entries(app: Flask) -> list[CallbackRequest]:
    with app.extensions["contact_center"].sessions() as session:
        return list(session.scalars(select(CallbackRequest)).all())


def messages(app: Flask) -> list[CallbackMessage]:
    with app.extensions["contact_center"].sessions() as session:
        return list(session.scalars(select(CallbackMessage)).all())


def calls(app: Flask) -> list[Call]:
    with app.extensions["contact_center"].sessions() as session:
        return list(session.scalars(select(Call)).all())


def test_every_caller_hears_the_greeting_and_that_this_is_not_112(simulator: Simulator) -> None:
    call = simulator.dial(from_=CALLER)
    heard = call.said()
    assert "Protezione Civile" in heard
    assert "non è un numero di emergenza" in heard and "112" in heard
    assert "premi 3" in heard
    assert call.pending == "gather"
    assert call.errors == []


def test_a_message_left_with_the_caller_id_lands_on_the_callback_list(app: Flask, simulator: Simulator) -> None:
    call = simulator.dial(from_=CALLER)
    call.press("3")
    assert "termina con 45 67" in call.heard_since_last_input()
    call.press("1")
    assert "dopo il segnale acustico" in call.heard_since_last_input()
    call.record(seconds=14, finish_key="#")
    assert "messaggio è stato registrato" in call.heard_since_last_input()
    assert call.ended and call.errors == []

    [entry], [message] = entries(app), messages(app)
    assert entry.callback_number == CALLER
    assert (message.number_source, entry.reason, entry.status) == ("caller_id", "chosen", "pending")
    assert message.recording_sid == call.recordings[0].sid
    assert message.recording_url == call.recordings[0].url
    assert (message.recording_duration, message.message_status) == (14, "recorded")
    [logged] = calls(app)
    assert (logged.final_status, logged.outcome, logged.caller_number) == ("completed", "message", CALLER)


def test_a_withheld_caller_id_is_never_stored_the_caller_types_a_number(app: Flask, simulator: Simulator) -> None:
    call = simulator.dial(from_="anonymous")
    call.press("3")
    assert "Digita il numero" in call.heard_since_last_input()
    call.press("0612345678#")
    assert "0 6, 1 2 3, 4 5 6 7" in call.heard_since_last_input() or "Hai digitato" in call.heard_since_last_input()
    call.press("1")
    call.record(seconds=5, finish_key="#")
    assert call.errors == []
    [message] = messages(app)
    assert (message.callback_number, message.number_source) == ("+390612345678", "keypad")
    [logged] = calls(app)
    assert logged.caller_number is None and logged.caller_withheld


def test_an_invalid_typed_number_is_refused_with_a_reason(app: Flask, simulator: Simulator) -> None:
    call = simulator.dial(from_="anonymous")
    call.press("3")
    call.press("112#")
    assert "numeri brevi o di emergenza" in call.heard_since_last_input()
    call.press("3471234567#")
    call.press("1")
    call.record(seconds=3, finish_key="#")
    assert entries(app)[0].callback_number == CALLER


def test_the_caller_can_choose_another_number(app: Flask, simulator: Simulator) -> None:
    call = simulator.dial(from_=CALLER)
    call.press("3")
    call.press("2")
    call.press("00393339876543#")
    call.press("1")
    call.record(seconds=3, finish_key="#")
    assert entries(app)[0].callback_number == "+393339876543"


def test_hanging_up_during_the_recording_keeps_entry_and_recording(app: Flask, simulator: Simulator) -> None:
    call = simulator.dial(from_=CALLER)
    call.press("3")
    call.press("1")
    call.hang_up()
    assert call.ended and call.errors == []
    [entry] = entries(app)
    assert entry.callback_number == CALLER
    assert [(r.status, r.params.get("Digits")) for r in call.requests if "/recorded" in r.url] == [(200, "hangup")]


def test_the_simulated_call_can_be_driven_at_any_hour_and_menu_repeat_works(simulator: Simulator) -> None:
    call = simulator.dial(from_=CALLER)
    call.press("9")
    assert "premi 1" in call.heard_since_last_input()
    call.press("7")
    assert "La scelta non è valida" in call.heard_since_last_input()


def test_silence_at_the_menu_ends_in_the_message_flow(app: Flask, simulator: Simulator) -> None:
    call = simulator.dial(from_=CALLER)
    for _ in range(3):
        call.silence()
    assert "Non abbiamo ricevuto alcuna scelta" in call.said()
    assert "termina con 45 67" in call.heard_since_last_input()
