"""End to end: calls that ask for a request's status, Twilio's part played by a scripted phone.

The phone posts signed webhooks like Twilio: it follows Say, Gather (a key entry from the script,
or silence: fall through), Redirect and Hangup, and stops where the call leaves the tracking flow.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from ivr.cli.common import CliState
from ivr.cli.tickets import tickets
from storage.models import Call
from tests.conftest import make_app, make_settings, post_signed
from tickets.codes import damm_check_digit
from tickets.repository import create_ticket
from tickets.status import Channel, Topic

SILENCE = None
MAX_STEPS = 60


@dataclass
class CallTranscript:
    """What a caller heard, and where the call went."""

    said: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    hung_up: bool = False

    @property
    def text(self) -> str:
        """Everything said, in order."""
        return " ".join(self.said)


class Phone:
    """A caller's phone: plays Twilio's part for one call, pressing keys from a script."""

    def __init__(self, client: FlaskClient, caller: str = "+393471234567", call_sid: str = "CA" + "7" * 32) -> None:
        self.client = client
        self.params = {"CallSid": call_sid, "AccountSid": "AC" + "0" * 32, "From": caller,
                       "To": "+39800840840", "CallStatus": "in-progress", "Direction": "inbound"}

    def call(self, keys: list[str | None], stop_at: tuple[str, ...] = ("/voice/message", "/voice/operator"),
             start: str = "/voice/incoming") -> CallTranscript:
        """Call, answer each Gather with the next entry of `keys`, stop at a path in `stop_at`."""
        transcript = CallTranscript()
        script: Iterator[str | None] = iter(keys)
        url, digits = start, None
        for _ in range(MAX_STEPS):
            transcript.paths.append(url)
            if urlsplit(url).path in stop_at:
                return transcript
            params = {**self.params, **({"Digits": digits} if digits is not None else {})}
            response = post_signed(self.client, url, params)
            assert response.status_code == 200, f"{url} answered {response.status_code}"
            url, digits = self._play(ElementTree.fromstring(response.data), url, script, transcript)
            if url is None:
                return transcript
        raise AssertionError(f"the call did not end in {MAX_STEPS} steps: {transcript.paths}")

    def _play(self, document: ElementTree.Element, current: str, script: Iterator[str | None],
              transcript: CallTranscript) -> tuple[str | None, str | None]:
        """Run one TwiML document: the next URL and the digits to post there, or None at the end."""
        assert document.tag == "Response"
        for verb in document:
            if verb.tag == "Say":
                transcript.said.append(verb.text or "")
            elif verb.tag == "Gather":
                transcript.said.extend(say.text or "" for say in verb.iter("Say"))
                keys = next(script)
                if keys is not SILENCE:
                    return urljoin(current, verb.get("action") or current), keys
            elif verb.tag == "Redirect":
                return urljoin(current, verb.text or ""), None
            elif verb.tag == "Hangup":
                transcript.hung_up = True
                return None, None
            else:
                raise AssertionError(f"unexpected verb {verb.tag} in the tracking flow")
        transcript.hung_up = True
        return None, None


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _ticket(app: Flask, **values: object) -> str:
    with app.extensions["contact_center"].sessions.begin() as session:
        return create_ticket(session, channel=Channel.PHONE, topic=Topic.RISKS, phone="+393331112222",
                             summary="Alluvione a Modena, chiedo informazioni", **values).code


def _wrong_check_digit(code: str) -> str:
    return code[:-1] + str((int(code[-1]) + 1) % 10)


def _unknown_code(known: str) -> str:
    body = "9" + known[1:-1] if known[0] != "9" else "8" + known[1:-1]
    return body + damm_check_digit(body)


def test_a_valid_code_reads_back_the_code_the_status_and_the_day(app: Flask, client: FlaskClient) -> None:
    code = _ticket(app)
    heard = Phone(client).call(["2", code, SILENCE, SILENCE, SILENCE])
    spaced = f"{' '.join(code[:4])}, {' '.join(code[4:])}"
    assert f"Richiesta con codice {spaced}." in heard.said
    assert "La richiesta è stata ricevuta ed è in attesa di lavorazione." in heard.said
    assert "Aggiornata oggi." in heard.said
    assert heard.said[-1] == "Grazie per aver chiamato. Arrivederci." and heard.hung_up
    assert "Alluvione" not in heard.text and "333" not in heard.text
    with app.extensions["contact_center"].sessions() as session:
        assert session.scalars(select(Call)).one().outcome == "self_service"


def test_a_wrong_check_digit_is_caught(app: Flask, client: FlaskClient) -> None:
    code = _ticket(app)
    heard = Phone(client).call(["2", _wrong_check_digit(code), code, "2"])
    assert heard.said.count("Il codice non è valido.") == 1
    assert "La richiesta è stata ricevuta ed è in attesa di lavorazione." in heard.said
    assert heard.paths[-1] == "/voice/operator"


def test_an_unknown_code_is_said_so(app: Flask, client: FlaskClient) -> None:
    code = _ticket(app)
    heard = Phone(client).call(["2", _unknown_code(code), SILENCE, SILENCE, SILENCE, SILENCE, SILENCE])
    assert "Nessuna richiesta con questo codice." in heard.said
    assert "ricevuta" not in heard.text


def test_three_failures_offer_an_operator_or_a_message(app: Flask, client: FlaskClient) -> None:
    code = _ticket(app)
    heard = Phone(client).call(["2", _wrong_check_digit(code), _unknown_code(code), "12", "3"])
    assert heard.said.count("Il codice non è valido.") == 2
    assert heard.said.count("Nessuna richiesta con questo codice.") == 1
    assert heard.said.count("Digita il codice della richiesta, seguito dal tasto cancelletto.") == 3
    assert "Non siamo riusciti a trovare la richiesta." in heard.said
    assert "Per parlare con un operatore, premi 2." in heard.text
    assert heard.paths[-1] == "/voice/message?reason=chosen"


def test_silence_counts_as_a_failed_attempt_and_ends_in_a_message(app: Flask, client: FlaskClient) -> None:
    heard = Phone(client).call(["2", SILENCE, SILENCE, SILENCE, SILENCE, SILENCE, SILENCE])
    assert heard.said.count("Non abbiamo ricevuto alcun codice.") == 3
    assert heard.paths[-1] == "/voice/message?reason=no_choice"


def test_after_a_result_another_code_repeat_and_operator(app: Flask, client: FlaskClient) -> None:
    first, second = _ticket(app), _ticket(app)
    heard = Phone(client).call(["2", first, "9", "1", second, "2"])
    assert heard.said.count(f"Richiesta con codice {' '.join(first[:4])}, {' '.join(first[4:])}.") == 2
    assert f"Richiesta con codice {' '.join(second[:4])}, {' '.join(second[4:])}." in heard.said
    assert heard.paths[-1] == "/voice/operator"


def test_the_status_changed_through_the_cli_is_what_the_next_caller_hears(
        app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    code = _ticket(app)
    config = tmp_path / "config.yaml"
    config.write_text(f"database:\n  url: '{app.extensions['contact_center'].settings.database.url}'\n"
                      f"  instance_dir: '{tmp_path / 'cli-instance'}'\n", "utf-8")
    before = Phone(client, call_sid="CA" + "1" * 32).call(["2", code, "3"])
    assert "La richiesta è stata ricevuta ed è in attesa di lavorazione." in before.said
    result = CliRunner().invoke(tickets, ["status", code, "forwarded", "--forwarded-to", "Regione Emilia-Romagna",
                                          "--note", "competenza regionale"], obj=CliState(str(config)))
    assert result.exit_code == 0, result.output
    after = Phone(client, call_sid="CA" + "2" * 32).call(["2", code, "3"])
    assert "La richiesta è stata inoltrata all'ente competente: Regione Emilia-Romagna." in after.said
    assert "competenza regionale" not in after.text


def test_a_caller_past_the_failure_limit_is_refused_and_offered_alternatives(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(database_url, tmp_path / "instance",
                             tickets={"caller_failure_limit": 2, "call_attempts": 3})
    app = make_app(settings)
    client = app.test_client()
    code = _ticket(app)
    first = Phone(client, call_sid="CA" + "3" * 32).call(["2", _unknown_code(code), _wrong_check_digit(code), "3"])
    assert "Troppi tentativi, riprova più tardi." in first.said
    second = Phone(client, call_sid="CA" + "4" * 32).call(["2", "2"])
    assert "Troppi tentativi, riprova più tardi." in second.said
    assert "Digita il codice" not in second.text
    assert second.paths[-1] == "/voice/operator"
    other = Phone(client, caller="+393489876543", call_sid="CA" + "5" * 32).call(["2", code, "3"])
    assert "La richiesta è stata ricevuta ed è in attesa di lavorazione." in other.said
    app.extensions["contact_center"].engine.dispose()
