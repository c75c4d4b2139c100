"""Status changes from the console: a stale page is refused, what was typed is kept, "raggiunto" forwards."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from access.accounts import Role
from storage.models import AuditEntry, CallbackMessage, Ticket
from tests.conftest import LINE_OPEN_AT, make_app
from tests.test_console_support import create_account, csrf_from, sign_in
from tickets.repository import create_ticket, find_by_code
from tickets.status import Channel, Topic
from voicemail.callbacks import Recording, attach_recording, open_callback_request


@pytest.fixture
def console_app(settings) -> Iterator[Flask]:
    app = make_app(settings)
    create_account(app, "Olga Operatrice", Role.OPERATOR)
    create_account(app, "Piero Operatore", Role.OPERATOR)
    yield app
    app.extensions["contact_center"].engine.dispose()


def _client(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, name).status_code == 302
    return client


def _ticket(app: Flask) -> str:
    with app.extensions["contact_center"].sessions.begin() as session:
        return create_ticket(session, channel=Channel.VOICEMAIL, topic=Topic.RISKS, phone="+393471234567",
                             summary="Allerta meteo", now=LINE_OPEN_AT).code


def _ticket_state(app: Flask, code: str) -> tuple[str, str | None, int, list[str]]:
    with app.extensions["contact_center"].sessions() as session:
        ticket = find_by_code(session, code)
        return ticket.status, ticket.forwarded_to, ticket.version, [s.note for s in ticket.history]


def _form_fields(page: str, form_id: str) -> dict[str, str]:
    """The hidden fields of one form of a page (as the browser would send them)."""
    form = re.search(rf'<form [^>]*id="{form_id}".*?</form>', page, re.S)
    assert form, f"no form {form_id}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form[0]))


def test_the_status_list_starts_on_no_status_and_the_form_carries_the_version(console_app: Flask) -> None:
    code = _ticket(console_app)
    page = _client(console_app, "Olga Operatrice").get(f"/console/tickets/{code}").get_data(as_text=True)
    assert '<option value="" selected>scegli il nuovo stato</option>' in page
    assert _form_fields(page, "cambia-stato")["version"] == "1"
    assert _form_fields(page, "inoltra")["version"] == "1"


def test_a_change_from_a_stale_tab_is_refused_and_the_current_state_shown(console_app: Flask) -> None:
    """Tab B was opened before tab A closed the ticket: B's "in lavorazione" must not reopen it."""
    code = _ticket(console_app)
    path = f"/console/tickets/{code}"
    tab_a, tab_b = _client(console_app, "Olga Operatrice"), _client(console_app, "Piero Operatore")
    page_a, page_b = tab_a.get(path).get_data(as_text=True), tab_b.get(path).get_data(as_text=True)
    closed = tab_a.post(f"{path}/status", data={**_form_fields(page_a, "cambia-stato"), "status": "closed"})
    assert closed.status_code == 302
    stale = tab_b.post(f"{path}/status", data={**_form_fields(page_b, "cambia-stato"), "status": "in_progress",
                                               "note": "richiamato il cittadino"})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "La richiesta è cambiata mentre la pagina era aperta: ora è «chiusa»" in html
    assert 'id="stato-richiesta">chiusa' in html
    assert ">richiamato il cittadino</textarea>" in html
    assert '<option value="" selected>scegli il nuovo stato</option>' in html
    assert _ticket_state(console_app, code)[:3] == ("closed", None, 2)
    fresh = _form_fields(html, "cambia-stato")
    assert fresh["version"] == "2"
    again = tab_b.post(f"{path}/status", data={**fresh, "status": "in_progress", "note": "riaperta"})
    assert again.status_code == 302
    assert _ticket_state(console_app, code)[0] == "in_progress"


