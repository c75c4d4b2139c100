"""Every console page (and the public ones) in Debian's chromium: no horizontal page scroll at 390 px,
and axe-core finds no accessibility violation, with the pages' Content-Security-Policy in force."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from sqlalchemy import select

from access.accounts import Role
from agents.presence import Presence
from agents.reservation import reserve
from agents.roster import add_agent, set_presence
from callsim import FakeTwilioApi
from figures.events import add_event
from figures.period import Period
from hours.model import Band
from storage.hours_repository import add_closure, add_extension
from storage.models import Call, CallbackRequest, Ticket
from tests.browser_support import live_server, sign_in_with_the_form
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, LINE_OPEN_AT, make_app, make_settings
from tests.test_console_browser import a_caller_leaves_a_message
from tests.test_console_support import create_account
from tickets.repository import create_ticket
from tickets.status import Channel, Topic

pytestmark = [pytest.mark.browser, pytest.mark.slow]
AXE = Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js"
SUPERVISOR = "Sara Supervisora"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def full_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A service holding what a working day leaves: a message, tickets, an event, an extension, operators."""
    folder = tmp_path_factory.mktemp("every-page")
    with FakeTwilioApi(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as api:
        app = make_app(make_settings(f"sqlite:///{folder / 'cc.db'}", folder / "instance",
                                     twilio={"api_base_url": api.base_url}))
        create_account(app, SUPERVISOR, Role.SUPERVISOR, phone="+390612345678")
        create_account(app, "Olga Operatrice", Role.OPERATOR)
        a_caller_leaves_a_message(app, api)
        paths = _seed(app)
        with live_server(app) as base:
            yield base, paths
        app.extensions["contact_center"].engine.dispose()


def _seed(app: Flask) -> dict[str, str]:
    zone = LINE_OPEN_AT.tzinfo
    with app.extensions["contact_center"].sessions.begin() as session:
        letter = create_ticket(session, channel=Channel.LETTER, topic=Topic.RISKS, phone="+393339876543",
                               summary="Lettera sulla frana di via Roma, con una descrizione lunga del luogo",
                               now=LINE_OPEN_AT).code
        add_agent(session, "Olga Operatrice", phone="+390698765432", topics=["risks"], now=LINE_OPEN_AT)
        add_event(session, "Alluvione Romagna", Period(LINE_OPEN_AT.date() - timedelta(days=3), LINE_OPEN_AT.date(),
                                                       zone),  # type: ignore[arg-type]
                  SUPERVISOR, "Piogge intense su tutta la regione")
        add_extension(session, LINE_OPEN_AT + timedelta(days=1), LINE_OPEN_AT + timedelta(days=3),
                      (Band.parse("08:00-22:00"),), "Linea aperta anche la sera per l'alluvione", SUPERVISOR,
                      now=LINE_OPEN_AT)
        add_closure(session, LINE_OPEN_AT + timedelta(days=5), LINE_OPEN_AT + timedelta(days=6),
                    "Manutenzione del centralino", SUPERVISOR, now=LINE_OPEN_AT)
        # The supervisor is on the roster and rung by a caller: the header's presence form and the call box show.
        add_agent(session, SUPERVISOR, phone="+390698765433", now=LINE_OPEN_AT)
        policy = app.extensions["contact_center"].settings.routing.presence_policy()
        set_presence(session, SUPERVISOR, Presence.AVAILABLE, policy, LINE_OPEN_AT)
        session.add(Call(call_sid="CA" + "7" * 32, caller_number="+393471234567", language="en",
                         started_at=LINE_OPEN_AT))
        assert reserve(session, "CA" + "7" * 32 + ":1", "CA" + "7" * 32, "risks", policy, LINE_OPEN_AT)
        entry = session.scalars(select(CallbackRequest)).one().id
        voicemail = session.scalars(select(Ticket).where(Ticket.channel == "voicemail")).one().code
    return {"entry": str(entry), "letter": letter, "voicemail": voicemail}


def console_pages(paths: dict[str, str]) -> list[str]:
    """Every page of the console a supervisor can open."""
    return ["/console/today", "/console/callbacks", f"/console/callbacks/{paths['entry']}", "/console/tickets",
            f"/console/tickets/{paths['voicemail']}", f"/console/tickets/{paths['letter']}", "/console/tickets/new",
            f"/console/tickets/{paths['letter']}/recorded", f"/console/tickets/{paths['letter']}/receipt",
            "/console/presence", "/console/presence/board", "/console/settings", "/console/mail",
            "/console/events", "/console/dossier", "/console/audit", "/console/accounts", "/console/privacy"]


PUBLIC_PAGES = ["/console/login", "/status", "/hours.html", "/scrivi"]


def _signed_in(browser: Browser, base: str, viewport: dict[str, int]) -> Page:
    page = browser.new_page(locale="it-IT", viewport=viewport)  # type: ignore[arg-type]
    page.goto(f"{base}/console/login")
    sign_in_with_the_form(page, SUPERVISOR)
    page.wait_for_url(f"{base}/console/today")
    return page


def _open(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, f"{url}: {response and response.status}"


BLANK_BELOW_FOOTER = """() => {
    const footer = document.querySelector('body > footer');
    if (!footer) return 0;
    const end = Math.max(innerHeight, footer.getBoundingClientRect().bottom + scrollY);
    return Math.round(document.scrollingElement.scrollHeight - end);
}"""


def test_no_page_scrolls_sideways_at_390_px(full_site: tuple[str, dict[str, str]], browser: Browser) -> None:
    base, paths = full_site
    page = _signed_in(browser, base, PHONE)
    # Every page carries the header's presence form and the call ringing the supervisor (the widest header).
    assert page.get_by_label("Il mio stato").is_visible()
    assert page.locator("#chiamata-numero").inner_text() == "347 123 4567"
    wide, blank = {}, {}
    for path in console_pages(paths):
        _open(page, base + path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > page.evaluate("innerWidth"):
            wide[path] = width
        if (below := page.evaluate(BLANK_BELOW_FOOTER)) > 1:
            blank[path] = below
    assert not blank, f"blank scroll below the footer: {blank}"
    public = browser.new_page(locale="it-IT", viewport=PHONE)  # type: ignore[arg-type]
    for path in PUBLIC_PAGES:
        _open(public, base + path)
        width = public.evaluate("document.scrollingElement.scrollWidth")
        if width > public.evaluate("innerWidth"):
            wide[path] = width
    assert not wide, json.dumps(wide)


def _axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page (injected through the DevTools protocol: the CSP stays in force)."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const found = await axe.run(document, {resultTypes: ['violations']});
        return JSON.stringify(found.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})));
    }""")
    violations: list[dict[str, Any]] = json.loads(result)
    return violations


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_axe_finds_no_violation_on_any_page(full_site: tuple[str, dict[str, str]], browser: Browser,
                                            viewport: dict[str, int]) -> None:
    base, paths = full_site
    page = _signed_in(browser, base, viewport)
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text
            else None)
    found = {}
    for path in console_pages(paths):
        _open(page, base + path)
        if violations := _axe(page):
            found[path] = violations
    public = browser.new_page(locale="it-IT", viewport=viewport)  # type: ignore[arg-type]
    for path in PUBLIC_PAGES:
        _open(public, base + path)
        if violations := _axe(public):
            found[path] = violations
    assert not found, json.dumps(found, indent=1)
    assert blocked == []
