"""The tracking flow's webhooks one by one: garbage input, menus after a result, withheld callers."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest
from flask import Flask

from tests.conftest import LINE_OPEN_AT, make_app, make_settings, post_signed
from tickets.codes import damm_check_digit, format_code_for_speech
from tickets.repository import create_ticket
from tickets.status import Channel

CALL = {"CallSid": "CA" + "9" * 32, "AccountSid": "AC" + "0" * 32, "From": "+393471234567",
        "To": "+39800840840", "CallStatus": "in-progress", "Direction": "inbound"}


def _post(app: Flask, path: str, digits: str | None = None, **call: str) -> ElementTree.Element:
    params = {**CALL, **call, **({"Digits": digits} if digits is not None else {})}
    response = post_signed(app.test_client(), path, params)
    assert response.status_code == 200
    return ElementTree.fromstring(response.data)


def _said(document: ElementTree.Element) -> list[str]:
    return [say.text or "" for say in document.iter("Say")]


def _redirect(document: ElementTree.Element) -> str:
    return document.find("Redirect").text


def test_the_main_menu_offers_the_status_on_key_2(sqlite_app: Flask) -> None:
    document = _post(sqlite_app, "/voice/menu/choice?attempt=1", "2")
    assert _redirect(document) == "/voice/tracking"
    menu = _said(_post(sqlite_app, "/voice/menu"))[0]
    assert "Per conoscere lo stato di una richiesta, premi 2." in menu


def test_the_code_is_gathered_until_the_hash_key(sqlite_app: Flask) -> None:
    document = _post(sqlite_app, "/voice/tracking")
    gather = document.find("Gather")
    assert (gather.get("finishOnKey"), gather.get("action")) == ("#", "/voice/tracking/code?failures=0")
    assert _said(document) == ["Digita il codice della richiesta, di 12 cifre, seguito dal tasto cancelletto.",
                               "Oppure dì le cifre del codice, una alla volta."]
    assert (gather.get("input"), gather.get("language")) == ("dtmf speech", "it-IT")
    assert _redirect(document) == "/voice/tracking/code?failures=0"


@pytest.mark.parametrize("digits", ["*", "*#*", "0000000", "123456789012345678901234567890", "abc"])
def test_garbage_is_an_invalid_code_and_counts_as_a_failure(sqlite_app: Flask, digits: str) -> None:
    document = _post(sqlite_app, "/voice/tracking/code?failures=1", digits)
    assert _said(document) == ["Il codice non è valido."]
    assert _redirect(document) == "/voice/tracking?failures=2"


@pytest.mark.parametrize("failures", ["x", "-5", ""])
def test_a_garbled_counter_starts_from_zero(sqlite_app: Flask, failures: str) -> None:
    document = _post(sqlite_app, f"/voice/tracking/code?failures={failures}", "1")
    assert _redirect(document) == "/voice/tracking?failures=1"


def test_an_unknown_code_in_the_repeat_url_asks_again(sqlite_app: Flask) -> None:
    document = _post(sqlite_app, "/voice/tracking/result?code=12345674&failures=1")
    assert _said(document) == ["Nessuna richiesta con questo codice."]
    assert _redirect(document) == "/voice/tracking?failures=1"


def test_after_a_result_a_wrong_key_says_so_and_offers_again(sqlite_app: Flask) -> None:
    document = _post(sqlite_app, "/voice/tracking/next?code=12345674&failures=0&attempt=1", "7")
    assert _said(document) == ["La scelta non è valida."]
    assert _redirect(document) == "/voice/tracking/options?code=12345674&failures=0&attempt=2"


def test_the_alternatives_never_offer_another_code(sqlite_app: Flask) -> None:
    another = _post(sqlite_app, "/voice/tracking/next?attempt=1", "1")
    assert _said(another) == ["La scelta non è valida."]
    assert _redirect(another) == "/voice/tracking/options?failures=0&attempt=2&invalid=1"
    assert _redirect(_post(sqlite_app, "/voice/tracking/next?attempt=1", "2")) == "/voice/operator"
    assert _redirect(_post(sqlite_app, "/voice/tracking/next?attempt=1", "3")) == "/voice/message?reason=chosen"


def test_the_last_wrong_key_of_the_alternatives_is_told_by_the_closing_sentence(sqlite_app: Flask) -> None:
    last = _post(sqlite_app, "/voice/tracking/next?attempt=3&invalid=1", "7")
    assert _said(last) == []
    assert _redirect(last) == "/voice/tracking/options?failures=0&attempt=4&invalid=1"
    closing = _post(sqlite_app, "/voice/tracking/options?attempt=4&invalid=1")
    assert _said(closing) == ["Non abbiamo ricevuto una scelta valida."]
    assert _redirect(closing) == "/voice/message?reason=no_choice"
    after_result = _post(sqlite_app, "/voice/tracking/next?code=12345674&failures=0&attempt=3", "7")
    assert _said(after_result) == ["La scelta non è valida."]


def test_silent_alternatives_end_in_a_message_and_a_silent_result_menu_in_goodbye(sqlite_app: Flask) -> None:
    alternatives = _post(sqlite_app, "/voice/tracking/options?attempt=4")
    assert _said(alternatives) == ["Non abbiamo ricevuto alcuna scelta."]
    assert _redirect(alternatives) == "/voice/message?reason=no_choice"
    result_menu = _post(sqlite_app, "/voice/tracking/options?code=12345674&attempt=4")
    assert _said(result_menu) == ["Grazie per aver chiamato. Arrivederci."]
    assert result_menu.find("Hangup") is not None


def test_one_withheld_caller_cannot_lock_out_the_others(tmp_path: Path, sqlite_url: str) -> None:
    """The probe: withheld callers shared one allowance, so one of them refused all the others."""
    app = make_app(make_settings(sqlite_url, tmp_path / "instance", tickets={"caller_failure_limit": 2}))
    with app.extensions["contact_center"].sessions.begin() as session:
        code = create_ticket(session, channel=Channel.PHONE, now=LINE_OPEN_AT).code
    for _ in range(2):
        _post(app, "/voice/tracking/code?failures=0", "111", From="anonymous", CallSid="CA-hostile")
    refused = _post(app, "/voice/tracking/code?failures=0", code, From="anonymous", CallSid="CA-hostile")
    assert _said(refused)[0] == "Troppi tentativi, riprova più tardi."
    asked = _post(app, "/voice/tracking", From="anonymous", CallSid="CA-hostile")
    assert _said(asked)[0] == "Troppi tentativi, riprova più tardi."
    other = _post(app, "/voice/tracking/code?failures=0", code, From="+266696687", CallSid="CA9")
    assert "La richiesta è stata ricevuta ed è in attesa di lavorazione." in _said(other)
    app.extensions["contact_center"].engine.dispose()


def test_strangers_filling_the_global_figure_slow_the_phone_down_but_refuse_nobody(
        tmp_path: Path, database_url: str, caplog) -> None:
    """The probe: callers past the global figure made a caller with a real code hear "Troppi tentativi"."""
    app = make_app(make_settings(database_url, tmp_path / "instance",
                                 tickets={"global_failure_limit": 20, "alert_delay_ms": 1500}))
    with app.extensions["contact_center"].sessions.begin() as session:
        code = create_ticket(session, channel=Channel.PHONE, now=LINE_OPEN_AT).code
    unknown = ("9" if code[0] != "9" else "8") + code[1:-1]
    unknown += damm_check_digit(unknown)
    before = _post(app, "/voice/tracking/code?failures=0", unknown, From="+393330000000", CallSid="CA-first")
    assert before.find("Pause") is None
    for caller in range(3):
        for _ in range(10):
            _post(app, "/voice/tracking/code?failures=0", unknown, From=f"+39333000000{caller + 1}",
                  CallSid=f"CA-hostile-{caller}")
    assert "failures over the global alert figure" in caplog.text
    # A failed lookup during the alert: a silence first (the web's delay, in whole seconds), then the answer.
    slowed = _post(app, "/voice/tracking/code?failures=0", unknown, From="+393330000009", CallSid="CA-other")
    assert slowed[0].tag == "Pause" and slowed[0].get("length") == "2"
    assert _said(slowed)[0] == "Nessuna richiesta con questo codice."
    # A caller with a real code is answered at once, whatever the strangers did.
    fresh = _post(app, "/voice/tracking/code?failures=0", code, From="+393471112233", CallSid="CA-fresh")
    assert fresh.find("Pause") is None
    assert "La richiesta è stata ricevuta ed è in attesa di lavorazione." in _said(fresh)
    withheld = _post(app, "/voice/tracking/code?failures=0", code, From="anonymous", CallSid="CA-withheld")
    assert "La richiesta è stata ricevuta ed è in attesa di lavorazione." in _said(withheld)
    app.extensions["contact_center"].engine.dispose()


def test_new_12_digit_codes_and_older_8_digit_codes_both_resolve(tmp_path: Path, database_url: str) -> None:
    """Longer codes for new tickets (the guessing bound); a code given before keeps working."""
    app = make_app(make_settings(database_url, tmp_path / "instance"))
    with app.extensions["contact_center"].sessions.begin() as session:
        older = create_ticket(session, channel=Channel.PHONE, code_length=8, now=LINE_OPEN_AT).code
        new = create_ticket(session, channel=Channel.PHONE, code_length=app.extensions["contact_center"]
                            .settings.tickets.code_length, now=LINE_OPEN_AT).code
    assert (len(older), len(new)) == (8, 12)
    asked = _post(app, "/voice/tracking")
    assert asked.find("Gather").get("finishOnKey") == "#" and asked.find("Gather").get("numDigits") is None
    assert _said(asked)[0] == "Digita il codice della richiesta, di 12 cifre, seguito dal tasto cancelletto."
    for code in (older, new):
        said = _said(_post(app, "/voice/tracking/code?failures=0", code + "#"))
        assert f"Richiesta con codice {format_code_for_speech(code)}." in said
        assert "La richiesta è stata ricevuta ed è in attesa di lavorazione." in said
    client = app.test_client()
    for code in (older, new):
        assert client.get(f"/api/tickets/{code}/status").get_json()["code"] == code
    # A 10-digit code is neither length: refused before any lookup.
    body = new[:9]
    assert _said(_post(app, "/voice/tracking/code?failures=0", body + damm_check_digit(body)))[0] == \
        "Il codice non è valido."
    app.extensions["contact_center"].engine.dispose()
