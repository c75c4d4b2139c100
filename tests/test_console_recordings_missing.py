"""A recording that cannot be played: the entry page says so, "Scarica" gives a console page, the list tells."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from access.accounts import Role
from callsim import FakeTwilioApi
from storage.models import CallbackMessage
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, make_app, make_settings
from tests.test_console_callbacks import _entry_of, leave_message
from tests.test_console_support import create_account, sign_in


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as api:
        yield api


def _app(database_url: str, tmp_path: Path, twilio: dict[str, str]) -> Flask:
    app = make_app(make_settings(database_url, tmp_path / "instance", twilio=twilio))
    create_account(app, "Olga Operatrice", Role.OPERATOR)
    return app


@pytest.fixture
def console_app(database_url: str, tmp_path: Path, twilio_api: FakeTwilioApi) -> Iterator[Flask]:
    app = _app(database_url, tmp_path, {"api_base_url": twilio_api.base_url})
    yield app
    app.extensions["contact_center"].engine.dispose()


def _client(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, "Olga Operatrice").status_code == 302
    return client


def _messages_cell(page: str, entry_id: int) -> str:
    row = page.split(f'href="/console/callbacks/{entry_id}"', 1)[1].split("</tr>", 1)[0]
    return row.split("<td>")[6]


def test_a_playable_recording_comes_first_on_the_entry_page_and_shows_its_length(
        console_app: Flask, twilio_api: FakeTwilioApi) -> None:
    call_sid = leave_message(console_app, 1, seconds=40, api=twilio_api)
    entry_id = _entry_of(console_app, call_sid).id
    client = _client(console_app)
    page = client.get(f"/console/callbacks/{entry_id}").get_data(as_text=True)
    assert "<audio controls" in page and "Registrazione non disponibile" not in page
    assert page.index("<h2>Messaggi</h2>") < page.index("<h2>Tentativi</h2>")
    listed = client.get("/console/callbacks").get_data(as_text=True)
    assert _messages_cell(listed, entry_id).startswith("1 (40 s)") and "non disponibile" not in listed


def test_a_file_gone_from_twilio_gives_an_italian_console_page_not_a_bare_502(
        console_app: Flask, twilio_api: FakeTwilioApi) -> None:
    call_sid = leave_message(console_app, 2, seconds=40)  # Twilio does not hold it
    entry_id = _entry_of(console_app, call_sid).id
    response = _client(console_app).get(f"/console/callbacks/{entry_id}/recordings/{call_sid}")
    html = response.get_data(as_text=True)
    assert response.status_code == 502 and response.mimetype == "text/html"
    assert "<h1>Registrazione non disponibile</h1>" in html and "Sezioni della console" in html
    assert f'href="/console/callbacks/{entry_id}"' in html and "Torna alla richiamata" in html


def test_a_recording_whose_copy_gave_up_is_said_unavailable_on_the_entry_and_the_list(console_app: Flask) -> None:
    call_sid = leave_message(console_app, 3, seconds=40)
    entry_id = _entry_of(console_app, call_sid).id
    with console_app.extensions["contact_center"].sessions.begin() as session:
        session.execute(update(CallbackMessage).values(copy_status="failed"))
    client = _client(console_app)
    page = client.get(f"/console/callbacks/{entry_id}").get_data(as_text=True)
    assert "<audio" not in page and "Scarica la registrazione" not in page
    assert "<strong>Registrazione non disponibile</strong> (40 s): il file non si trova più" in page
    cell = _messages_cell(client.get("/console/callbacks").get_data(as_text=True), entry_id)
    assert "(40 s)" not in cell and "registrazione non disponibile" in cell


def test_without_twilio_an_uncopied_recording_is_unavailable(database_url: str, tmp_path: Path) -> None:
    app = _app(database_url, tmp_path, {"account_sid": "", "auth_token": ""})
    try:
        call_sid = leave_message(app, 4, seconds=40)
        entry_id = _entry_of(app, call_sid).id
        client = _client(app)
        page = client.get(f"/console/callbacks/{entry_id}").get_data(as_text=True)
        assert "<audio" not in page and "Twilio non è configurato" in page
        cell = _messages_cell(client.get("/console/callbacks").get_data(as_text=True), entry_id)
        assert "(40 s)" not in cell and "registrazione non disponibile" in cell
        download = client.get(f"/console/callbacks/{entry_id}/recordings/{call_sid}")
        assert download.status_code == 502 and "Twilio non è configurato" in download.get_data(as_text=True)
    finally:
        app.extensions["contact_center"].engine.dispose()
