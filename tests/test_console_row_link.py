"""The callback list: a click anywhere on a row opens its entry; keyboards still meet one link per row."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from callsim import FakeTwilioApi
from storage.models import CallbackRequest
from tests.browser_support import sign_in_with_the_keyboard
from tests.conftest import LINE_OPEN_AT


def _add_entry(app: Flask) -> int:
    with app.extensions["contact_center"].sessions.begin() as session:
        entry = CallbackRequest(callback_number="+393471234567", reason="closed", status="pending",
                                created_at=LINE_OPEN_AT, next_attempt_at=LINE_OPEN_AT)
        session.add(entry)
        session.flush()
        return entry.id


@pytest.mark.browser
def test_a_click_anywhere_on_a_row_opens_the_entry(
        twilio_site: tuple[str, Flask, FakeTwilioApi], page: Page) -> None:
    base, app, _ = twilio_site
    entry_id = _add_entry(app)
    sign_in_with_the_keyboard(page, base)
    page.goto(f"{base}/console/callbacks")
    row = page.get_by_role("row", name="347 123 4567")
    expect(row.get_by_role("link")).to_have_count(1)  # one real link per row: keyboards and screen readers
    box = row.get_by_role("cell", name="347 123 4567").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the number's cell, not the link
    expect(page).to_have_url(f"{base}/console/callbacks/{entry_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(entry_id))

    page.go_back()
    page.get_by_role("row", name="347 123 4567").get_by_role("link").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/console/callbacks/{entry_id}")
