"""A caller is never cut off by our error: 200 and TwiML that apologises and takes a message."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest
from flask import Flask
from sqlalchemy import select

from contact_center.app import create_app
from contact_center.durable import DurableWriter
from ivr.flows import main_menu
from ivr.webhooks import flow_steps
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import CallbackMessage, CallbackRequest
from tests.conftest import make_settings, post_signed

CALL = {"CallSid": "CA" + "7" * 32, "AccountSid": "AC" + "0" * 32, "From": "+393471234567",
        "To": "+39800840840", "CallStatus": "in-progress"}


def verbs(body: bytes) -> list[str]:
    root = ElementTree.fromstring(body)
    assert root.tag == "Response"
    return [child.tag for child in root]


def test_an_exception_inside_a_step_still_answers_200_and_records_a_message(
        sqlite_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> str:
        raise RuntimeError("boom")

    monkeypatch.setitem(main_menu.CHOICES, "3", broken)
    response = post_signed(sqlite_app.test_client(), "/voice/menu/choice?attempt=1", {**CALL, "Digits": "3"})
    assert response.status_code == 200
    assert verbs(response.data) == ["Say", "Record"]
    assert "problema tecnico" in response.get_data(as_text=True)


def database_down_app(tmp_path: Path) -> Flask:
    """An app whose database does not answer (nothing listens on that port)."""
    return create_app(make_settings("postgresql+psycopg://postgres@127.0.0.1:1/none", tmp_path / "i"))


def test_the_fallback_url_works_with_the_database_down_and_nothing_is_lost(tmp_path: Path) -> None:
    app = database_down_app(tmp_path)
    client = app.test_client()
    answer = post_signed(client, "/voice/fallback", {**CALL, "ErrorCode": "11200", "ErrorUrl": "https://x/voice/incoming"})
    assert answer.status_code == 200 and verbs(answer.data) == ["Say", "Record"]
    recorded = post_signed(client, "/voice/fallback/recorded", {
        **CALL, "RecordingSid": "RE" + "5" * 32, "RecordingUrl": "https://api.twilio.com/RE5",
        "RecordingDuration": "9", "Digits": "#"})
    assert recorded.status_code == 200 and "Hangup" in verbs(recorded.data)
    journal = app.extensions["contact_center"].journal
    assert journal.backlog() >= 2

    # The database is back: the journal is replayed into it, in order, nothing lost.
    url = f"sqlite:///{tmp_path / 'back.db'}"
    engine = make_engine(url)
    upgrade(engine)
    DurableWriter(make_session_factory(engine), journal).replay_backlog()
    with make_session_factory(engine)() as session:
        entry = session.scalars(select(CallbackRequest)).one()
        message = session.scalars(select(CallbackMessage)).one()
    assert (entry.callback_number, entry.reason, message.recording_duration) == ("+393471234567", "error", 9)


def test_every_step_answers_valid_twiml_with_the_database_down(tmp_path: Path) -> None:
    client = database_down_app(tmp_path).test_client()
    for path in flow_steps():
        response = post_signed(client, path, {**CALL, "Digits": "1"})
        assert response.status_code == 200, path
        verbs(response.data)
