"""Whole calls through the simulator: a caller types a tracking code and hears the request's status."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from callsim import Call, Simulator, WSGITransport
from contact_center.cli import cli
from storage.models import Call as CallRow
from tests.conftest import AUTH_TOKEN, LINE_OPEN_AT, make_app, make_settings
from tickets.codes import damm_check_digit
from tickets.repository import create_ticket
from tickets.status import Channel, Topic

CALLER = "+393471234567"
ENTER_CODE = "Digita il codice della richiesta, di 12 cifre, seguito dal tasto cancelletto."
SAY_CODE = "Oppure dì le cifre del codice, una alla volta."
RECEIVED = "La richiesta è stata ricevuta ed è in attesa di lavorazione."


def _simulator(app: Flask) -> Simulator:
    return Simulator(WSGITransport(app), auth_token=AUTH_TOKEN, public_base_url="http://localhost")


@pytest.fixture
def simulator(app: Flask) -> Simulator:
    return _simulator(app)


@pytest.fixture
def limited_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(make_settings(database_url, tmp_path / "instance", tickets={"caller_failure_limit": 2}))
    yield app
    app.extensions["contact_center"].engine.dispose()


def _ticket(app: Flask) -> str:
    with app.extensions["contact_center"].sessions.begin() as session:
        return create_ticket(session, channel=Channel.PHONE, topic=Topic.RISKS, phone="+393331112222",
                             summary="Alluvione a Modena, chiedo informazioni", now=LINE_OPEN_AT).code


def _spoken(code: str) -> str:
    groups = (code[start:start + 4] for start in range(0, len(code), 4))
    return f"Richiesta con codice {', '.join(' '.join(group) for group in groups)}."


def _wrong_check_digit(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def _unknown(code: str) -> str:
    body = ("9" if code[0] != "9" else "8") + code[1:-1]
    return body + damm_check_digit(body)


def _went_to(call: Call, path: str) -> list[dict[str, list[str]]]:
    """The query strings of the requests the call made to `path`."""
    return [parse_qs(urlsplit(request.url).query) for request in call.requests_to(path)]


def _ask_for_status(simulator: Simulator, caller: str = CALLER) -> Call:
    call = simulator.dial(from_=caller)
    call.press("2")
    return call


def test_a_valid_code_gives_the_code_the_status_and_the_day(app: Flask, simulator: Simulator) -> None:
    code = _ticket(app)
    call = _ask_for_status(simulator)
    assert ENTER_CODE in call.heard_since_last_input()
    call.press(code + "#")
    heard = call.heard_since_last_input().splitlines()
    assert heard[:3] == [_spoken(code), RECEIVED, "Aggiornata oggi."]
    assert "Per conoscere lo stato di un'altra richiesta, premi 1." in heard[3]
    for _ in range(3):
        call.silence()
    assert call.said().splitlines()[-1] == "Grazie per aver chiamato. Arrivederci."
    assert call.ended and call.errors == []
    assert "Alluvione" not in call.said() and "333" not in call.said()
    with app.extensions["contact_center"].sessions() as session:
        assert session.scalars(select(CallRow)).one().outcome == "self_service"


def test_a_wrong_check_digit_is_caught_before_any_lookup(app: Flask, simulator: Simulator) -> None:
    code = _ticket(app)
    call = _ask_for_status(simulator)
    call.press(_wrong_check_digit(code) + "#")
    assert call.heard_since_last_input().splitlines() == ["Il codice non è valido.", ENTER_CODE, SAY_CODE]
    call.press(code + "#")
    assert RECEIVED in call.heard_since_last_input()
    call.press("2")
    assert call.requests_to("/voice/operator") and call.errors == []


def test_an_unknown_code_is_said_so(app: Flask, simulator: Simulator) -> None:
    code = _ticket(app)
    call = _ask_for_status(simulator)
    call.press(_unknown(code) + "#")
    assert call.heard_since_last_input().splitlines() == ["Nessuna richiesta con questo codice.", ENTER_CODE, SAY_CODE]
    assert "ricevuta" not in call.said()


def test_three_failures_offer_an_operator_or_a_message(app: Flask, simulator: Simulator) -> None:
    code = _ticket(app)
    call = _ask_for_status(simulator)
    call.press(_wrong_check_digit(code) + "#")
    call.press(_unknown(code) + "#")
    call.press("12#")
    heard = call.heard_since_last_input()
    assert heard.splitlines()[:2] == ["Il codice non è valido.", "Non siamo riusciti a trovare la richiesta."]
    assert "Per parlare con un operatore, premi 2." in heard and "Per lasciare un messaggio" in heard
    assert ENTER_CODE not in heard
    call.press("3")
    assert _went_to(call, "/voice/message") == [{"reason": ["chosen"]}]
    assert call.said().count(ENTER_CODE) == 3 and call.errors == []


def test_silence_counts_as_a_failed_attempt(simulator: Simulator) -> None:
    call = _ask_for_status(simulator)
    for _ in range(3):
        call.silence()
    assert call.said().count("Non abbiamo ricevuto alcun codice.") == 3
    assert "Non siamo riusciti a trovare la richiesta." in call.heard_since_last_input()
    call.press("2")
    assert call.requests_to("/voice/operator")


def test_after_a_result_repeat_then_another_code(app: Flask, simulator: Simulator) -> None:
    first, second = _ticket(app), _ticket(app)
    call = _ask_for_status(simulator)
    call.press(first + "#")
    call.press("9")
    assert call.heard_since_last_input().splitlines()[:2] == [_spoken(first), RECEIVED]
    call.press("1")
    assert call.heard_since_last_input() == f"{ENTER_CODE}\n{SAY_CODE}"
    call.press(second + "#")
    assert _spoken(second) in call.heard_since_last_input()
    call.press("3")
    assert _went_to(call, "/voice/message") == [{"reason": ["chosen"]}]


def test_the_status_changed_through_the_cli_is_what_the_next_caller_hears(
        app: Flask, simulator: Simulator, tmp_path: Path) -> None:
    code = _ticket(app)
    before = _ask_for_status(simulator)
    before.press(code + "#")
    assert RECEIVED in before.heard_since_last_input()

    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"database": {"url": app.extensions["contact_center"].settings.database.url,
                                                   "instance_dir": str(tmp_path / "cli")}}), "utf-8")
    changed = CliRunner().invoke(cli, ["--config", str(config), "tickets", "status", code, "forwarded",
                                       "--forwarded-to", "Regione Emilia-Romagna", "--note", "competenza regionale"])
    assert changed.exit_code == 0, changed.output

    after = _ask_for_status(simulator, caller="+393489876543")
    after.press(code + "#")
    heard = after.heard_since_last_input()
    assert "La richiesta è stata inoltrata all'ente competente: Regione Emilia-Romagna." in heard
    assert "competenza regionale" not in heard


def test_a_caller_past_the_failure_limit_is_refused_on_the_next_call(limited_app: Flask) -> None:
    simulator = _simulator(limited_app)
    code = _ticket(limited_app)
    first = _ask_for_status(simulator)
    first.press(_unknown(code) + "#")
    first.press(_wrong_check_digit(code) + "#")
    assert first.heard_since_last_input().splitlines()[:2] == [
        "Il codice non è valido.", "Troppi tentativi, riprova più tardi."]
    first.hang_up()

    second = _ask_for_status(simulator)
    heard = second.heard_since_last_input()
    assert heard.startswith("Troppi tentativi, riprova più tardi.") and ENTER_CODE not in heard
    second.press("3")
    assert _went_to(second, "/voice/message") == [{"reason": ["chosen"]}]

    other = _ask_for_status(simulator, caller="+393489876543")
    other.press(code + "#")
    assert RECEIVED in other.heard_since_last_input()
