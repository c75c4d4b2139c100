"""`GET /console/dossier`: supervisors only, the chosen period or event, bad input answered, no personal data."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from access.accounts import Role
from contact_center.config import Settings
from figures.events import add_event
from tests.conftest import make_app
from tests.figures_dataset import EVENT_PERIOD, SECRET_NUMBERS, SECRET_TEXTS, load_dataset, rome
from tests.test_console_support import create_account, sign_in

SUPERVISOR = "Silvia Supervisora"
OPERATOR = "Olga Operatrice"


@pytest.fixture
def dossier_app(settings: Settings) -> Iterator[Flask]:
    """The app on each database with the known data set, its event, a supervisor and an operator."""
    app = make_app(settings)
    runtime = app.extensions["contact_center"]
    load_dataset(runtime.engine)
    with Session(runtime.engine) as session:
        add_event(session, "Terremoto Emilia", EVENT_PERIOD, SUPERVISOR, "Casa di Mario Rossi lesionata")
        session.commit()
    runtime.clock = lambda: rome(2026, 5, 31, 12)
    create_account(app, SUPERVISOR, Role.SUPERVISOR)
    create_account(app, OPERATOR, Role.OPERATOR)
    yield app
    runtime.engine.dispose()


def signed_in(app: Flask, name: str) -> FlaskClient:
    """A browser session signed in as `name`."""
    client = app.test_client()
    assert sign_in(client, name).status_code == 302
    return client


def test_only_signed_in_supervisors_see_it(dossier_app: Flask) -> None:
    anonymous = dossier_app.test_client().get("/console/dossier?from=2026-05-01&to=2026-05-31")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"] == "/console/login?next=/console/dossier?from%3D2026-05-01%26to%3D2026-05-31"
    assert b"Chiamate" not in anonymous.data
    operator = signed_in(dossier_app, OPERATOR).get("/console/dossier")
    assert operator.status_code == 403
    assert "riservata ai supervisori" in operator.get_data(as_text=True) and b"<svg" not in operator.data


def test_a_supervisor_sees_the_last_30_days_by_default(dossier_app: Flask) -> None:
    response = signed_in(dossier_app, SUPERVISOR).get("/console/dossier")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Periodo: dal 02/05/2026 al 31/05/2026 (30 giorni)" in page
    assert page.count("<svg") == 6
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert '<option selected>Terremoto Emilia</option>' not in page and "<option>Terremoto Emilia</option>" in page
    assert '<a href="/console/today">&larr; Torna alla console</a>' in page


def test_an_event_page_compares_it_with_its_ordinary_period(dossier_app: Flask) -> None:
    response = signed_in(dossier_app, SUPERVISOR).get("/console/dossier?event=Terremoto+Emilia")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Contact Center 800 840 840: Terremoto Emilia" in page
    assert "periodo ordinario dal 17/05/2026 al 19/05/2026" in page
    summary = re.search(r"<td>Chiamate ricevute</td><td class=\"n\">(.*?)</td><td class=\"n\">(.*?)</td>"
                        r"<td class=\"n\">(.*?)</td>", page)
    assert summary is not None and summary.groups() == ("10", "5", "+100,0 %")
    assert "<option selected>Terremoto Emilia</option>" in page


@pytest.mark.parametrize(("query", "message"), [
    ("from=2026-13-01&to=2026-05-31", "Periodo non valido"),
    ("from=2026-05-31&to=2026-05-01", "Periodo non valido"),
    ("from=2026-05-01", "Periodo non valido"),
    ("event=Alluvione", "Evento non trovato"),
])
def test_bad_input_gets_a_note_and_the_default_period(dossier_app: Flask, query: str, message: str) -> None:
    response = signed_in(dossier_app, SUPERVISOR).get(f"/console/dossier?{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'role="alert"' in page
    assert "Periodo: dal 02/05/2026 al 31/05/2026" in page


def test_the_page_holds_no_personal_data(dossier_app: Flask) -> None:
    client = signed_in(dossier_app, SUPERVISOR)
    pages = [client.get(f"/console/dossier?{query}").get_data(as_text=True)
             for query in ("from=2026-05-01&to=2026-05-31", "event=Terremoto+Emilia")]
    for page in pages:
        for secret in (*SECRET_NUMBERS, *SECRET_TEXTS, SUPERVISOR, "Casa di Mario Rossi"):
            assert secret not in page


def test_the_dossier_has_the_console_header_and_each_table_downloads_as_csv(dossier_app: Flask) -> None:
    client = signed_in(dossier_app, SUPERVISOR)
    page = client.get("/console/dossier?event=Terremoto+Emilia").get_data(as_text=True)
    assert '<nav aria-label="Sezioni della console">' in page
    assert '<a href="/console/callbacks">Richiamate</a>' in page
    assert '<a href="/console/dossier" aria-current="page">Dossier</a>' in page
    link = re.search(r'<a href="(/console/dossier/csv\?[^"]*table=sintesi)" download="sintesi.csv">', page)
    assert link is not None and "event=Terremoto+Emilia" in link[1]
    assert "Ogni tabella si può scaricare in formato CSV" in page
    response = client.get(link[1].replace("&amp;", "&"))
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="sintesi.csv"'
    rows = response.get_data(as_text=True).splitlines()
    assert rows[1].startswith("Chiamate ricevute,10,5,")
    assert client.get("/console/dossier/csv?event=Terremoto+Emilia&table=nessuna").status_code == 404
    assert signed_in(dossier_app, OPERATOR).get(link[1].replace("&amp;", "&")).status_code == 403
