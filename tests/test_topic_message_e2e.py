"""The topic a caller chose stays with the message they leave, its ticket and the console's list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from access.accounts import Role
from callsim import DialOutcome, Simulator, WSGITransport
from contact_center.durable_writes import OpenCallbackRequest
from storage.models import CallbackRequest, Ticket
from tests.conftest import AUTH_TOKEN, LINE_OPEN_AT, make_app, make_settings
from tests.test_console_support import create_account, sign_in
from tests.test_routing_calls_e2e import ANNA, CALLER, staff

RISKS_LABEL = "rischi sul territorio e norme di comportamento"


@pytest.fixture
def make_line(database_url: str, tmp_path: Path) -> Iterator[Any]:
    apps: list[Flask] = []

    def build(**routing: Any) -> Flask:
        app = make_app(make_settings(database_url, tmp_path / "instance", routing=routing))
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["contact_center"].engine.dispose()


def _simulator(app: Flask, *outcomes: DialOutcome) -> Simulator:
    return Simulator(WSGITransport(app), auth_token=AUTH_TOKEN, public_base_url="http://localhost",
                     dial_outcomes=outcomes)


def _entries(app: Flask) -> list[tuple[int, str, str, str]]:
    """(entry id, reason, ticket topic, ticket code) of every callback entry."""
    with app.extensions["contact_center"].sessions() as session:
        rows = session.execute(select(CallbackRequest.id, CallbackRequest.reason, Ticket.topic, Ticket.code)
                               .join(Ticket, Ticket.id == CallbackRequest.ticket_id)
                               .order_by(CallbackRequest.id)).all()
    return [tuple(row) for row in rows]


def test_a_topic_survives_a_no_answer_into_the_ticket_and_the_console(make_line) -> None:
    """The issue's call: no answer, 1, 1 (rischi), 1, record — the entry and ticket said "altro"."""
    app = make_line(max_tries=1)
    staff(app, ("Anna", ANNA, ["risks"]))
    call = _simulator(app, DialOutcome("no-answer")).dial(from_=CALLER)
    call.press("1")
    call.press("1")
    call.press("1")
    call.record(seconds=12)
    assert call.errors == []
    [(entry_id, reason, topic, code)] = _entries(app)
    assert (reason, topic) == ("no_answer", "risks")
    create_account(app, "Olga Operatrice", Role.OPERATOR)
    client = app.test_client()
    sign_in(client, "Olga Operatrice")
    entry_page = client.get(f"/console/callbacks/{entry_id}").get_data(as_text=True)
    assert RISKS_LABEL in entry_page
    filtered = client.get("/console/callbacks", query_string={"topic": "risks"}).get_data(as_text=True)
    assert f"/console/callbacks/{entry_id}" in filtered
    other = client.get("/console/callbacks", query_string={"topic": "other"}).get_data(as_text=True)
    assert f"/console/callbacks/{entry_id}" not in other
    assert RISKS_LABEL in client.get(f"/console/tickets/{code}").get_data(as_text=True)


def test_a_topic_survives_all_operators_busy(make_line) -> None:
    app = make_line()
    call = _simulator(app).dial(from_=CALLER)
    call.press("1")
    call.press("2")
    call.press("1")
    call.record(seconds=8)
    assert [(reason, topic) for _, reason, topic, _ in _entries(app)] == [("all_busy", "legislation")]


def test_a_message_chosen_from_the_main_menu_has_topic_other(make_line) -> None:
    app = make_line()
    call = _simulator(app).dial(from_=CALLER)
    call.press("3")
    call.press("1")
    call.record(seconds=8)
    assert [(reason, topic) for _, reason, topic, _ in _entries(app)] == [("chosen", "other")]


def test_a_journal_line_written_before_topics_replays_as_other(tmp_path: Path, sqlite_url: str) -> None:
    app = make_app(make_settings(sqlite_url, tmp_path / "instance"))
    sessions = app.extensions["contact_center"].sessions
    with sessions.begin() as session:
        OpenCallbackRequest(call_sid="CA" + "1" * 32, callback_number=CALLER, number_source="caller_id",
                            reason="no_answer").apply(session, LINE_OPEN_AT)
        OpenCallbackRequest(call_sid="CA" + "2" * 32, callback_number="+393339876543", number_source="caller_id",
                            reason="no_answer", topic="campaigns").apply(session, LINE_OPEN_AT)
        OpenCallbackRequest(call_sid="CA" + "3" * 32, callback_number="+393331112222", number_source="caller_id",
                            reason="no_answer", topic="garbage").apply(session, LINE_OPEN_AT)
    assert sorted(topic for _, _, topic, _ in _entries(app)) == ["campaigns", "other", "other"]
    app.extensions["contact_center"].engine.dispose()
