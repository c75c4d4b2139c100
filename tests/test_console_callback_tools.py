"""The callback list's tools: search by number or code, "Mie", releasing a claim, "Registra e prendi il prossimo"."""

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
from tests.test_console_support import create_account, csrf_from, post_form, sign_in
from voicemail.callbacks import open_callback_request


@pytest.fixture
def console_app(settings) -> Iterator[Flask]:
    app = make_app(settings)
    create_account(app, "Olga Operatrice", Role.OPERATOR)
    create_account(app, "Piero Operatore", Role.OPERATOR)
    yield app
    app.extensions["contact_center"].engine.dispose()


def _client(app: Flask, name: str = "Olga Operatrice") -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, name).status_code == 302
    return client


def _leave(app: Flask, index: int) -> tuple[int, str]:
    """A message from +39347000000<index>: (entry id, ticket code)."""
    call_sid = f"CA{index:032x}"
    with app.extensions["contact_center"].sessions.begin() as session:
        open_callback_request(session, call_sid, f"+39347{index:07d}", "caller_id", "closed", now=LINE_OPEN_AT)
    with app.extensions["contact_center"].sessions() as session:
        message = session.scalars(select(CallbackMessage).where(CallbackMessage.call_sid == call_sid)).one()
        return message.entry_id, session.get(Ticket, message.ticket_id).code


def _listed(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<td><a href="/console/callbacks/(\d+)">', page)]


def test_search_finds_an_entry_by_number_or_code_in_any_view(console_app: Flask) -> None:
    first, code = _leave(console_app, 1)
    second, _ = _leave(console_app, 2)
    client = _client(console_app)
    post_form(client, "/console/callbacks/claim", {}, "/console/callbacks")  # the first is no longer "due"
    by_number = client.get("/console/callbacks", query_string={"q": "347 000 0001"}).get_data(as_text=True)
    assert _listed(by_number) == [first] and "Richiamate di «347 000 0001», in ogni stato." in by_number
    assert 'name="q" type="search" maxlength="64" value="347 000 0001"' in by_number
    by_code = client.get("/console/callbacks", query_string={"q": f"{code[:4]} {code[4:]}"}).get_data(as_text=True)
    assert _listed(by_code) == [first]
    assert _listed(client.get("/console/callbacks", query_string={"q": "+393470000002"}).get_data(as_text=True)) \
        == [second]
    assert _listed(client.get("/console/callbacks", query_string={"q": "333 111 2222"}).get_data(as_text=True)) == []
    bad = client.get("/console/callbacks", query_string={"q": "ciao"})
    assert bad.status_code == 302
    assert "cerca un numero di telefono o un codice di 12 cifre" in client.get(bad.headers["Location"]).get_data(
        as_text=True)


def test_mine_lists_only_the_entries_i_hold(console_app: Flask) -> None:
    first, _ = _leave(console_app, 1)
    second, _ = _leave(console_app, 2)
    _leave(console_app, 3)
    olga, piero = _client(console_app), _client(console_app, "Piero Operatore")
    post_form(olga, "/console/callbacks/claim", {}, "/console/callbacks")
    post_form(piero, "/console/callbacks/claim", {}, "/console/callbacks")
    page = olga.get("/console/callbacks", query_string={"view": "mine"}).get_data(as_text=True)
    assert _listed(page) == [first]
    assert "mie (in carico a me): <strong>1</strong>" in page
    assert _listed(piero.get("/console/callbacks", query_string={"view": "mine"}).get_data(as_text=True)) == [second]


def test_releasing_a_claim_puts_the_entry_back_with_an_audit_line(console_app: Flask) -> None:
    entry_id, _ = _leave(console_app, 1)
    olga, piero = _client(console_app), _client(console_app, "Piero Operatore")
    post_form(olga, "/console/callbacks/claim", {}, "/console/callbacks")
    path = f"/console/callbacks/{entry_id}"
    assert "Rilascia" in olga.get(path).get_data(as_text=True)
    refused = post_form(piero, f"{path}/release", {}, path)
    assert "assegnata a Olga Operatrice" in piero.get(refused.headers["Location"]).get_data(as_text=True)
    released = post_form(olga, f"{path}/release", {}, path)
    assert released.headers["Location"] == "/console/callbacks"
    listing = olga.get("/console/callbacks").get_data(as_text=True)
    assert f"Richiamata {entry_id} rilasciata" in listing and _listed(listing) == [entry_id]
    page = olga.get(path).get_data(as_text=True)
    assert 'id="stato-richiamata">da richiamare' in page and "Tentativi</dt><dd>0" in page
    with console_app.extensions["contact_center"].sessions() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("callback_%"))).all()
    assert actions == ["callback_claim", "callback_release"]


def test_record_and_take_the_next_one(console_app: Flask) -> None:
    first, _ = _leave(console_app, 1)
    second, _ = _leave(console_app, 2)
    olga = _client(console_app)
    post_form(olga, "/console/callbacks/claim", {}, "/console/callbacks")
    path = f"/console/callbacks/{first}"
    assert "Registra e prendi il prossimo" in olga.get(path).get_data(as_text=True)
    done = olga.post(f"{path}/outcome", data={"csrf_token": csrf_from(olga, path), "outcome": "wrong_number",
                                              "then": "next"})
    assert done.headers["Location"] == f"/console/callbacks/{second}"
    page = olga.get(done.headers["Location"]).get_data(as_text=True)
    assert "Esito registrato: numero errato" in page and f"Richiamata {second} assegnata a te" in page
    last = olga.post(f"/console/callbacks/{second}/outcome",
                     data={"csrf_token": csrf_from(olga, path), "outcome": "wrong_number", "then": "next"})
    assert last.headers["Location"] == "/console/callbacks"
    assert "Non ci sono richiamate da fare adesso" in olga.get("/console/callbacks").get_data(as_text=True)
