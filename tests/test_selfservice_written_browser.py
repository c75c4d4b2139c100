"""«Scrivi al Contact Center» in Debian's chromium: a citizen writes, the code arrives by mail, an operator answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from access.accounts import Role
from tests.browser_support import live_server, sign_in_with_the_form
from tests.smtp_support import SmtpServer
from tests.test_console_support import create_account
from tests.written_support import close_app, mail_app

pytestmark = pytest.mark.browser


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def site(sqlite_url: str, tmp_path: Path, smtp: SmtpServer) -> Iterator[tuple[str, Flask]]:
    """The app with its own sender thread, mailing through the loopback SMTP server, served on a free port."""
    app = mail_app(sqlite_url, tmp_path, smtp.url, background=True)
    create_account(app, "Olga Operatrice", Role.OPERATOR)
    with live_server(app) as base:
        yield base, app
    close_app(app)


def test_a_citizen_writes_gets_the_code_by_mail_and_an_operator_answers(
        site: tuple[str, Flask], page: Page, smtp: SmtpServer) -> None:
    base, _ = site
    page.goto(f"{base}/scrivi")
    expect(page.get_by_role("heading", level=1)).to_have_text("Scrivi al Contact Center")
    expect(page.get_by_role("note", name="Emergenze")).to_contain_text("Chiama subito il 112")
    page.get_by_label("Normativa nazionale").check()
    page.get_by_label("Nome e cognome (facoltativo)").fill("Mario Rossi")
    page.get_by_label("Indirizzo e-mail").fill("mario.rossi@example.org")
    page.get_by_label("Testo della richiesta").fill("Dove trovo il piano di protezione civile del mio comune?")
    page.get_by_label("Ho letto l'informativa sul trattamento dei dati personali").check()
    page.get_by_role("button", name="Invia la richiesta").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Richiesta inviata")
    shown = page.locator("#codice")
    expect(shown).to_have_text(re.compile(r"^\d{4} \d{4} \d{4}$"))
    spaced = shown.inner_text()
    code = spaced.replace(" ", "")
    [mail] = smtp.mailbox.wait_for(1)
    assert mail["To"] == "mario.rossi@example.org"
    assert spaced in mail["Subject"]
    assert f"{base}/status?code={code}" in mail.get_body(("plain",)).get_content()

    page.get_by_role("link", name="Controlla lo stato della richiesta").click()
    expect(page.get_by_role("status")).to_contain_text("ricevuta")
    expect(page.get_by_role("heading", level=2)).to_have_text(f"Richiesta {spaced}")

    page.goto(f"{base}/console/tickets/{code}")
    sign_in_with_the_form(page, "Olga Operatrice")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Richiesta {code}")
    page.get_by_label("Testo della risposta").fill("Buongiorno, il piano è pubblicato sul sito del suo Comune.")
    page.get_by_label("Chiudi la richiesta con questa risposta").check()
    page.get_by_role("button", name="Invia la risposta").click()
    expect(page.get_by_role("status")).to_contain_text("Risposta inviata al cittadino e richiesta chiusa.")
    expect(page.locator("#stato-richiesta")).to_have_text("chiusa")
    expect(page.get_by_role("cell", name="Buongiorno, il piano è pubblicato sul sito del suo Comune.")).to_be_visible()
    answer = smtp.mailbox.wait_for(2)[1]
    assert answer["Subject"].startswith(f"Risposta alla richiesta {spaced}")
    assert "il piano è pubblicato sul sito del suo Comune." in answer.get_body(("plain",)).get_content()


def test_errors_are_announced_and_lead_to_their_fields(site: tuple[str, Flask], page: Page) -> None:
    base, _ = site
    page.goto(f"{base}/scrivi")
    page.get_by_label("Indirizzo e-mail").fill("mario.rossi@")
    page.get_by_role("button", name="Invia la richiesta").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("L'indirizzo e-mail non è valido")
    expect(page).to_have_title(re.compile(r"^Errore: Scrivi al Contact Center"))
    email = page.get_by_label("Indirizzo e-mail")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_value("mario.rossi@")
    expect(email).to_have_accessible_description(re.compile("Ti invieremo il codice.*L'indirizzo e-mail non è valido"))
    summary.get_by_role("link", name=re.compile("L'indirizzo e-mail non è valido")).click()
    expect(email).to_be_focused()
