"""Whole calls through the simulator: every sentence a caller hears agrees with the ones before it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from agents.presence import Presence
from agents.roster import add_agent, set_presence
from callsim import Call, DialOutcome, Simulator, WSGITransport
from storage.models import Ticket
from tests.conftest import AUTH_TOKEN, make_app, make_settings, post_signed
from tickets.codes import format_code_for_speech

ROME = ZoneInfo("Europe/Rome")
CALLER = "+393471234567"
ANNA, BRUNO = "+390668201201", "+390668201202"
CONFIRM_CALLER_ID = "Ti richiameremo al numero che termina con 45 67: premi 1 per confermare, 2 per indicarne un altro."
PRIVACY_NOTICE = ("I dati sono trattati dal Dipartimento della Protezione Civile per richiamarti. "
                  "Informativa su protezionecivile punto gov punto it.")
RECORD_INSTRUCTIONS = "Lascia il tuo messaggio dopo il segnale acustico. Al termine premi il tasto cancelletto."
INVALID = "La scelta non è valida."
NO_CHOICE = "Non abbiamo ricevuto alcuna scelta."
NO_VALID_CHOICE = "Non abbiamo ricevuto una scelta valida."
GOODBYE = "Grazie per aver chiamato. Arrivederci."


def simulator(app: Flask, *outcomes: DialOutcome) -> Simulator:
    """Twilio's side of the line, calling the app."""
    return Simulator(WSGITransport(app), auth_token=AUTH_TOKEN, public_base_url="http://localhost",
                     dial_outcomes=outcomes)


def heard(call: Call) -> list[str]:
    """The sentences heard since the caller last acted, one per <Say>."""
    return call.heard_since_last_input().splitlines()


def code_heard(app: Flask, call: Call) -> str:
    """The call's tracking code as the caller hears it."""
    with app.extensions["contact_center"].sessions() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.call_sid == call.sid)).one()
    return format_code_for_speech(ticket.code)


def end_of_message(app: Flask, call: Call, promise: str) -> list[str]:
    """What a caller with a callback number hears once the message is recorded."""
    code = code_heard(app, call)
    return ["Il tuo messaggio è stato registrato.", f"Prendi nota del codice della tua richiesta: {code}.",
            f"Ripeto, il codice è: {code}.", promise, GOODBYE]


# --- the closed line -------------------------------------------------------------------------


def test_on_a_closed_line_the_last_promise_is_the_callback_when_it_reopens(sqlite_app: Flask) -> None:
    sqlite_app.extensions["contact_center"].clock = lambda: datetime(2026, 11, 28, 12, tzinfo=ROME)  # Saturday
    call = simulator(sqlite_app).dial(from_=CALLER)
    call.press("1")
    assert heard(call) == [
        ("In questo momento il servizio è chiuso. Riaprirà lunedì 30 novembre alle ore 9. "
         "Il servizio è attivo dal lunedì al venerdì dalle 9 alle 18."),
        "Puoi lasciare un messaggio: ti richiameremo quando il servizio riaprirà.",
        PRIVACY_NOTICE, CONFIRM_CALLER_ID,
    ]
    call.press("1")
    assert heard(call) == [RECORD_INSTRUCTIONS]
    call.record(seconds=12)
    assert heard(call) == end_of_message(sqlite_app, call, "Ti richiameremo quando il servizio riaprirà.")
    assert "al più presto" not in call.said() and call.ended and call.errors == []


def test_on_an_open_line_a_chosen_message_is_called_back_as_soon_as_possible(sqlite_app: Flask) -> None:
    call = simulator(sqlite_app).dial(from_=CALLER)
    call.press("3")
    assert heard(call) == ["Puoi lasciare un messaggio e sarai richiamato.", PRIVACY_NOTICE, CONFIRM_CALLER_ID]
    call.press("1")
    call.record(seconds=5)
    assert heard(call) == end_of_message(sqlite_app, call, "Ti richiameremo al più presto.")
    assert "riaprirà" not in call.said()


def test_on_a_closed_line_without_a_number_the_caller_hears_how_to_follow_up(sqlite_app: Flask) -> None:
    sqlite_app.extensions["contact_center"].clock = lambda: datetime(2026, 11, 28, 12, tzinfo=ROME)
    call = simulator(sqlite_app).dial(from_="anonymous")
    call.press("1")
    for _ in range(3):
        call.silence()
    assert heard(call) == [
        ("Non è stato possibile registrare un numero di richiamata. Lascia comunque il tuo messaggio, "
         "indicando un recapito."),
        RECORD_INSTRUCTIONS,
    ]
    call.record(seconds=5)
    assert heard(call)[-2:] == [
        "Per conoscere lo stato della richiesta, richiama questo numero e scegli l'opzione 2.", GOODBYE]


# --- menus: wrong keys are not silence -------------------------------------------------------


def test_three_wrong_keys_at_the_main_menu_are_called_invalid_not_missing(sqlite_app: Flask) -> None:
    call = simulator(sqlite_app).dial(from_=CALLER)
    call.press("7")
    assert heard(call)[0] == INVALID and heard(call)[1].startswith("Per parlare con un operatore, premi 1.")
    call.press("6")
    assert heard(call)[0] == INVALID
    call.press("5")
    assert heard(call) == [NO_VALID_CHOICE, "Puoi lasciare un messaggio e sarai richiamato.", PRIVACY_NOTICE,
                           CONFIRM_CALLER_ID]
    assert NO_CHOICE not in call.said()


