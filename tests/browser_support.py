"""What the Playwright tests share: the app served on a loopback port, Debian's chromium, signing in to the console.

The fixtures here (`page`, `browser`, `operator_site`, `twilio_site`) are registered for every test module
by tests/conftest.py; the helpers are imported where they are used (no tests here).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from access.accounts import Role
from callsim import FakeTwilioApi
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, make_app, make_settings
from tests.test_console_support import PASSWORD, create_account

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
OPERATOR = "Olga Operatrice"
OPERATOR_PHONE = "+390612345678"


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """`app` served over HTTP from a thread on a free loopback port; its base URL. Stopped on leaving."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's chromium, headless, driven by Playwright; closed on leaving."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def sign_in_with_the_keyboard(page: Page, base: str, name: str = OPERATOR) -> None:
    """Open the sign-in page and sign in using only the keyboard."""
    page.goto(f"{base}/console/today")
    expect(page).to_have_url(f"{base}/console/login?next=/console/today")
    expect(page.get_by_label("Nome utente")).to_be_focused()
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/console/today")


def sign_in_with_the_form(page: Page, name: str) -> None:
    """Fill in the console's sign-in form the page shows and send it."""
    page.get_by_label("Nome utente").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Entra").click()


@pytest.fixture
def page() -> Iterator[Page]:
    """An Italian page of a chromium of its own, for one test."""
    with chromium() as browser:
        yield browser.new_page(locale="it-IT")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One chromium for a module's tests, each opening its own pages."""
    with chromium() as browser:
        yield browser


@pytest.fixture
def operator_site(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[str, Flask]]:
    """The app served over HTTP on a free local port, with an operator's account; its base URL and the app."""
    app = make_app(make_settings(sqlite_url, tmp_path / "instance"))
    create_account(app, OPERATOR, Role.OPERATOR)
    with live_server(app) as base:
        yield base, app
    app.extensions["contact_center"].engine.dispose()


@pytest.fixture
def twilio_site(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[str, Flask, FakeTwilioApi]]:
    """The app served on a free port, its Twilio REST API faked, an operator with a phone."""
    with FakeTwilioApi(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as api:
        app = make_app(make_settings(sqlite_url, tmp_path / "instance", twilio={"api_base_url": api.base_url}))
        create_account(app, OPERATOR, Role.OPERATOR, phone=OPERATOR_PHONE)
        with live_server(app) as base:
            yield base, app, api
        app.extensions["contact_center"].engine.dispose()
