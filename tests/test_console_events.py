"""Supervisors name and remove emergency events from the console: forms, CSRF, audit, roles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from access.accounts import Role
from storage.models import AuditEntry, EmergencyEvent
from tests.conftest import make_app
from tests.test_console_support import create_account, csrf_from, post_form, sign_in

PAGE = "/console/events"
SUPERVISOR = "Silvia Supervisora"
OPERATOR = "Olga Operatrice"


@pytest.fixture
def events_app(settings) -> Iterator[Flask]:
    app = make_app(settings)
    create_account(app, SUPERVISOR, Role.SUPERVISOR)
    create_account(app, OPERATOR, Role.OPERATOR)
    yield app
    app.extensions["contact_center"].engine.dispose()


def _client(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, name).status_code == 302
    return client


def _events(app: Flask) -> list[tuple[str, datetime, datetime, str, str]]:
    with app.extensions["contact_center"].sessions() as db:
        return [(event.name, event.starts_at, event.ends_at, event.description, event.created_by)
                for event in db.scalars(select(EmergencyEvent).order_by(EmergencyEvent.id))]


def _audit(app: Flask) -> list[tuple[str, str, str, str]]:
    with app.extensions["contact_center"].sessions() as db:
        return [(entry.actor, entry.action, entry.target, entry.detail)
                for entry in db.scalars(select(AuditEntry).where(AuditEntry.action.like("event_%"))
                                        .order_by(AuditEntry.id))]


def test_a_supervisor_names_an_event_over_local_days_and_the_change_is_audited(events_app: Flask) -> None:
    client = _client(events_app, SUPERVISOR)
    saved = post_form(client, PAGE, {"name": "  Terremoto   Emilia ", "first": "2026-05-20", "last": "16/06/2026",
                                     "description": "Scosse di magnitudo 5.9 e 5.8"}, PAGE)
    assert (saved.status_code, saved.headers["Location"]) == (302, PAGE)
    # Whole local days in Europe/Rome (UTC+2 in summer), stored in UTC.
    assert _events(events_app) == [("Terremoto Emilia", datetime(2026, 5, 19, 22, tzinfo=UTC),
                                    datetime(2026, 6, 16, 22, tzinfo=UTC), "Scosse di magnitudo 5.9 e 5.8",
                                    SUPERVISOR)]
    assert _audit(events_app) == [(SUPERVISOR, "event_add", "Terremoto Emilia", "2026-05-20 → 2026-06-16")]
    page = client.get(PAGE).get_data(as_text=True)
    assert "Evento «Terremoto Emilia» salvato" in page
    assert '<a href="/console/dossier?event=Terremoto+Emilia">Terremoto Emilia</a>' in page
    assert "<td>20/05/2026</td><td>16/06/2026</td>" in page and "<td>28</td>" in page


@pytest.mark.parametrize(("form", "correction"), [
    ({"name": "", "first": "2026-05-20", "last": "2026-05-21"}, "dai un nome"),
    ({"name": "X" * 121, "first": "2026-05-20", "last": "2026-05-21"}, "il nome è troppo lungo"),
    ({"name": "Alluvione", "first": "20 maggio", "last": "2026-05-21"}, "scrivi le due date"),
    ({"name": "Alluvione", "first": "2026-02-30", "last": "2026-05-21"}, "scrivi le due date"),
    ({"name": "Alluvione", "first": "2026-05-21", "last": "2026-05-20"}, "non può venire prima del primo"),
    ({"name": "Alluvione", "first": "2020-01-01", "last": "2026-05-20"}, "al massimo tre anni"),
])
def test_a_bad_form_says_what_to_correct_and_comes_back_filled_in(events_app: Flask, form: dict[str, str],
                                                                     correction: str) -> None:
    client = _client(events_app, SUPERVISOR)
    answer = post_form(client, PAGE, form, PAGE)
    assert answer.status_code == 302 and answer.headers["Location"].startswith(f"{PAGE}?")
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Evento non salvato:" in page and correction in page
    assert f'value="{form["first"]}"' in page
    assert _events(events_app) == [] and _audit(events_app) == []


def test_a_name_already_taken_is_refused_and_the_first_event_is_kept(events_app: Flask) -> None:
    client = _client(events_app, SUPERVISOR)
    post_form(client, PAGE, {"name": "Alluvione Marche", "first": "2026-09-15", "last": "2026-09-30"}, PAGE)
    post_form(client, PAGE, {"name": "Alluvione  Marche", "first": "2026-10-01", "last": "2026-10-02"}, PAGE)
    assert "esiste già un evento con questo nome" in client.get(PAGE).get_data(as_text=True)
    assert [(name, starts.date()) for name, starts, *_ in _events(events_app)] == [
        ("Alluvione Marche", datetime(2026, 9, 14).date())]


def test_removing_an_event_keeps_the_others_and_is_audited(events_app: Flask) -> None:
    client = _client(events_app, SUPERVISOR)
    for name, first in (("Alluvione Marche", "2026-09-15"), ("Sisma Campi Flegrei", "2026-10-01")):
        post_form(client, PAGE, {"name": name, "first": first, "last": first}, PAGE)
    with events_app.extensions["contact_center"].sessions() as db:
        target = db.scalar(select(EmergencyEvent.id).where(EmergencyEvent.name == "Alluvione Marche"))
    unconfirmed = post_form(client, f"{PAGE}/{target}/remove", {}, PAGE)
    assert (unconfirmed.status_code, unconfirmed.headers["Location"]) == (302, PAGE)
    assert "Evento non eliminato: spunta «confermo»" in client.get(PAGE).get_data(as_text=True)
    assert len(_events(events_app)) == 2
    removed = post_form(client, f"{PAGE}/{target}/remove", {"confirm": "1"}, PAGE)
    assert (removed.status_code, removed.headers["Location"]) == (302, PAGE)
    assert [row[0] for row in _events(events_app)] == ["Sisma Campi Flegrei"]
    assert _audit(events_app)[-1] == (SUPERVISOR, "event_remove", "Alluvione Marche", "")
    assert "Evento «Alluvione Marche» eliminato" in client.get(PAGE).get_data(as_text=True)
    again = post_form(client, f"{PAGE}/{target}/remove", {"confirm": "1"}, PAGE)
    assert again.status_code == 302
    assert "Evento non trovato" in client.get(PAGE).get_data(as_text=True)
    assert [row[0] for row in _events(events_app)] == ["Sisma Campi Flegrei"]


def test_operators_and_strangers_cannot_see_or_change_events(events_app: Flask) -> None:
    anonymous = events_app.test_client()
    assert anonymous.get(PAGE).status_code == 302
    operator = _client(events_app, OPERATOR)
    assert operator.get(PAGE).status_code == 403
    token = csrf_from(operator, "/console/today")
    refused = operator.post(PAGE, data={"name": "Finto", "first": "2026-05-20", "last": "2026-05-21",
                                        "csrf_token": token})
    assert refused.status_code == 403
    today = operator.get("/console/today").get_data(as_text=True)
    assert 'href="/console/events"' not in today and 'href="/console/dossier"' not in today
    assert _events(events_app) == []


def test_a_form_without_its_csrf_token_changes_nothing(events_app: Flask) -> None:
    client = _client(events_app, SUPERVISOR)
    forged = client.post(PAGE, data={"name": "Finto", "first": "2026-05-20", "last": "2026-05-21"})
    assert forged.status_code in (400, 403)
    assert _events(events_app) == [] and _audit(events_app) == []


def test_the_supervisors_navigation_leads_to_events_and_the_dossier(events_app: Flask) -> None:
    today = _client(events_app, SUPERVISOR).get("/console/today").get_data(as_text=True)
    assert 'href="/console/events" accesskey="e"' in today and 'href="/console/dossier" accesskey="d"' in today
