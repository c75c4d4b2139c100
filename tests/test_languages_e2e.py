"""Whole calls in English: chosen with key 8, or automatically for a foreign number; routing by language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from access.accounts import Role
from agents.presence import Presence
from agents.roster import add_agent, set_presence
from callsim import Call, DialOutcome, Simulator, WSGITransport
from storage.hours_repository import add_extension
from storage.models import Call as CallRow
from storage.models import Ticket
from tests.conftest import AUTH_TOKEN, LINE_OPEN_AT, make_app, make_settings, post_signed
from tests.test_console_support import create_account, sign_in
from tickets.codes import format_code_for_speech
from tickets.repository import create_ticket
from tickets.status import Channel, Topic

ROME = ZoneInfo("Europe/Rome")
UK_CALLER = "+447911123456"
ITALIAN_CALLER = "+393471234567"
ANNA, BRUNO = "+390668201201", "+390668201202"
AMY, BIANCA = ("Polly.Amy", "en-GB"), ("Polly.Bianca", "it-IT")

WELCOME_EN = [
    "Welcome to the Contact Center of the Italian Civil Protection Department.",
    "This is not an emergency number. In an emergency, call 112, the European emergency number.",
]
MAIN_MENU_EN = ("To speak to an operator, press 1. To hear the status of a request, press 2. "
                "To leave a message and be called back, press 3. To hear these options again, press 9.")
MENU_SPEECH_EN = "You can also answer by voice."
OFFER_ITALIAN = "Per l'italiano, premi 8."
OFFER_ENGLISH = "For English, press 8."
RESULT_MENU_EN = ("To hear the status of another request, press 1. To speak to an operator, press 2. "
                  "To leave a message and be called back, press 3. To hear this again, press 9.")
PRIVACY_NOTICE_EN = ("The Civil Protection Department uses your data only to call you back. "
                     "Notice at protezionecivile dot gov dot it.")


def simulator(app: Flask, *outcomes: DialOutcome) -> Simulator:
    return Simulator(WSGITransport(app), auth_token=AUTH_TOKEN, public_base_url="http://localhost",
                     dial_outcomes=outcomes)


def heard(call: Call) -> list[str]:
    return call.heard_since_last_input().splitlines()


def voices(call: Call) -> list[tuple[str, str, str]]:
    """Each sentence heard so far with the voice and language that said it."""
    return [(event[1], event[2], event[3]) for event in call.transcript if event[0] == "say"]


def gathers(call: Call) -> list[dict[str, str]]:
    return [event[1] for event in call.transcript if event[0] == "gather"]


def ticket(app: Flask) -> str:
    with app.extensions["contact_center"].sessions.begin() as session:
        return create_ticket(session, channel=Channel.PHONE, topic=Topic.RISKS, phone="+393331112222",
                             summary="Alluvione, chiedo informazioni", now=LINE_OPEN_AT).code


def call_row(app: Flask, call: Call) -> CallRow:
    with app.extensions["contact_center"].sessions() as session:
        return session.scalars(select(CallRow).where(CallRow.call_sid == call.sid)).one()


def test_a_caller_from_the_uk_hears_english_from_the_first_menu_to_the_code_read_back(app: Flask) -> None:
    code = ticket(app)
    call = simulator(app).dial(from_=UK_CALLER)
    assert heard(call) == [*WELCOME_EN, OFFER_ITALIAN, MAIN_MENU_EN, MENU_SPEECH_EN]
    call.press("2")
    assert heard(call) == ["Please enter your 12-digit request code, followed by the hash key.",
                           "Or say the digits of the code, one at a time."]
    call.press(code + "#")
    assert heard(call) == [f"Request code {format_code_for_speech(code)}.",
                           "Your request has been received and is waiting to be handled.",
                           "Last updated today.", RESULT_MENU_EN]
    call.press("9")
    assert heard(call)[2] == "Last updated today."
    for _ in range(3):
        call.silence()
    assert heard(call)[-1] == "Thank you for calling. Goodbye."
    spoken = voices(call)
    assert [line for line in spoken if line[1:] != AMY] == [(OFFER_ITALIAN, *BIANCA)]
    assert {(gather["language"], gather["input"]) for gather in gathers(call)} == {("en-GB", "dtmf speech")}
    assert call.ended and call.errors == []
    assert (call_row(app, call).language, call_row(app, call).outcome) == ("en", "self_service")


def test_an_english_caller_who_presses_8_switches_to_italian_for_the_rest_of_the_call(app: Flask) -> None:
    call = simulator(app).dial(from_=UK_CALLER)
    call.press("8")
    assert heard(call) == [
        "Questo non è un numero di emergenza. In caso di emergenza chiama il numero unico 112.",
        ("Per parlare con un operatore, premi 1. Per conoscere lo stato di una richiesta, premi 2. "
         "Per lasciare un messaggio ed essere richiamato, premi 3. Per riascoltare, premi 9."),
        "Puoi anche rispondere a voce.",
    ]
    call.press("2")
    assert heard(call)[0] == "Digita il codice della richiesta, di 12 cifre, seguito dal tasto cancelletto."
    assert call_row(app, call).language == "it"


def test_an_italian_caller_presses_8_and_leaves_a_message_in_english(app: Flask) -> None:
    call = simulator(app).dial(from_=ITALIAN_CALLER)
    assert heard(call)[2:4] == [OFFER_ENGLISH, heard(call)[3]]
    assert voices(call)[2] == (OFFER_ENGLISH, *AMY)
    call.press("8")
    assert heard(call)[0] == WELCOME_EN[1] and heard(call)[1] == MAIN_MENU_EN
    assert OFFER_ITALIAN not in heard(call)  # not offered back right after the switch
    call.press("3")
    assert heard(call) == ["You can leave a message and we will call you back.", PRIVACY_NOTICE_EN,
                           ("We will call you back on the number ending in 45 67: press 1 to confirm, "
                            "or 2 to give another number.")]
    call.press("1")
    assert heard(call) == ["Please leave your message after the tone. When you have finished, press the hash key."]
    call.record(seconds=10)
    with app.extensions["contact_center"].sessions() as session:
        row = session.scalars(select(Ticket).where(Ticket.call_sid == call.sid)).one()
    spoken_code = format_code_for_speech(row.code)
    assert heard(call) == ["Your message has been recorded.",
                           f"Please make a note of your request code: {spoken_code}.",
                           f"Once again, the code is: {spoken_code}.", "We will call you back as soon as possible.",
                           "Thank you for calling. Goodbye."]
    assert row.language == "en" and call_row(app, call).language == "en"
    assert call.ended and call.errors == []


def test_the_console_shows_the_citizens_language(app: Flask) -> None:
    call = simulator(app).dial(from_=UK_CALLER)
    call.press("3")
    call.press("1")
    call.record(seconds=5)
    with app.extensions["contact_center"].sessions() as session:
        code = session.scalars(select(Ticket.code).where(Ticket.call_sid == call.sid)).one()
    create_account(app, "Olga Operatrice", Role.OPERATOR)
    client = app.test_client()
    assert sign_in(client, "Olga Operatrice").status_code == 302
    page = client.get(f"/console/tickets/{code}").get_data(as_text=True)
    assert '<dt>Lingua</dt><dd id="lingua">inglese</dd>' in page


def test_a_closed_line_tells_its_hours_in_english(sqlite_app: Flask) -> None:
    sqlite_app.extensions["contact_center"].clock = lambda: datetime(2026, 11, 28, 12, tzinfo=ROME)  # a Saturday
    call = simulator(sqlite_app).dial(from_=UK_CALLER)
    call.press("1")
    assert heard(call) == [
        ("The line is closed at the moment. The line reopens Monday, November 30 at 9 am. "
         "The line is open Monday to Friday from 9 am to 6 pm."),
        "You can leave a message: we will call you back when the line reopens.",
        PRIVACY_NOTICE_EN,
        ("We will call you back on the number ending in 34 56: press 1 to confirm, "
         "or 2 to give another number."),
    ]


def test_an_announcement_is_introduced_in_english_and_said_in_the_italian_voice(sqlite_app: Flask) -> None:
    with sqlite_app.extensions["contact_center"].sessions.begin() as session:
        add_extension(session, LINE_OPEN_AT - timedelta(hours=1), LINE_OPEN_AT + timedelta(days=1), None,
                      "Allerta rossa per temporali in Liguria.", "cli", now=LINE_OPEN_AT)
    call = simulator(sqlite_app).dial(from_=UK_CALLER)
    assert voices(call)[2:5] == [(OFFER_ITALIAN, *BIANCA), ("Important notice, in Italian:", *AMY),
                                 ("Allerta rossa per temporali in Liguria.", *BIANCA)]


def test_twilios_fallback_apologises_in_the_language_of_the_step_that_failed(sqlite_app: Flask) -> None:
    call = {"CallSid": "CA" + "4" * 32, "AccountSid": "AC" + "0" * 32, "From": ITALIAN_CALLER,
            "To": "+39800840840", "ErrorCode": "11200"}
    english = post_signed(sqlite_app.test_client(), "/voice/fallback",
                          {**call, "ErrorUrl": "http://localhost/voice/tracking/code?failures=0&lang=en"})
    assert b"We are sorry, there is a technical problem." in english.data
    assert b"/voice/fallback/recorded?reason=error&amp;lang=en" in english.data
    first = post_signed(sqlite_app.test_client(), "/voice/fallback",
                        {**call, "From": UK_CALLER, "ErrorUrl": "http://localhost/voice/incoming"})
    assert b"We are sorry" in first.data
    italian = post_signed(sqlite_app.test_client(), "/voice/fallback",
                          {**call, "ErrorUrl": "http://localhost/voice/menu?attempt=2"})
    assert "Ci scusiamo, si è verificato un problema tecnico." in italian.get_data(as_text=True)


def test_a_withheld_or_italian_number_starts_in_italian(app: Flask) -> None:
    for caller in ("anonymous", ITALIAN_CALLER, "+37866123456"):  # San Marino speaks Italian
        call = simulator(app).dial(from_=caller)
        assert heard(call)[0] == "Benvenuto nel Contact Center del Dipartimento della Protezione Civile."
        assert call_row(app, call).language == "it"


# --- routing by language ------------------------------------------------------------------------


@pytest.fixture
def make_line(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """Build the app with the given routing settings; every app is disposed after the test."""
    apps: list[Flask] = []

    def build(**routing: Any) -> Flask:
        app = make_app(make_settings(database_url, tmp_path / "instance", routing={"topic_menu": False, **routing}))
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["contact_center"].engine.dispose()


def staff(app: Flask, *operators: tuple[str, str, list[str]]) -> None:
    """Available operators (name, phone, languages), the first idle the longest."""
    runtime = app.extensions["contact_center"]
    policy = runtime.settings.routing.presence_policy()
    start = runtime.clock() - timedelta(hours=1)
    with runtime.sessions.begin() as session:
        for index, (name, phone, languages) in enumerate(operators):
            add_agent(session, name, phone=phone, languages=languages, now=start)
            set_presence(session, name, Presence.AVAILABLE, policy, start + timedelta(minutes=index))


def dialled(call: Call) -> list[list[str]]:
    return [event[1] for event in call.transcript if event[0] == "dial"]


def test_an_english_caller_reaches_the_operator_who_speaks_english(make_line) -> None:
    app = make_line()
    staff(app, ("Anna", ANNA, ["it"]), ("Bruno", BRUNO, ["it", "en"]))  # Anna has waited longer
    call = simulator(app).dial(from_=UK_CALLER)
    call.press("1")
    assert heard(call)[0] == "We are putting you through to an operator. Please hold."
    assert dialled(call) == [[BRUNO]]
    assert call.operator_transcript[0][1:] == (
        ("Chiamata dal Contact Center. Argomento: altro. Il numero del chiamante termina con 34 56."), *BIANCA)
    assert call.operator_transcript[1][1:] == ("Il chiamante parla inglese.", *BIANCA)
    assert call.ended and call.errors == []
    italian = simulator(app).dial(from_=ITALIAN_CALLER)
    italian.press("1")
    assert dialled(italian) == [[ANNA]]
    assert all("inglese" not in event[1] for event in italian.operator_transcript)


def test_with_no_english_speaker_free_anyone_answers_when_configured(make_line) -> None:
    app = make_line()
    staff(app, ("Anna", ANNA, ["it"]))
    call = simulator(app).dial(from_=UK_CALLER)
    call.press("1")
    assert dialled(call) == [[ANNA]]
    assert call.operator_transcript[-1][1] == "Il chiamante parla inglese."


def test_with_the_fallback_off_an_english_caller_leaves_a_message_instead(make_line) -> None:
    app = make_line(language_fallback=False)
    staff(app, ("Anna", ANNA, ["it"]))
    call = simulator(app).dial(from_=UK_CALLER)
    call.press("1")
    assert dialled(call) == []
    assert heard(call)[0] == "All our operators are busy at the moment."
