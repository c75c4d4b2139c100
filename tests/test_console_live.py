"""The live console: /console/live answers 304 while nothing changed, and an open list shows a new message."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect

from access.accounts import Role
from callsim import FakeTwilioApi
from storage.models import CallbackRequest
from tests.browser_support import sign_in_with_the_keyboard
from tests.conftest import LINE_OPEN_AT, make_app
from tests.test_console_browser import a_caller_leaves_a_message
from tests.test_console_support import create_account, sign_in


@pytest.fixture
def console_app(settings) -> Iterator[Flask]:
    app = make_app(settings)
    app.config["CONSOLE_LIVE_CACHE_SECONDS"] = 0  # every poll reads: these tests change the data between polls
    create_account(app, "Olga Operatrice", Role.OPERATOR)
    yield app
    app.extensions["contact_center"].engine.dispose()


@pytest.fixture
def client(console_app: Flask) -> FlaskClient:
    client = console_app.test_client()
    assert sign_in(client, "Olga Operatrice").status_code == 302
    return client


def _add_entry(app: Flask) -> None:
    with app.extensions["contact_center"].sessions.begin() as session:
        session.add(CallbackRequest(callback_number="+393471234567", reason="closed", status="pending",
                                    created_at=LINE_OPEN_AT, next_attempt_at=LINE_OPEN_AT))


def test_the_live_state_is_304_until_something_changes(console_app: Flask, client: FlaskClient) -> None:
    first = client.get("/console/live")
    assert first.status_code == 200 and first.json is not None
    assert first.json["due"] == 0 and first.json["newest_message"] == 0
    tag = first.headers["ETag"]
    html = client.get("/console/callbacks").get_data(as_text=True)
    assert f'data-live-tag="{tag.strip(chr(34))}"' in html
    assert client.get("/console/live", headers={"If-None-Match": tag}).status_code == 304
    _add_entry(console_app)
    changed = client.get("/console/live", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.json is not None
    assert changed.json["due"] == 1 and changed.json["counts"]["due"] == 1 and changed.headers["ETag"] != tag
    assert '<span class="badge" id="badge-richiamate" title="da richiamare adesso">1</span>' in client.get(
        "/console/today").get_data(as_text=True)


def test_polls_share_one_reading_per_worker_for_a_second(console_app: Flask, client: FlaskClient) -> None:
    console_app.config["CONSOLE_LIVE_CACHE_SECONDS"] = 60
    first = client.get("/console/live")
    _add_entry(console_app)
    assert client.get("/console/live", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert "347 123 4567" in client.get("/console/callbacks").get_data(as_text=True)  # pages read afresh
    console_app.config["CONSOLE_LIVE_CACHE_SECONDS"] = 0
    changed = client.get("/console/live", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.json is not None and changed.json["due"] == 1


def test_the_live_state_needs_a_signed_in_account(console_app: Flask) -> None:
    response = console_app.test_client().get("/console/live")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]


@pytest.mark.browser
def test_a_message_left_appears_in_an_open_list_within_five_seconds(
        twilio_site: tuple[str, Flask, FakeTwilioApi], page: Page) -> None:
    base, app, api = twilio_site
    sign_in_with_the_keyboard(page, base)
    page.get_by_role("link", name="Richiamate").click()
    expect(page.get_by_role("cell", name="Nessuna richiamata in questo elenco.")).to_be_visible()
    expect(page.locator("#badge-richiamate")).to_have_text("0")
    page.evaluate("window.stillTheSamePage = true")
    a_caller_leaves_a_message(app, api)
    started = time.monotonic()
    expect(page.get_by_role("cell", name="347 123 4567")).to_be_visible(timeout=5000)
    expect(page.locator("#novita")).to_contain_text("Nuovi messaggi", timeout=1000)
    expect(page.locator("#badge-richiamate")).to_have_text("1", timeout=1000)
    expect(page.get_by_role("link", name="da richiamare adesso: 1")).to_be_visible(timeout=1000)
    assert time.monotonic() - started < 5
    assert page.evaluate("window.stillTheSamePage") is True  # no reload


def test_the_lists_rows_come_alone_for_the_open_list_to_swap_in(console_app: Flask, client: FlaskClient) -> None:
    empty = client.get("/console/callbacks/live?view=due")
    assert empty.status_code == 200 and "Nessuna richiamata in questo elenco." in empty.get_data(as_text=True)
    _add_entry(console_app)
    fragment = client.get("/console/callbacks/live?view=due").get_data(as_text=True)
    assert "347 123 4567" in fragment and 'id="conteggi"' in fragment and 'id="elenco-richiamate"' in fragment
    assert "da richiamare adesso: <strong>1</strong>" in fragment
    assert "<html" not in fragment and "csrf_token" not in fragment
    assert client.get("/console/callbacks/live?view=sparita").status_code == 400
    assert console_app.test_client().get("/console/callbacks/live").status_code == 302


def test_the_presence_mark_moves_with_each_change(console_app: Flask, client: FlaskClient) -> None:
    from agents.presence import Presence
    from agents.roster import add_agent, set_presence

    runtime = console_app.extensions["contact_center"]
    with runtime.sessions.begin() as session:
        add_agent(session, "Olga Operatrice", phone="+390698765432", now=LINE_OPEN_AT)
    before = client.get("/console/live")
    assert before.json is not None
    with runtime.sessions.begin() as session:  # the same instant: the state itself must tell the change
        set_presence(session, "Olga Operatrice", Presence.AVAILABLE, runtime.settings.routing.presence_policy(),
                     LINE_OPEN_AT)
    after = client.get("/console/live", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.json is not None and after.json["presence"] != before.json["presence"]


@pytest.mark.browser
def test_the_presence_board_shows_a_change_without_reload(
        twilio_site: tuple[str, Flask, FakeTwilioApi], page: Page) -> None:
    from agents.presence import Presence
    from agents.roster import add_agent, set_presence

    base, app, _ = twilio_site
    runtime = app.extensions["contact_center"]
    create_account(app, "Sara Supervisora", Role.SUPERVISOR)
    with runtime.sessions.begin() as session:
        add_agent(session, "Olga Operatrice", phone="+390698765432", now=LINE_OPEN_AT)
    sign_in_with_the_keyboard(page, base, "Sara Supervisora")
    page.goto(f"{base}/console/presence/board")
    row = page.get_by_role("row", name="Olga Operatrice")
    expect(row).to_contain_text("non in servizio")
    page.evaluate("window.stillTheSamePage = true")
    with runtime.sessions.begin() as session:
        set_presence(session, "Olga Operatrice", Presence.AVAILABLE, runtime.settings.routing.presence_policy(),
                     LINE_OPEN_AT)
    expect(row).to_contain_text("disponibile", timeout=5000)
    assert page.evaluate("window.stillTheSamePage") is True


@pytest.mark.browser
def test_on_another_page_the_badge_and_a_hint_tell_of_a_new_message(
        twilio_site: tuple[str, Flask, FakeTwilioApi], page: Page) -> None:
    base, app, api = twilio_site
    sign_in_with_the_keyboard(page, base)
    expect(page.locator("#badge-richiamate")).to_have_text("0")
    a_caller_leaves_a_message(app, api)
    expect(page.locator("#badge-richiamate")).to_have_text("1", timeout=5000)
    expect(page.locator("#novita")).to_contain_text("Nuovi messaggi in arrivo (ultimo alle ", timeout=1000)
    page.get_by_role("link", name="Apri l'elenco aggiornato").click()
    expect(page.get_by_role("cell", name="347 123 4567")).to_be_visible()
