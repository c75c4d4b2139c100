"""Whole calls by voice through the simulator: menus answered with words, codes said digit by digit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from agents.presence import Presence
from agents.roster import add_agent, set_presence
from callsim import Call, Simulator, SimulatorError, WSGITransport
from storage.models import Call as CallRow
from storage.models import LookupFailure
from tests.conftest import AUTH_TOKEN, LINE_OPEN_AT, make_app, make_settings
from tickets.codes import damm_check_digit, format_code_for_speech
from tickets.repository import create_ticket
from tickets.status import Channel, Topic

CALLER = "+393471234567"
ANNA = "+390668201201"
ITALIAN_DIGITS = ("zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove")
ENGLISH_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ENTER_CODE = ["Digita il codice della richiesta, di 12 cifre, seguito dal tasto cancelletto.",
              "Oppure dì le cifre del codice, una alla volta."]
RECEIVED = "La richiesta è stata ricevuta ed è in attesa di lavorazione."


def simulator(app: Flask) -> Simulator:
    return Simulator(WSGITransport(app), auth_token=AUTH_TOKEN, public_base_url="http://localhost")


def heard(call: Call) -> list[str]:
    return call.heard_since_last_input().splitlines()


def in_words(code: str, words: tuple[str, ...] = ITALIAN_DIGITS) -> str:
    """A code said digit by digit: "due nove otto uno ..."."""
    return " ".join(words[int(digit)] for digit in code)


def ticket(app: Flask) -> str:
    with app.extensions["contact_center"].sessions.begin() as session:
        return create_ticket(session, channel=Channel.PHONE, topic=Topic.RISKS, phone="+393331112222",
                             summary="Frana sulla provinciale", now=LINE_OPEN_AT).code


def lookups_failed(app: Flask) -> int:
    with app.extensions["contact_center"].sessions() as session:
        return session.scalar(select(func.count()).select_from(LookupFailure)) or 0


def test_an_italian_caller_hears_a_status_using_only_their_voice(app: Flask) -> None:
    code = ticket(app)
    call = simulator(app).dial(from_=CALLER)
    call.say("stato della richiesta")
    assert heard(call) == ENTER_CODE
    call.say(f"il codice è {in_words(code)}")
    assert heard(call)[:3] == [f"Richiesta con codice {format_code_for_speech(code)}.", RECEIVED, "Aggiornata oggi."]
    call.say("ripeti")
    assert heard(call)[1] == RECEIVED
    call.say("un operatore")
    assert call.requests_to("/voice/operator")
    assert call.errors == []
    with app.extensions["contact_center"].sessions() as session:
        assert session.scalars(select(CallRow.outcome)).one() == "self_service"


def test_numerals_and_digit_words_mixed_are_one_code(sqlite_app: Flask) -> None:
    code = ticket(sqlite_app)
    call = simulator(sqlite_app).dial(from_=CALLER)
    call.press("2")
    call.say(f"{code[:4]} {in_words(code[4:])}")
    assert heard(call)[1] == RECEIVED


def test_a_low_confidence_code_is_confirmed_before_the_lookup(sqlite_app: Flask) -> None:
    code = ticket(sqlite_app)
    unknown = ("9" if code[0] != "9" else "8") + code[1:-1]
    unknown += damm_check_digit(unknown)
    call = simulator(sqlite_app).dial(from_=CALLER)
    call.press("2")
    call.say(in_words(unknown), confidence=0.41)
    assert heard(call) == [f"Hai detto {format_code_for_speech(unknown)}? Premi 1 per confermare, 2 per riprovare."]
    assert lookups_failed(sqlite_app) == 0  # nothing was looked up yet
    call.say("no")
    assert heard(call) == ENTER_CODE
    call.say(in_words(code), confidence=0.38)
    assert heard(call)[0] == f"Hai detto {format_code_for_speech(code)}? Premi 1 per confermare, 2 per riprovare."
    call.press("1")
    assert heard(call)[:2] == [f"Richiesta con codice {format_code_for_speech(code)}.", RECEIVED]
    assert lookups_failed(sqlite_app) == 0 and call.errors == []


def test_a_code_among_other_words_is_read_back_even_when_confident(sqlite_app: Flask) -> None:
    code = ticket(sqlite_app)
    call = simulator(sqlite_app).dial(from_=CALLER)
    call.press("2")
    call.say(f"allora aspetti {in_words(code)}", confidence=0.95)
    assert heard(call)[0].startswith(f"Hai detto {format_code_for_speech(code)}?")
    call.say("sì esatto")
    assert heard(call)[1] == RECEIVED


def test_words_that_name_nothing_are_not_understood(sqlite_app: Flask) -> None:
    call = simulator(sqlite_app).dial(from_=CALLER)
    call.say("buongiorno vorrei sapere una cosa")
    assert heard(call)[0] == "Non abbiamo capito la risposta."
    assert heard(call)[1].startswith("Per parlare con un operatore, premi 1.")


def test_an_ambiguous_choice_is_confirmed_and_a_no_goes_back_to_the_menu(sqlite_app: Flask) -> None:
    call = simulator(sqlite_app).dial(from_=CALLER)
    call.say("messaggio o forse operatore", confidence=0.9)
    assert heard(call) == ["Hai detto messaggio? Premi 1 per confermare, 2 per riprovare."]
    call.say("no")
    assert heard(call)[0].startswith("Per parlare con un operatore, premi 1.")
    call.say("operatore", confidence=0.3)
    assert heard(call) == ["Hai detto operatore? Premi 1 per confermare, 2 per riprovare."]
    call.say("sì")
    assert "scegli l'argomento della tua chiamata" in call.heard_since_last_input()


@pytest.fixture
def staffed_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(make_settings(database_url, tmp_path / "instance"))
    runtime = app.extensions["contact_center"]
    start = runtime.clock() - timedelta(hours=1)
    with runtime.sessions.begin() as session:
        add_agent(session, "Anna", phone=ANNA, topics=["risks"], now=start)
        set_presence(session, "Anna", Presence.AVAILABLE, runtime.settings.routing.presence_policy(), start)
    yield app
    runtime.engine.dispose()


def test_an_italian_caller_reaches_an_operator_using_only_their_voice(staffed_app: Flask) -> None:
    call = simulator(staffed_app).dial(from_=CALLER)
    call.say("vorrei parlare con un operatore")
    assert heard(call)[0].startswith("Per metterti in contatto con l'operatore più adatto")
    call.say("rischi sul territorio")
    assert heard(call)[0] == "Ti mettiamo in contatto con un operatore. Resta in linea."
    assert [event[1] for event in call.transcript if event[0] == "dial"] == [[ANNA]]
    assert "Argomento: rischi sul territorio" in call.operator_transcript[0][1]
    assert call.ended and call.errors == []
    with staffed_app.extensions["contact_center"].sessions() as session:
        assert session.scalars(select(CallRow.outcome)).one() == "operator"


def test_an_english_caller_says_the_code_the_british_way(sqlite_app: Flask) -> None:
    code = "29981708"[:7]
    code += damm_check_digit(code)
    with sqlite_app.extensions["contact_center"].sessions.begin() as session:
        create_ticket(session, channel=Channel.PHONE, topic=Topic.RISKS, code=code, code_length=8,
                      now=LINE_OPEN_AT)
    call = simulator(sqlite_app).dial(from_="+447911123456")
    call.say("request status")
    assert heard(call)[1] == "Or say the digits of the code, one at a time."
    said = f"two double nine eight one seven oh {ENGLISH_DIGITS[int(code[-1])]}"
    call.say(said)
    assert heard(call)[:2] == [f"Request code {format_code_for_speech(code)}.",
                               "Your request has been received and is waiting to be handled."]
    gathers = [event[1] for event in call.transcript if event[0] == "gather"]
    assert gathers[0]["hints"] == "operator, request status, message, repeat"


def test_the_callback_number_can_be_said(sqlite_app: Flask) -> None:
    call = simulator(sqlite_app).dial(from_="anonymous")
    call.say("messaggio")
    assert heard(call)[-1] == "Puoi anche dire le cifre del numero, una alla volta."
    call.say("tre quattro sette uno due tre quattro cinque sei sette")
    assert heard(call) == ["Hai detto il numero 3 4 7, 1 2 3, 4 5 6 7. Premi 1 per confermare, 2 per ripeterlo."]
    call.say("sì")
    assert heard(call)[0].startswith("Lascia il tuo messaggio dopo il segnale acustico.")


def test_with_speech_off_menus_take_keys_only_and_say_nothing_about_voice(tmp_path: Path, sqlite_url: str) -> None:
    app = make_app(make_settings(sqlite_url, tmp_path / "instance", speech={"enabled": False}))
    call = simulator(app).dial(from_=CALLER)
    assert "a voce" not in call.said()
    gather = next(event[1] for event in call.transcript if event[0] == "gather")
    assert "input" not in gather and "hints" not in gather and "language" not in gather
    with pytest.raises(SimulatorError, match="does not accept speech"):
        call.say("operatore")
    call.press("2")
    assert heard(call) == ENTER_CODE[:1]
    app.extensions["contact_center"].engine.dispose()


def test_a_speech_model_is_sent_with_seconds_of_silence(tmp_path: Path, sqlite_url: str) -> None:
    app = make_app(make_settings(sqlite_url, tmp_path / "instance",
                                 speech={"model": "phone_call", "timeout": 2, "confidence_threshold": 0.5}))
    call = simulator(app).dial(from_=CALLER)
    gather = next(event[1] for event in call.transcript if event[0] == "gather")
    assert (gather["speechModel"], gather["speechTimeout"], gather["language"]) == ("phone_call", "2", "it-IT")
    call.say("operatore", confidence=0.55)
    assert "scegli l'argomento" in call.heard_since_last_input()
    assert call.errors == []
    app.extensions["contact_center"].engine.dispose()