def test_a_refused_forward_keeps_the_institution_and_the_note(console_app: Flask) -> None:
    code = _ticket(console_app)
    path = f"/console/tickets/{code}"
    olga, piero = _client(console_app, "Olga Operatrice"), _client(console_app, "Piero Operatore")
    old_page = piero.get(path).get_data(as_text=True)
    olga.post(f"{path}/status", data={**_form_fields(olga.get(path).get_data(as_text=True), "cambia-stato"),
                                      "status": "in_progress"})
    refused = piero.post(f"{path}/status", data={**_form_fields(old_page, "inoltra"),
                                                 "institution": "Regione Lazio", "note": "competenza regionale"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert 'name="institution" maxlength="200" required value="Regione Lazio"' in html
    assert ">competenza regionale</textarea>" in html
    assert _ticket_state(console_app, code)[0] == "in_progress"


def _claimed_entry(app: Flask, client: FlaskClient) -> tuple[int, str]:
    """A recorded message, claimed by the client's operator: (entry id, ticket code)."""
    call_sid = "CA" + "7" * 32
    with app.extensions["contact_center"].sessions.begin() as session:
        open_callback_request(session, call_sid, "+393471234567", "caller_id", "closed", now=LINE_OPEN_AT)
        attach_recording(session, call_sid, Recording("RE" + "7" * 32, "https://api.twilio.com/x", 9), "closed",
                         now=LINE_OPEN_AT)
    client.post("/console/callbacks/claim", data={"csrf_token": csrf_from(client, "/console/callbacks")})
    with app.extensions["contact_center"].sessions() as session:
        message = session.scalars(select(CallbackMessage).where(CallbackMessage.call_sid == call_sid)).one()
        code = session.get(Ticket, message.ticket_id).code
        return message.entry_id, code


def test_reached_and_forwarded_names_the_institution_and_keeps_the_note(console_app: Flask) -> None:
    olga = _client(console_app, "Olga Operatrice")
    entry_id, code = _claimed_entry(console_app, olga)
    path = f"/console/callbacks/{entry_id}"
    page = olga.get(path).get_data(as_text=True)
    assert '<label for="ente">Ente competente (solo se la richiesta è inoltrata)</label>' in page
    token = csrf_from(olga, path)
    missing = olga.post(f"{path}/outcome", data={"csrf_token": token, "outcome": "reached",
                                                 "ticket_status": "forwarded", "note": "frana in via Roma"})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 409
    assert f"per inoltrare la richiesta {code} indica l&#39;ente competente" in html
    assert "non può passare" not in html
    assert ">frana in via Roma</textarea>" in html
    assert 'value="reached" accesskey="1" required id="primo-esito" checked' in html
    assert '<option value="forwarded" selected>' in html
    assert _ticket_state(console_app, code)[0] == "received"
    done = olga.post(f"{path}/outcome", data={"csrf_token": token, "outcome": "reached", "ticket_status": "forwarded",
                                              "institution": "Comune  di Roma", "note": "frana in via Roma"})
    assert done.status_code == 302
    status, institution, _, notes = _ticket_state(console_app, code)
    assert (status, institution, notes[-1]) == ("forwarded", "Comune di Roma", "frana in via Roma")
    after = olga.get(path).get_data(as_text=True)
    assert "frana in via Roma" in after and "Comune di Roma" in after
    with console_app.extensions["contact_center"].sessions() as session:
        details = session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "callback_outcome")).all()
    assert details == ["raggiunto, richiesta: forwarded (Comune di Roma)"]


def test_a_refused_outcome_keeps_the_note(console_app: Flask) -> None:
    olga = _client(console_app, "Olga Operatrice")
    entry_id, _ = _claimed_entry(console_app, olga)
    path = f"/console/callbacks/{entry_id}"
    refused = olga.post(f"{path}/outcome", data={"csrf_token": csrf_from(olga, path), "outcome": "forse",
                                                 "note": "ha già risolto"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and ">ha già risolto</textarea>" in html
    assert "Esito non registrato" in html
