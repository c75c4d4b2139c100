"""Presence in the console: each operator sets their own; supervisors see the board."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from access.accounts import Role
from agents.roster import add_agent
from storage.models import Agent
from tests.conftest import LINE_OPEN_AT, make_app
from tests.test_console_support import create_account, post_form, sign_in


@pytest.fixture
def console_app(settings) -> Iterator[Flask]:
    app = make_app(settings)
    create_account(app, "Olga Operatrice", Role.OPERATOR)
    create_account(app, "Nino Nuovo", Role.OPERATOR)
    create_account(app, "Sara Supervisora", Role.SUPERVISOR)
    with app.extensions["contact_center"].sessions.begin() as session:
        add_agent(session, "Olga Operatrice", phone="+390612345678", now=LINE_OPEN_AT)
        add_agent(session, "Piero Pronto", phone="+390612345679", now=LINE_OPEN_AT)
    yield app
    app.extensions["contact_center"].engine.dispose()


def _signed_in(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, name).status_code == 302
    return client


def _state(app: Flask, name: str) -> str:
    with app.extensions["contact_center"].sessions() as session:
        return session.scalar(select(Agent.state).where(Agent.name == name))


def test_an_operator_sets_their_own_presence(console_app: Flask) -> None:
    client = _signed_in(console_app, "Olga Operatrice")
    assert "non in servizio" in client.get("/console/presence").get_data(as_text=True)
    post_form(client, "/console/presence", {"state": "available"}, "/console/presence")
    assert _state(console_app, "Olga Operatrice") == "available"
    page = client.get("/console/presence").get_data(as_text=True)
    assert "Il tuo stato è ora: disponibile" in page and "Il tuo stato: <strong>disponibile</strong>, da" in page
    post_form(client, "/console/presence", {"state": "on_call"}, "/console/presence")
    assert "Stato non valido" in client.get("/console/presence").get_data(as_text=True)
    assert _state(console_app, "Olga Operatrice") == "available"
    assert _state(console_app, "Piero Pronto") == "offline"


def test_an_account_not_on_the_roster_is_told_so(console_app: Flask) -> None:
    client = _signed_in(console_app, "Nino Nuovo")
    post_form(client, "/console/presence", {"state": "available"}, "/console/presence")
    assert "Non sei nell&#39;elenco degli operatori" in client.get("/console/presence").get_data(as_text=True)


def test_supervisors_see_everyones_state_and_for_how_long(console_app: Flask) -> None:
    operator = _signed_in(console_app, "Olga Operatrice")
    post_form(operator, "/console/presence", {"state": "away"}, "/console/presence")
    assert operator.get("/console/presence/board").status_code == 403
    board = _signed_in(console_app, "Sara Supervisora").get("/console/presence/board").get_data(as_text=True)
    assert "<td>Olga Operatrice</td><td>in pausa</td><td>0 s</td>" in board.replace("1 s", "0 s")
    assert "<td>Piero Pronto</td><td>non in servizio</td>" in board
