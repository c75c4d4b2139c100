""""Chiama" rings once however often it is clicked while the call goes on; the entry shows the call's state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from access.accounts import Role
from callsim import DialOutcome, FakeTwilioApi, Simulator, WSGITransport
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, make_app, make_settings, post_signed
from tests.test_console_callbacks import _entry_of, leave_message
from tests.test_console_support import create_account, post_form, sign_in
from voicemail.calls import begin_call

OPERATOR_PHONE = "+390612345678"


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as api:
        yield api


@pytest.fixture
def console_app(database_url: str, tmp_path: Path, twilio_api: FakeTwilioApi) -> Iterator[Flask]:
    app = make_app(make_settings(database_url, tmp_path / "instance", twilio={"api_base_url": twilio_api.base_url}))
    create_account(app, "Olga Operatrice", Role.OPERATOR, phone=OPERATOR_PHONE)
    yield app
    app.extensions["contact_center"].engine.dispose()


def _claimed(app: Flask, index: int) -> tuple[FlaskClient, str, int]:
    """Olga signed in, holding the entry of a message: (client, entry page, entry id)."""
    client = app.test_client()
    sign_in(client, "Olga Operatrice")
    entry_id = _entry_of(app, leave_message(app, index)).id
    post_form(client, "/console/callbacks/claim", {}, "/console/callbacks")
    return client, f"/console/callbacks/{entry_id}", entry_id


def _advance(app: Flask, seconds: float) -> None:
    runtime = app.extensions["contact_center"]
    later = runtime.clock() + timedelta(seconds=seconds)
    runtime.clock = lambda: later


def test_a_second_click_while_the_phone_rings_rings_nobody(console_app: Flask, twilio_api: FakeTwilioApi) -> None:
    client, page, _ = _claimed(console_app, 1)
    first = post_form(client, f"{page}/call", {}, page)
    assert first.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "Sta squillando il tuo telefono" in html
    assert "sta squillando il telefono dell&#39;operatore · avviata da Olga Operatrice" in html
    assert 'id="chiama" disabled>Chiamata in corso…</button>' in html
    second = post_form(client, f"{page}/call", {}, page)
    assert second.status_code == 302
    assert "La chiamata è già partita" in client.get(page).get_data(as_text=True)
    assert len(twilio_api.calls) == 1
    created = twilio_api.calls[0].params
    assert created["StatusCallback"].startswith("http://localhost/voice/callback-call/status?entry=")


def test_the_entry_shows_the_call_as_it_goes_and_chiama_comes_back_after(
        console_app: Flask, twilio_api: FakeTwilioApi) -> None:
    client, page, _ = _claimed(console_app, 2)
    post_form(client, f"{page}/call", {}, page)
    [created] = twilio_api.calls
    simulator = Simulator(WSGITransport(console_app), auth_token=AUTH_TOKEN, public_base_url="http://localhost",
                          voice_url=created.params["Url"], status_callback_url=None,
                          on_dial=lambda info: DialOutcome(status="busy"))
    simulator.dial(from_="+39800840840", to=OPERATOR_PHONE, Direction="outbound-api", CallSid=created.sid)
    html = client.get(page).get_data(as_text=True)
    assert "terminata: il numero del cittadino era occupato" in html
    assert 'id="chiama">Chiama</button>' in html
    post_form(client, f"{page}/call", {}, page)
    assert len(twilio_api.calls) == 2


def test_an_unanswered_operator_phone_is_shown_and_frees_chiama(console_app: Flask, twilio_api: FakeTwilioApi) -> None:
    client, page, _ = _claimed(console_app, 3)
    post_form(client, f"{page}/call", {}, page)
    [created] = twilio_api.calls
    status_url = created.params["StatusCallback"].removeprefix("http://localhost")
    stranger = post_signed(console_app.test_client(), status_url, {"CallSid": "CA" + "0" * 32,
                                                                   "CallStatus": "no-answer"})
    assert stranger.status_code == 200
    assert "sta squillando il telefono" in client.get(page).get_data(as_text=True)  # another call's news: ignored
    post_signed(console_app.test_client(), status_url, {"CallSid": created.sid, "CallStatus": "no-answer"})
    html = client.get(page).get_data(as_text=True)
    assert "l&#39;operatore non ha risposto al proprio telefono" in html and 'id="chiama">Chiama</button>' in html


def test_a_call_left_ringing_past_the_window_no_longer_blocks(console_app: Flask, twilio_api: FakeTwilioApi) -> None:
    client, page, _ = _claimed(console_app, 4)
    post_form(client, f"{page}/call", {}, page)
    _advance(console_app, console_app.extensions["contact_center"].settings.console.operator_ring_seconds + 31)
    post_form(client, f"{page}/call", {}, page)
    assert len(twilio_api.calls) == 2


def test_a_refused_call_frees_the_slot(console_app: Flask, twilio_api: FakeTwilioApi) -> None:
    client, page, _ = _claimed(console_app, 5)
    twilio_api.fail_next(1, status=400)
    post_form(client, f"{page}/call", {}, page)
    assert "non avviata" in client.get(page).get_data(as_text=True)
    post_form(client, f"{page}/call", {}, page)
    assert len(twilio_api.calls) == 1


def test_the_slot_is_taken_once_until_the_call_ends(console_app: Flask) -> None:
    entry_id = _entry_of(console_app, leave_message(console_app, 6)).id
    runtime = console_app.extensions["contact_center"]
    now, window = runtime.clock(), timedelta(seconds=60)
    taken = []
    for _ in range(2):
        with runtime.sessions.begin() as session:
            taken.append(begin_call(session, entry_id, "Olga", now, window))
    assert taken == [True, False]
