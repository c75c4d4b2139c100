"""The console in Debian's chromium: signing in, the keyboard, and an operator's work."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from callsim import FakeTwilioApi, Simulator, WSGITransport
from storage.models import CallbackRequest, Ticket
from tests.browser_support import sign_in_with_the_keyboard
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, LINE_OPEN_AT
from tickets.repository import create_ticket, find_by_code
from tickets.status import Channel, Topic

pytestmark = pytest.mark.browser
CITIZEN = "+393471234567"


def test_sign_in_and_the_skip_link_come_first(operator_site: tuple[str, Flask], page: Page) -> None:
    base, _ = operator_site
    sign_in_with_the_keyboard(page, base)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Oggi")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Vai al contenuto")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_a_wrong_password_is_announced(operator_site: tuple[str, Flask], page: Page) -> None:
    base, _ = operator_site
    page.goto(f"{base}/console/login")
    page.get_by_label("Nome utente").fill("Olga Operatrice")
    page.get_by_label("Password").fill("non è questa")
    page.get_by_role("button", name="Entra").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Accesso non riuscito: controlla nome e password e riprova tra qualche istante. "
        "Se non riesci ad accedere, rivolgiti a un supervisore.")


def test_an_operator_finds_a_ticket_and_forwards_it(operator_site: tuple[str, Flask], page: Page) -> None:
    base, app = operator_site
    with app.extensions["contact_center"].sessions.begin() as session:
        code = create_ticket(session, channel=Channel.PHONE, topic=Topic.RISKS, phone="+393471234567",
                             now=LINE_OPEN_AT).code
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


def a_caller_leaves_a_message(app: Flask, api: FakeTwilioApi) -> Simulator:
    """A citizen calls the line, chooses to leave a message from their own number, and records it."""
    simulator = Simulator(WSGITransport(app), auth_token=AUTH_TOKEN, public_base_url="http://localhost",
                          account_sid=ACCOUNT_SID, api_base_url=api.base_url, recording_store=api)
    call = simulator.dial(from_=CITIZEN)
    call.press("3")
    call.press("1")
    call.record(seconds=3, finish_key="#")
    assert call.ended and call.errors == []
    return simulator


def test_an_operator_claims_listens_and_records_outcomes_and_the_caller_hears_the_new_status(
        twilio_site: tuple[str, Flask, FakeTwilioApi], page: Page) -> None:
    base, app, api = twilio_site
    a_caller_leaves_a_message(app, api)
    sign_in_with_the_keyboard(page, base)
    page.get_by_role("link", name="Richiamate").click()
    expect(page.get_by_role("link", name="da richiamare adesso: 1")).to_be_visible()
    page.get_by_role("button", name="Prendi il prossimo").click()
    expect(page.get_by_role("status")).to_contain_text("assegnata a te")
    expect(page.locator("#numero")).to_have_text("347 123 4567")

    audio = page.locator("audio")
    expect(audio).to_have_count(1)
    played = audio.evaluate("""element => new Promise((resolve, reject) => {
        element.addEventListener('timeupdate', () => { if (element.currentTime > 0.2) resolve(element.duration); });
        element.addEventListener('error', () => reject(new Error('media error ' + element.error.code)));
        element.muted = true;
        element.play().catch(reject);
    })""")
    assert 2.5 < played < 3.5

    page.get_by_role("radio", name="non risponde").check()
    page.get_by_label("Nota").fill("squilla a vuoto")
    page.get_by_role("button", name="Registra l'esito").click()
    expect(page.get_by_role("status")).to_contain_text("Nuovo tentativo previsto")
    expect(page.locator("#stato-richiamata")).to_have_text("da richiamare")
    expect(page.get_by_role("cell", name="squilla a vuoto")).to_be_visible()
    with app.extensions["contact_center"].sessions.begin() as session:
        session.execute(update(CallbackRequest).values(next_attempt_at=LINE_OPEN_AT - timedelta(seconds=1)))

    page.get_by_role("link", name="Richiamate").click()
    page.get_by_role("button", name="Prendi il prossimo").click()
    expect(page.get_by_role("status")).to_contain_text("assegnata a te")
    page.get_by_role("radio", name="raggiunto").check()
    new_status = page.get_by_label("Nuovo stato della richiesta (solo se raggiunto)")
    new_status.select_option(label="inoltrata all'ente competente")
    page.get_by_role("button", name="Registra l'esito").click()
    expect(page.get_by_role("status")).to_contain_text("Esito non registrato")
    page.get_by_role("radio", name="raggiunto").check()
    new_status.select_option(label="in lavorazione")
    page.get_by_role("button", name="Registra l'esito").click()
    expect(page.get_by_role("status")).to_contain_text("Esito registrato: raggiunto")
    expect(page.locator("#stato-richiamata")).to_have_text("completata")
    expect(page.locator("#stato-richiesta")).to_have_text("in lavorazione")
    with app.extensions["contact_center"].sessions() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert (ticket.status, ticket.history[-1].changed_by) == ("in_progress", "Olga Operatrice")
        code = ticket.code

    status_call = Simulator(WSGITransport(app), auth_token=AUTH_TOKEN, public_base_url="http://localhost").dial(
        from_="+393339876543")
    status_call.press("2")
    status_call.press(code + "#")
    assert "La richiesta è in lavorazione." in status_call.heard_since_last_input()
    assert status_call.errors == []
