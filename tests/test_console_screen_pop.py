"""The call in progress (screen pop) and one's own presence from the header.

An operator whose phone rings sees, on any console page and in /console/live, who is calling
(number, topic, language) with a prefilled «Nuova richiesta»; no other operator does. Every
operator on the roster sets their own presence from the header, with or without JavaScript.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect

from access.accounts import Role
from agents.presence import Presence
from agents.roster import add_agent, set_presence
from callsim import FakeTwilioApi
from tests.browser_support import sign_in_with_the_keyboard
from tests.conftest import LINE_OPEN_AT, make_app, post_signed
from tests.test_console_support import create_account, csrf_from, sign_in

CALLER = "+393471234567"
CALLER_SHOWN = "347 123 4567"
LINE = "+39800840840"
OLGA, PIERO = "Olga Operatrice", "Piero Operatore"


@pytest.fixture
def console_app(settings) -> Iterator[Flask]:
    app = make_app(settings)
    app.config["CONSOLE_LIVE_CACHE_SECONDS"] = 0
    create_account(app, OLGA, Role.OPERATOR)
    create_account(app, PIERO, Role.OPERATOR)
    yield app
    app.extensions["contact_center"].engine.dispose()


def client_of(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, name).status_code == 302
    return client


def on_duty(app: Flask, *names_and_phones: tuple[str, str]) -> None:
    """Operators on the roster and available, the first idle the longest."""
    runtime = app.extensions["contact_center"]
    policy = runtime.settings.routing.presence_policy()
    start = LINE_OPEN_AT - timedelta(hours=1)
    with runtime.sessions.begin() as session:
        for index, (name, phone) in enumerate(names_and_phones):
            add_agent(session, name, phone=phone, now=start)
            set_presence(session, name, Presence.AVAILABLE, policy, start + timedelta(minutes=index))


def a_call_rings_an_operator(app: Flask, call_sid: str = "CA" + "1" * 32) -> str:
    """A citizen calls the line and asks an operator about risks: the longest-idle one is rung."""
    twilio = app.test_client()
    assert post_signed(twilio, "/voice/incoming", {"CallSid": call_sid, "From": CALLER, "To": LINE}).status_code == 200
    dial = post_signed(twilio, "/voice/operator?topic=risks", {"CallSid": call_sid, "From": CALLER, "To": LINE})
    body = dial.get_data(as_text=True)
    assert "<Dial" in body, body
    return body


def call_box(html: str) -> str:
    """The inside of the call box (it comes just before the "nuovi messaggi" hint)."""
    match = re.search(r'<div id="chiamata-in-corso"[^>]*>(.*?)</div>\s*</div>\s*<div id="novita"', html, re.S)
    assert match, "no call box on the page"
    return unescape(match[1])


def test_the_operator_rung_sees_the_caller_in_the_live_state_and_on_every_page(console_app: Flask) -> None:
    on_duty(console_app, (OLGA, "+390668201201"), (PIERO, "+390668201202"))
    olga, piero = client_of(console_app, OLGA), client_of(console_app, PIERO)
    before = olga.get("/console/live")
    assert before.json is not None and before.json["me"]["call"] is None and before.json["me"]["state"] == "available"
    assert call_box(olga.get("/console/today").get_data(as_text=True)).strip() == ""

    a_call_rings_an_operator(console_app)

    changed = olga.get("/console/live", headers={"If-None-Match": before.headers["ETag"]})
    assert changed.status_code == 200 and changed.json is not None
    me = changed.json["me"]
    assert me["state"] == "ringing"
    assert me["call"]["number"] == CALLER and me["call"]["topic"] == "risks" and me["call"]["language"] == "it"
    assert me["call"]["new_request"] == "/console/tickets/new?channel=phone&topic=risks&phone=%2B393471234567"
    assert olga.get("/console/live", headers={"If-None-Match": changed.headers["ETag"]}).status_code == 304

    box = call_box(olga.get("/console/callbacks").get_data(as_text=True))
    assert "Chiamata in arrivo: il tuo telefono squilla" in box
    assert CALLER_SHOWN in box and "rischi sul territorio" in box and "italiano" in box.lower()
    assert 'href="/console/tickets/new?channel=phone&topic=risks&phone=%2B393471234567"' in box
    assert ">Nuova richiesta per questa chiamata</a>" in box

    other = piero.get("/console/live")
    assert other.json is not None and other.json["me"]["call"] is None and other.json["me"]["state"] == "available"
    assert CALLER not in other.get_data(as_text=True)
    assert call_box(piero.get("/console/callbacks").get_data(as_text=True)).strip() == ""


def test_the_shared_reading_never_carries_one_operators_call_to_another(console_app: Flask) -> None:
    console_app.config["CONSOLE_LIVE_CACHE_SECONDS"] = 60
    on_duty(console_app, (OLGA, "+390668201201"), (PIERO, "+390668201202"))
    olga, piero = client_of(console_app, OLGA), client_of(console_app, PIERO)
    piero_before = piero.get("/console/live")
    a_call_rings_an_operator(console_app)
    rung = olga.get("/console/live")  # the worker's shared reading is now this one
    assert rung.json is not None and rung.json["me"]["call"]["number"] == CALLER
    other = piero.get("/console/live", headers={"If-None-Match": piero_before.headers["ETag"]})
    assert other.status_code == 304  # nothing of Piero's changed, and the shared part is the cached one
    other = piero.get("/console/live")
    assert other.json is not None and other.json["me"]["call"] is None and CALLER not in other.get_data(as_text=True)
    assert rung.headers["ETag"] != other.headers["ETag"]


def test_an_english_speaking_caller_and_the_call_in_progress(console_app: Flask) -> None:
    on_duty(console_app, (OLGA, "+390668201201"))
    olga = client_of(console_app, OLGA)
    call_sid = "CA" + "2" * 32
    twilio = console_app.test_client()
    post_signed(twilio, "/voice/incoming", {"CallSid": call_sid, "From": CALLER, "To": LINE})
    post_signed(twilio, "/voice/menu/language?lang=en", {"CallSid": call_sid, "From": CALLER, "Digits": "8"})
    dial = post_signed(twilio, "/voice/operator?topic=health&lang=en", {"CallSid": call_sid, "From": CALLER})
    assert "<Dial" in dial.get_data(as_text=True)
    post_signed(twilio, "/voice/operator/whisper?token=" + call_sid + ":1&topic=health", {"CallSid": "CA" + "3" * 32})
    live = olga.get("/console/live")
    assert live.json is not None
    assert live.json["me"]["state"] == "on_call" and live.json["me"]["call"]["language"] == "en"
    box = call_box(olga.get("/console/today").get_data(as_text=True))
    assert "Sei in chiamata" in box and CALLER_SHOWN in box and "inglese" in box.lower()


def test_the_prefilled_new_request_form_carries_the_calls_number_and_topic(console_app: Flask) -> None:
    olga = client_of(console_app, OLGA)
    html = olga.get("/console/tickets/new?channel=phone&topic=risks&phone=%2B393471234567").get_data(as_text=True)
    assert '<option value="phone" selected>' in html and '<option value="risks" selected>' in html
    assert 'id="phone" name="phone" type="tel" value="+393471234567"' in html
    odd = olga.get("/console/tickets/new?topic=nonsense").get_data(as_text=True)
    assert " selected>" not in odd.split('id="topic"')[1].split("</select>")[0]


def test_the_call_fragment_needs_a_signed_in_account_and_keeps_the_page_to_come_back_to(console_app: Flask) -> None:
    assert console_app.test_client().get("/console/live/me").status_code == 302
    on_duty(console_app, (OLGA, "+390668201201"))
    olga = client_of(console_app, OLGA)
    fragment = olga.get("/console/live/me?back=/console/callbacks%3Fview%3Dmine").get_data(as_text=True)
    assert 'id="mia-presenza"' in fragment and 'id="chiamata-in-corso"' in fragment and "<html" not in fragment
    assert 'name="next" value="/console/callbacks?view=mine"' in fragment
    elsewhere = olga.get("/console/live/me?back=https://example.org/").get_data(as_text=True)
    assert 'name="next" value="/console/today"' in elsewhere


def test_the_header_sets_ones_own_presence_and_comes_back_to_the_same_page(console_app: Flask) -> None:
    runtime = console_app.extensions["contact_center"]
    with runtime.sessions.begin() as session:
        add_agent(session, OLGA, phone="+390668201201", now=LINE_OPEN_AT)
    olga = client_of(console_app, OLGA)
    html = olga.get("/console/callbacks?view=due").get_data(as_text=True)
    form = html.split('<form id="mia-presenza"')[1].split("</form>")[0]
    assert '<label for="stato-mio">Il mio stato</label>' in form
    assert '<option value="offline" selected>Non in servizio</option>' in form
    assert '<option value="available">Disponibile</option>' in form and '<option value="away">In pausa</option>' in form
    assert 'name="next" value="/console/callbacks?view=due"' in form and 'name="csrf_token"' in form

    token = csrf_from(olga, "/console/callbacks")
    refused = olga.post("/console/presence", data={"state": "available", "next": "/console/callbacks?view=due"})
    assert refused.status_code in (400, 403)  # no CSRF token: nothing changes
    assert '<option value="offline" selected>' in olga.get("/console/today").get_data(as_text=True)

    moved = olga.post("/console/presence", data={"state": "available", "next": "/console/callbacks?view=due",
                                                 "csrf_token": token})
    assert moved.status_code == 302 and moved.headers["Location"] == "/console/callbacks?view=due"
    back = olga.get(moved.headers["Location"]).get_data(as_text=True)
    assert "Il tuo stato è ora: disponibile." in back
    assert '<option value="available" selected>Disponibile</option>' in back
    assert olga.get("/console/live").json["me"]["state"] == "available"  # type: ignore[index]

    away = olga.post("/console/presence", data={"state": "away", "next": "https://example.org/", "csrf_token": token})
    assert away.headers["Location"] == "/console/today"  # never another site
    assert '<option value="away" selected>In pausa</option>' in olga.get("/console/today").get_data(as_text=True)


def test_an_account_not_on_the_roster_has_no_presence_form(console_app: Flask) -> None:
    piero = client_of(console_app, PIERO)
    html = piero.get("/console/today").get_data(as_text=True)
    assert '<div id="mia-presenza" hidden></div>' in html and "Il mio stato" not in html
    live = piero.get("/console/live")
    assert live.json is not None and live.json["me"] is None


@pytest.mark.browser
def test_an_open_console_pops_the_ringing_call_and_opens_a_prefilled_request(
        twilio_site: tuple[str, Flask, FakeTwilioApi], page: Page) -> None:
    base, app, _ = twilio_site
    app.config["CONSOLE_LIVE_CACHE_SECONDS"] = 0
    on_duty(app, (OLGA, "+390668201201"))
    sign_in_with_the_keyboard(page, base)
    page.get_by_role("link", name="Richiamate").click()
    expect(page.get_by_label("Il mio stato")).to_have_value("available")
    page.evaluate("window.stillTheSamePage = true")

    a_call_rings_an_operator(app)

    box = page.locator("#chiamata-in-corso")
    expect(box).to_contain_text("Chiamata in arrivo", timeout=5000)
    expect(page.locator("#chiamata-numero")).to_have_text(CALLER_SHOWN)
    expect(box).to_contain_text("rischi sul territorio")
    expect(page.get_by_label("Il mio stato")).to_have_value("")  # "Squilla": none of the states one sets
    assert page.evaluate("window.stillTheSamePage") is True
    page.get_by_role("link", name="Nuova richiesta per questa chiamata", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nuova richiesta")
    expect(page.get_by_label("Canale", exact=True)).to_have_value("phone")
    expect(page.get_by_label("Argomento", exact=True)).to_have_value("risks")
    expect(page.get_by_label("Telefono (facoltativo)")).to_have_value(CALLER)


@pytest.mark.browser
def test_the_header_form_changes_presence_without_javascript(
        twilio_site: tuple[str, Flask, FakeTwilioApi], page: Page) -> None:
    base, app, _ = twilio_site
    with app.extensions["contact_center"].sessions.begin() as session:
        add_agent(session, OLGA, phone="+390668201201", now=LINE_OPEN_AT)
    sign_in_with_the_keyboard(page, base)
    page.context.route("**/live.js", lambda route: route.abort())  # as without JavaScript
    page.goto(f"{base}/console/tickets")
    page.get_by_label("Il mio stato").select_option("available")
    page.get_by_role("button", name="Cambia stato").click()
    expect(page).to_have_url(f"{base}/console/tickets")
    expect(page.get_by_role("status")).to_contain_text("Il tuo stato è ora: disponibile.")
    expect(page.get_by_label("Il mio stato")).to_have_value("available")
