"""Supervisors' settings: extensions with announcements, closures, cancelling, the published preview."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from access.accounts import Role
from storage.hours_repository import list_entries
from storage.models import AuditEntry
from tests.conftest import LINE_OPEN_AT, make_app
from tests.test_console_support import create_account, post_form, sign_in

ROME = ZoneInfo("Europe/Rome")
PAGE = "/console/settings"


@pytest.fixture
def console_app(settings) -> Iterator[Flask]:
    app = make_app(settings)
    create_account(app, "Sara Supervisora", Role.SUPERVISOR)
    yield app
    app.extensions["contact_center"].engine.dispose()


@pytest.fixture
def client(console_app: Flask) -> FlaskClient:
    client = console_app.test_client()
    assert sign_in(client, "Sara Supervisora").status_code == 302
    return client


def _local(delta: timedelta) -> str:
    return (LINE_OPEN_AT + delta).astimezone(ROME).strftime("%Y-%m-%dT%H:%M")


def test_an_extension_with_its_announcement_is_stored_and_previewed(console_app: Flask, client: FlaskClient) -> None:
    post_form(client, f"{PAGE}/extensions", {"starts": _local(-timedelta(hours=1)), "ends": _local(timedelta(days=2)),
                                             "all_day": "1", "announcement": "Allerta  meteo in Emilia-Romagna."}, PAGE)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Apertura straordinaria salvata" in page and "tutto il giorno" in page
    preview = page[page.index('id="anteprima"'):]
    assert '<dt>Adesso</dt><dd id="stato-linea">Il servizio è attivo in orario straordinario.' in preview
    assert re.search(r'<dt>Orario ordinario</dt><dd id="orario-ordinario">Il servizio è attivo [^<]*\. '
                     r'Oltre a questo valgono le aperture straordinarie qui sotto\.</dd>', preview)
    assert "<td>tutto il giorno</td><td>Allerta meteo in Emilia-Romagna.</td>" in preview
    with console_app.extensions["contact_center"].sessions() as session:
        [entry] = list_entries(session)
        assert (entry.kind, entry.bands, entry.created_by) == ("extension", None, "Sara Supervisora")
        assert session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("hours_%"))).all() == [
            "hours_extension"]


def test_a_closure_and_its_cancellation(console_app: Flask, client: FlaskClient) -> None:
    post_form(client, f"{PAGE}/closures", {"starts": _local(timedelta(days=3)), "ends": _local(timedelta(days=4)),
                                           "reason": "Manutenzione"}, PAGE)
    with console_app.extensions["contact_center"].sessions() as session:
        [entry] = list_entries(session)
    assert entry.kind == "closure" and entry.text == "Manutenzione"
    page = client.get(PAGE).get_data(as_text=True)
    # The id only in form actions (the random CSRF token may spell it by chance: it is left out too).
    outside_actions = re.sub(r'action="[^"]*"|name="csrf_token" value="[^"]*"', "", page)
    assert f"Annulla {entry.id}" not in page and entry.id not in outside_actions
    assert 'aria-label="Annulla chiusura dal ' in page and 'name="confirm" value="1" required' in page
    post_form(client, f"{PAGE}/{entry.id}/cancel", {}, PAGE)
    assert "Modifica non annullata: spunta «confermo»" in client.get(PAGE).get_data(as_text=True)
    with console_app.extensions["contact_center"].sessions() as session:
        assert len(list_entries(session)) == 1
    post_form(client, f"{PAGE}/{entry.id}/cancel", {"confirm": "1"}, PAGE)
    assert "Modifica annullata" in client.get(PAGE).get_data(as_text=True)
    with console_app.extensions["contact_center"].sessions() as session:
        assert list_entries(session) == []


@pytest.mark.parametrize(("form", "reason"), [
    ({"starts": "domani", "ends": "2030-01-01T10:00", "all_day": "1"}, "scrivi data e ora"),
    ({"starts": "2030-01-02T10:00", "ends": "2030-01-01T10:00", "all_day": "1"}, "la fine deve venire dopo"),
    ({"starts": "2020-01-01T10:00", "ends": "2020-01-02T10:00", "all_day": "1"}, "già passato"),
    ({"starts": "2030-03-31T02:30", "ends": "2030-04-01T10:00", "all_day": "1"}, "non esiste"),
    ({"starts": "2030-01-01T10:00", "ends": "2030-01-02T10:00", "bands": ""}, "indica le fasce"),
    ({"starts": "2030-01-01T10:00", "ends": "2030-01-02T10:00", "bands": "8-20"}, "fasce orarie non valide"),
])
def test_bad_forms_say_what_to_correct(console_app: Flask, client: FlaskClient, form: dict[str, str],
                                       reason: str) -> None:
    refused = post_form(client, f"{PAGE}/extensions", form, PAGE)
    assert refused.status_code == 400 and reason in refused.get_data(as_text=True)
    with console_app.extensions["contact_center"].sessions() as session:
        assert list_entries(session) == []


def test_a_refused_extension_keeps_its_dates_bands_and_announcement(client: FlaskClient) -> None:
    form = {"starts": "2030-01-02T10:00", "ends": "2030-01-01T10:00", "bands": "08:00-20:00",
            "announcement": "Allerta meteo in Emilia-Romagna."}
    page = post_form(client, f"{PAGE}/extensions", form, PAGE).get_data(as_text=True)
    assert "la fine deve venire dopo" in page
    assert 'id="ext-starts" name="starts" type="datetime-local" required value="2030-01-02T10:00"' in page
    assert 'id="ext-ends" name="ends" type="datetime-local" required value="2030-01-01T10:00"' in page
    assert 'value="08:00-20:00"' in page
    assert ">Allerta meteo in Emilia-Romagna.</textarea>" in page
    assert 'id="clo-starts" name="starts" type="datetime-local" required value=""' in page  # the other form stays empty


def test_a_refused_closure_keeps_its_reason(client: FlaskClient) -> None:
    page = post_form(client, f"{PAGE}/closures", {"starts": "2030-01-02T10:00", "ends": "2030-01-01T10:00",
                                                   "reason": "Manutenzione"}, PAGE).get_data(as_text=True)
    assert 'id="clo-reason" name="reason" maxlength="600" value="Manutenzione"' in page
    assert 'id="clo-starts" name="starts" type="datetime-local" required value="2030-01-02T10:00"' in page