def test_silence_at_the_main_menu_is_called_missing(sqlite_app: Flask) -> None:
    call = simulator(sqlite_app).dial(from_=CALLER)
    for _ in range(3):
        call.silence()
    assert heard(call) == [NO_CHOICE, "Puoi lasciare un messaggio e sarai richiamato.", PRIVACY_NOTICE,
                           CONFIRM_CALLER_ID]
    assert INVALID not in call.said() and NO_VALID_CHOICE not in call.said()


@pytest.mark.parametrize("inputs", [
    ("7", None, None),
    (None, "7", None),
    ("7", "9", None, None),
])
def test_a_wrong_key_then_silence_is_still_no_valid_choice(sqlite_app: Flask, inputs: tuple[str | None, ...]) -> None:
    call = simulator(sqlite_app).dial(from_=CALLER)
    for keys in inputs:
        if keys is None:
            call.silence()
        else:
            call.press(keys)
    assert heard(call)[0] == NO_VALID_CHOICE
    assert NO_CHOICE not in call.said()


def _tracking_alternatives(app: Flask) -> Call:
    """A call that typed three wrong codes and is offered an operator or a message."""
    call = simulator(app).dial(from_=CALLER)
    call.press("2")
    for _ in range(3):
        call.press("12345678#")
    assert heard(call) == ["Il codice non è valido.", "Non siamo riusciti a trovare la richiesta.",
                           ("Per parlare con un operatore, premi 2. Per lasciare un messaggio ed essere richiamato, "
                            "premi 3. Per riascoltare, premi 9.")]
    return call


def test_three_wrong_keys_after_a_failed_lookup_are_called_invalid(sqlite_app: Flask) -> None:
    call = _tracking_alternatives(sqlite_app)
    call.press("1")
    assert heard(call)[0] == INVALID
    call.press("1")
    assert heard(call)[0] == INVALID
    call.press("1")
    assert heard(call) == [NO_VALID_CHOICE, "Puoi lasciare un messaggio e sarai richiamato.", PRIVACY_NOTICE,
                           CONFIRM_CALLER_ID]


def test_silence_after_a_failed_lookup_is_called_missing(sqlite_app: Flask) -> None:
    call = _tracking_alternatives(sqlite_app)
    for _ in range(3):
        call.silence()
    assert heard(call) == [NO_CHOICE, "Puoi lasciare un messaggio e sarai richiamato.", PRIVACY_NOTICE,
                           CONFIRM_CALLER_ID]


# --- operators: "resta in linea" only when someone will answer --------------------------------


def _staff(app: Flask, *phones: str) -> None:
    """Available operators for any topic, the first idle the longest."""
    runtime = app.extensions["contact_center"]
    policy = runtime.settings.routing.presence_policy()
    start = runtime.clock() - timedelta(hours=1)
    with runtime.sessions.begin() as session:
        for index, phone in enumerate(phones):
            add_agent(session, f"Operatore {index}", phone=phone, now=start)
            set_presence(session, f"Operatore {index}", Presence.AVAILABLE, policy, start + timedelta(minutes=index))


@pytest.fixture
def no_topic_menu(sqlite_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app without the topic menu: key 1 rings the operators at once."""
    app = make_app(make_settings(sqlite_url, tmp_path / "instance", routing={"topic_menu": False}))
    yield app
    app.extensions["contact_center"].engine.dispose()


def test_after_a_miss_the_caller_hears_of_another_operator_only_when_one_is_rung(no_topic_menu: Flask) -> None:
    _staff(no_topic_menu, ANNA, BRUNO)
    call = simulator(no_topic_menu, DialOutcome("no-answer"), DialOutcome()).dial(from_=CALLER)
    call.press("1")
    said = call.said().splitlines()
    assert said[said.index("Ti mettiamo in contatto con un operatore. Resta in linea."):] == [
        "Ti mettiamo in contatto con un operatore. Resta in linea.",
        "L'operatore non ha risposto. Ti mettiamo in contatto con un altro operatore, resta in linea.",
        GOODBYE,
    ]


def test_after_a_miss_with_nobody_else_free_the_caller_is_not_told_to_hold(no_topic_menu: Flask) -> None:
    _staff(no_topic_menu, ANNA)
    call = simulator(no_topic_menu, DialOutcome("no-answer")).dial(from_=CALLER)
    call.press("1")
    assert heard(call) == [
        "Ti mettiamo in contatto con un operatore. Resta in linea.",
        "Nessun operatore ha potuto rispondere.",
        "Lascia un messaggio: ti richiameremo appena possibile.",
        PRIVACY_NOTICE, CONFIRM_CALLER_ID,
    ]


# --- the technical-problem apology ------------------------------------------------------------


def test_the_apology_s_promise_of_a_callback_is_kept_without_a_caller_id(sqlite_app: Flask) -> None:
    client = sqlite_app.test_client()
    call = {"CallSid": "CA" + "7" * 32, "AccountSid": "AC" + "0" * 32, "From": "anonymous",
            "To": "+39800840840", "CallStatus": "in-progress"}
    apology = post_signed(client, "/voice/fallback", {**call, "ErrorCode": "11200"}).get_data(as_text=True)
    assert "Lascia un messaggio con il tuo nome e un numero di telefono" in apology and "ti richiameremo" in apology
    action = apology.split('action="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    finished = post_signed(client, action, {**call, "RecordingSid": "RE" + "7" * 32, "RecordingDuration": "9",
                                            "RecordingUrl": "https://api.twilio.com/RE7", "Digits": "#"})
    text = finished.get_data(as_text=True)
    assert "Ti richiameremo al più presto." in text and "richiama questo numero" not in text
