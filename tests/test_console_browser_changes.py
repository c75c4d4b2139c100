"""In Debian's chromium: a stale tab cannot reopen a ticket, a double "Chiama" rings once, a topic survives."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page, expect

from callsim import DialOutcome, FakeTwilioApi, Simulator, WSGITransport
from tests.browser_support import chromium, sign_in_with_the_keyboard
from tests.conftest import AUTH_TOKEN, LINE_OPEN_AT
from tests.test_console_browser import CITIZEN, a_caller_leaves_a_message
from tests.test_routing_calls_e2e import ANNA, staff
from tickets.repository import create_ticket, find_by_code
from tickets.status import Channel, Topic

pytestmark = pytest.mark.browser


@pytest.fixture
def context() -> Iterator[BrowserContext]:
    """One browser profile (one session cookie) for as many tabs as a test opens."""
    with chromium() as browser:
        yield browser.new_context(locale="it-IT")


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def test_a_status_change_from_a_stale_tab_is_refused_and_the_current_state_shown(
        operator_site: tuple[str, Flask], page: Page) -> None:
    base, app = operator_site
    with app.extensions["contact_center"].sessions.begin() as session:
        code = create_ticket(session, channel=Channel.PHONE, topic=Topic.RISKS, phone=CITIZEN, now=LINE_OPEN_AT).code
    sign_in_with_the_keyboard(page, base)
    tab_b = page
    tab_b.goto(f"{base}/console/tickets/{code}")
    status_b = tab_b.get_by_label("Nuovo stato")
    expect(status_b).to_have_value("")
    tab_a = page.context.new_page()  # a second tab of the same signed-in browser
    tab_a.goto(f"{base}/console/tickets/{code}")
    tab_a.get_by_label("Nuovo stato").select_option(label="chiusa")
    tab_a.get_by_role("button", name="Salva lo stato").click()
    expect(tab_a.locator("#stato-richiesta")).to_have_text("chiusa")

    status_b.select_option(label="in lavorazione")
    tab_b.get_by_label("Nota (facoltativa)").first.fill("il cittadino ha richiamato")
    tab_b.get_by_role("button", name="Salva lo stato").click()
    expect(tab_b.get_by_role("status")).to_contain_text(
        "La richiesta è cambiata mentre la pagina era aperta: ora è «chiusa»")
    expect(tab_b.locator("#stato-richiesta")).to_have_text("chiusa")
    expect(tab_b.get_by_label("Nuovo stato")).to_have_value("")
    expect(tab_b.locator("#note")).to_have_value("il cittadino ha richiamato")
    with app.extensions["contact_center"].sessions() as session:
        assert find_by_code(session, code).status == "closed"


def test_a_double_click_on_chiama_rings_once_and_the_entry_shows_the_call(
        twilio_site: tuple[str, Flask, FakeTwilioApi], page: Page) -> None:
    base, app, api = twilio_site
    a_caller_leaves_a_message(app, api)
    sign_in_with_the_keyboard(page, base)
    page.get_by_role("link", name="Richiamate").click()
    page.get_by_role("button", name="Prendi il prossimo").click()
    expect(page.get_by_role("status")).to_contain_text("assegnata a te")
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.get_by_role("button", name="Chiama").dblclick()
    expect(page.get_by_role("status")).to_contain_text("Sta squillando il tuo telefono")
    assert [url for url in posts if url.endswith("/call")] == [page.url + "/call"]  # the button went off at once
    expect(page.locator("#stato-chiamata")).to_contain_text("sta squillando il telefono dell'operatore")
    expect(page.locator("#chiama")).to_be_disabled()
    expect(page.locator("#chiama")).to_have_text("Chiamata in corso…")
    # A second tab, opened before the call started, clicks again: the server refuses it.
    page.evaluate("""() => { const b = document.getElementById('chiama'); b.disabled = false; b.click(); }""")
    expect(page).to_have_title("Richiamata 1 · Contact Center 800 840 840")
    expect(page.get_by_role("status")).to_contain_text("La chiamata è già partita")
    assert [created.params["To"] for created in api.calls] == ["+390612345678"]


def test_a_topic_chosen_before_a_no_answer_shows_in_the_console(
        operator_site: tuple[str, Flask], page: Page) -> None:
    base, app = operator_site
    staff(app, ("Anna", ANNA, ["risks"]))
    simulator = Simulator(WSGITransport(app), auth_token=AUTH_TOKEN, public_base_url="http://localhost",
                          dial_outcomes=(DialOutcome("no-answer"),))
    call = simulator.dial(from_=CITIZEN)
    call.press("1")
    call.press("1")
    call.press("1")
    call.record(seconds=5)
    assert call.ended and call.errors == []
    sign_in_with_the_keyboard(page, base)
    page.get_by_role("link", name="Richiamate").click()
    page.get_by_label("Argomento").select_option(label="rischi sul territorio e norme di comportamento")
    page.get_by_role("button", name="Filtra").click()
    row = page.get_by_role("row").filter(has_text="347 123 4567")
    expect(row).to_contain_text("rischi sul territorio e norme di comportamento")
    expect(row).to_contain_text("nessuna risposta")
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Richiamata")
    expect(page.locator("main")).to_contain_text("rischi sul territorio e norme di comportamento")
