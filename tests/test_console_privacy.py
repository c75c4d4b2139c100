"""/console/privacy: supervisors find, export and erase a citizen's data; operators cannot; every step audited."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from access.accounts import Role
from contact_center.config import Settings
from contact_center.services import recording_store
from storage import call_log
from storage.models import AuditEntry, CallbackMessage, Ticket
from tests.conftest import LINE_OPEN_AT, make_app
from tests.test_console_support import create_account, post_form, sign_in
from tickets.repository import create_ticket
from tickets.status import Channel
from voicemail.callbacks import Recording, attach_recording, open_callback_request

PHONE = "+393471234567"
EMAIL = "mario.rossi@example.org"
AUDIO = b"RIFF-audio-of-the-message"


@pytest.fixture
def privacy_app(settings: Settings) -> Iterator[Flask]:
    app = make_app(settings)
    create_account(app, "Sara Supervisore", Role.SUPERVISOR)
    create_account(app, "Olga Operatrice", Role.OPERATOR)
    runtime = app.extensions["contact_center"]
    recording_store(runtime.settings).put("RE1.wav", AUDIO, "audio/wav")
    with runtime.sessions.begin() as session:
        call_log.record_call_start(session, "CA1", PHONE, "+39800840840", now=LINE_OPEN_AT)
        message = open_callback_request(session, "CA1", PHONE, "caller_id", "closed", now=LINE_OPEN_AT)
        attach_recording(session, "CA1", Recording("RE1", "https://api.twilio.com/r", 8), now=LINE_OPEN_AT)
        message.copy_status, message.recording_path, message.twilio_deleted_at = "copied", "RE1.wav", LINE_OPEN_AT
        create_ticket(session, now=LINE_OPEN_AT, channel=Channel.WEB, summary="Crepe nel muro", email=EMAIL)
    yield app
    runtime.engine.dispose()


def signed_in(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, name).status_code == 302
    return client


def codes(app: Flask) -> list[str]:
    with app.extensions["contact_center"].sessions() as session:
        return sorted(session.scalars(select(Ticket.code)))


def test_operators_have_neither_the_page_nor_the_link(privacy_app: Flask) -> None:
    client = signed_in(privacy_app, "Olga Operatrice")
    assert client.get("/console/privacy").status_code == 403
    assert "/console/privacy" not in client.get("/console/today").get_data(as_text=True)


def test_a_supervisor_finds_exports_and_erases_a_citizens_data(privacy_app: Flask) -> None:
    client = signed_in(privacy_app, "Sara Supervisore")
    page = client.get("/console/privacy").get_data(as_text=True)
    assert "<h1>Richieste privacy dei cittadini</h1>" in page and 'aria-current="page">Privacy</a>' in page

    found = post_form(client, "/console/privacy", {"phone": "0039 347 123 4567", "email": "Mario.Rossi@example.org"},
                      page="/console/privacy")
    html = found.get_data(as_text=True)
    assert found.status_code == 200 and "Dati trovati" in html
    assert all(code in html for code in codes(privacy_app))  # the voicemail ticket and the written one
    assert '<th scope="row">Chiamate</th><td>1</td>' in html
    assert "<th scope=\"row\">Registrazioni nell'archivio</th><td>1</td>" in html

    exported = post_form(client, "/console/privacy/export", {"phone": "347 1234567", "email": EMAIL},
                         page="/console/privacy")
    assert exported.status_code == 200 and exported.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(exported.data)) as archive:
        document = json.loads(archive.read("dati.json"))
        assert sorted(ticket["code"] for ticket in document["records"]["tickets"]) == codes(privacy_app)
        assert archive.read("registrazioni/RE1.wav") == AUDIO

    refused = post_form(client, "/console/privacy/erase", {"phone": PHONE, "email": EMAIL, "confirm": "si"},
                        page="/console/privacy")
    assert refused.status_code == 400 and "Per cancellare scrivi CANCELLA" in refused.get_data(as_text=True)
    erased = post_form(client, "/console/privacy/erase", {"phone": PHONE, "email": EMAIL, "confirm": "cancella"},
                       page="/console/privacy")
    assert erased.status_code == 200 and "Cancellazione eseguita" in erased.get_data(as_text=True)

    runtime = privacy_app.extensions["contact_center"]
    assert recording_store(runtime.settings).size("RE1.wav") is None
    with runtime.sessions() as session:
        tickets = list(session.scalars(select(Ticket)))
        message = session.scalars(select(CallbackMessage)).one()
        audit = list(session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.target,
                                            AuditEntry.detail)).tuples())
    assert len(tickets) == 2 and {(t.contact_phone, t.contact_email, t.summary) for t in tickets} == {(None, None, "")}
    assert (message.callback_number, message.recording_path) == (None, None)
    privacy_lines = [line for line in audit if line[1].startswith("privacy_")]
    assert [action for _, action, _, _ in privacy_lines] == ["privacy_find", "privacy_export", "privacy_erase"]
    assert {actor for actor, _, _, _ in privacy_lines} == {"Sara Supervisore"}
    assert not [line for line in audit if any(PHONE in str(v) or EMAIL in str(v) or "3471234567" in str(v)
                                                for v in line)]
    again = post_form(client, "/console/privacy", {"phone": PHONE}, page="/console/privacy")
    assert "Il servizio non conserva dati su questo numero o indirizzo." in again.get_data(as_text=True)


def test_a_search_without_a_usable_number_or_address_says_so(privacy_app: Flask) -> None:
    client = signed_in(privacy_app, "Sara Supervisore")
    empty = post_form(client, "/console/privacy", {"phone": "", "email": ""}, page="/console/privacy")
    assert empty.status_code == 400 and "Indica un numero di telefono o un indirizzo e-mail." in empty.get_data(
        as_text=True)
    wrong = post_form(client, "/console/privacy", {"phone": "abc"}, page="/console/privacy")
    assert wrong.status_code == 400 and "non è valido" in wrong.get_data(as_text=True)
