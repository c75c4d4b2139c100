"""The console in Debian's chromium: signing in, the keyboard, and an operator's work."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect, sync_playwright
from werkzeug.serving import make_server

from console.accounts import Role
from tests.conftest import make_app, make_settings
from tests.test_console_support import PASSWORD, create_account
from tickets.repository import create_ticket, find_by_code
from tickets.status import Channel, Topic

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def site(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[str, Flask]]:
    """The app served over HTTP on a free local port, with an operator's account."""
    app = make_app(make_settings(sqlite_url, tmp_path / "instance"))
    create_account(app, "Olga Operatrice", Role.OPERATOR)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    thread.join()
    app.extensions["contact_center"].engine.dispose()


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser.new_page(locale="it-IT")
        browser.close()


def sign_in_with_the_keyboard(page: Page, base: str, name: str = "Olga Operatrice") -> None:
    """Open the sign-in page and sign in using only the keyboard."""
    page.goto(f"{base}/console/today")
    expect(page).to_have_url(f"{base}/console/login?next=/console/today")
    expect(page.get_by_label("Nome utente")).to_be_focused()
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/console/today")


def test_sign_in_and_the_skip_link_come_first(site: tuple[str, Flask], page: Page) -> None:
    base, _ = site
    sign_in_with_the_keyboard(page, base)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Oggi")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Vai al contenuto")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_a_wrong_password_is_announced(site: tuple[str, Flask], page: Page) -> None:
    base, _ = site
    page.goto(f"{base}/console/login")
    page.get_by_label("Nome utente").fill("Olga Operatrice")
    page.get_by_label("Password").fill("non è questa")
    page.get_by_role("button", name="Entra").click()
    expect(page.get_by_role("alert")).to_have_text("Nome utente o password non validi.")


def test_an_operator_finds_a_ticket_and_forwards_it(site: tuple[str, Flask], page: Page) -> None:
    base, app = site
    with app.extensions["contact_center"].sessions.begin() as session:
        code = create_ticket(session, channel=Channel.PHONE, topic=Topic.RISKS, phone="+393471234567").code
    sign_in_with_the_keyboard(page, base)
    tickets_link = page.get_by_role("link", name="Richieste")
    expect(tickets_link).to_have_attribute("accesskey", "q")
    tickets_link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/console/tickets")
    expect(page.get_by_label("Codice della richiesta o numero di telefono")).to_be_focused()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Richiesta {code}")
    page.get_by_label("Ente competente").fill("Regione Lazio")
    page.get_by_role("button", name="Inoltra").click()
    expect(page.get_by_role("status")).to_contain_text("Stato aggiornato: inoltrata all'ente competente")
    expect(page.locator("#stato-richiesta")).to_contain_text("Regione Lazio")
    with app.extensions["contact_center"].sessions() as session:
        assert find_by_code(session, code).forwarded_to == "Regione Lazio"
