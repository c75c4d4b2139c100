"""The "Stato della richiesta" page in Debian's chromium: used with the keyboard only, errors announced."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser_support import live_server
from tests.conftest import LINE_OPEN_AT, make_app, make_settings
from tickets.codes import format_code_for_display
from tickets.repository import create_ticket
from tickets.status import Channel

pytestmark = pytest.mark.browser


@pytest.fixture
def site(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[str, Flask]]:
    """The app served over HTTP on a free local port."""
    app = make_app(make_settings(sqlite_url, tmp_path / "instance"))
    with live_server(app) as base:
        yield base, app
    app.extensions["contact_center"].engine.dispose()


def test_a_keyboard_user_types_the_code_and_hears_the_status(site: tuple[str, Flask], page: Page) -> None:
    base, app = site
    with app.extensions["contact_center"].sessions.begin() as session:
        code = create_ticket(session, channel=Channel.WEB, now=LINE_OPEN_AT).code
    page.goto(f"{base}/status")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Codice della richiesta")).to_be_focused()
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    result = page.get_by_role("status")
    expect(result).to_contain_text("La richiesta è stata ricevuta ed è in attesa di lavorazione.")
    expect(page.get_by_role("heading", level=2)).to_have_text(f"Richiesta {format_code_for_display(code)}")


def test_an_error_is_announced_and_the_field_keeps_the_focus(site: tuple[str, Flask], page: Page) -> None:
    base, _ = site
    page.goto(f"{base}/status")
    field = page.get_by_label("Codice della richiesta")
    field.fill("1234")
    field.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Il codice non è valido: controlla le cifre e riprova.")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(
        "Il codice è formato da 12 cifre (8 per le richieste meno recenti). "
        "Il codice non è valido: controlla le cifre e riprova.")
    expect(page).to_have_title(
        "Errore: Stato della richiesta — Contact Center del Dipartimento della Protezione Civile")
