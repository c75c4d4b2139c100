"""In Debian's chromium: every public page that takes data shows the privacy notice and its link; a supervisor
answers an erasure request in the console."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from access.accounts import Role
from tests.browser_support import live_server, sign_in_with_the_form
from tests.conftest import LINE_OPEN_AT, make_app, make_settings
from tests.test_console_support import create_account
from tickets.repository import create_ticket
from tickets.status import Channel

pytestmark = pytest.mark.browser
NOTICE_URL = "https://www.protezionecivile.gov.it/it/privacy-contact-center/"
WEB_NOTICE = "I dati personali sono trattati dal Dipartimento della Protezione Civile solo per rispondere"


@pytest.fixture
def site(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[str, Flask]]:
    app = make_app(make_settings(sqlite_url, tmp_path / "instance", privacy={"notice_url": NOTICE_URL}))
    create_account(app, "Sara Supervisore", Role.SUPERVISOR)
    with app.extensions["contact_center"].sessions.begin() as session:
        create_ticket(session, now=LINE_OPEN_AT, channel=Channel.EMAIL, summary="Domanda", email="anna@example.org")
    with live_server(app) as base:
        yield base, app
    app.extensions["contact_center"].engine.dispose()


@pytest.mark.parametrize("path", ["/scrivi", "/status"])
def test_every_form_that_takes_data_shows_the_notice_and_links_the_full_text(
        site: tuple[str, Flask], page: Page, path: str) -> None:
    base, _ = site
    page.goto(f"{base}{path}")
    expect(page.locator("form").first).to_be_visible()
    notice = page.locator("#informativa-privacy")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(WEB_NOTICE)
    link = notice.get_by_role("link", name="Informativa completa sul trattamento dei dati personali")
    expect(link).to_have_attribute("href", NOTICE_URL)


def test_the_written_form_links_the_notice_next_to_the_consent_box(site: tuple[str, Flask], page: Page) -> None:
    base, _ = site
    page.goto(f"{base}/scrivi")
    expect(page.locator("#privacy-testo").get_by_role("link", name="Leggi l'informativa completa")).to_have_attribute(
        "href", NOTICE_URL)


def test_a_supervisor_finds_and_erases_a_citizens_data(site: tuple[str, Flask], page: Page) -> None:
    base, _ = site
    page.goto(f"{base}/console/login")
    sign_in_with_the_form(page, "Sara Supervisore")
    page.get_by_role("link", name="Privacy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Richieste privacy dei cittadini")
    page.get_by_label("Indirizzo e-mail").fill("Anna@Example.org")
    page.get_by_role("button", name="Cerca i dati").click()
    expect(page.get_by_role("heading", name="Dati trovati")).to_be_visible()
    expect(page.get_by_role("row", name="Richieste")).to_contain_text("email")
    page.get_by_label("Per confermare scrivi CANCELLA").fill("CANCELLA")
    page.get_by_role("button", name="Cancella i dati").click()
    expect(page.get_by_role("heading", name="Cancellazione eseguita")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("I conteggi del dossier restano.")
    page.get_by_role("button", name="Cerca i dati").click()
    expect(page.locator("#privacy-nulla")).to_have_text("Il servizio non conserva dati su questo numero o indirizzo.")
