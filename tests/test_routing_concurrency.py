"""Fifty simultaneous callers against ten free operators, through the webhooks, on both databases."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from agents.presence import Presence
from agents.roster import add_agent, list_agents, set_presence
from storage.models import Agent, AgentPresenceChange
from tests.conftest import make_app, make_settings, post_signed

CALLERS = 50
OPERATORS = 10


@pytest.fixture
def app(database_url: str, tmp_path: Path):
    app = make_app(make_settings(database_url, tmp_path / "instance", routing={"wrap_up_seconds": 20}))
    runtime = app.extensions["contact_center"]
    policy = runtime.settings.routing.presence_policy()
    start = runtime.clock() - timedelta(hours=1)
    with runtime.sessions.begin() as session:
        for index in range(OPERATORS):
            name = f"Operatore {index:02d}"
            add_agent(session, name, phone=f"+3906682012{index:02d}", topics=["risks"] if index % 2 else [],
                      now=start)
            set_presence(session, name, Presence.AVAILABLE, policy, start + timedelta(seconds=index))
    yield app
    runtime.engine.dispose()


def ask_for_an_operator(app, number: int, barrier: threading.Barrier, answers: dict[int, str],
                        errors: list[BaseException]) -> None:
    """One caller, with their own client, asking for an operator at the same moment as the others."""
    try:
        client = app.test_client()
        barrier.wait()
        answer = post_signed(client, "/voice/operator?topic=risks",
                             {"CallSid": f"CA{number:032d}", "From": "+393471234567"})
        assert answer.status_code == 200
        answers[number] = answer.get_data(as_text=True)
    except BaseException as error:
        errors.append(error)


def test_fifty_callers_ten_operators_never_two_on_one_and_nobody_stuck(app) -> None:
    barrier = threading.Barrier(CALLERS)
    answers: dict[int, str] = {}
    errors: list[BaseException] = []
    threads = [threading.Thread(target=ask_for_an_operator, args=(app, number, barrier, answers, errors))
               for number in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    dials = {number: ET.fromstring(body).find("Dial") for number, body in answers.items()}
    connected = {number: dial for number, dial in dials.items() if dial is not None}
    fallback = [body for number, body in answers.items() if number not in connected]
    numbers = [dial.find("Number").text for dial in connected.values()]
    assert len(connected) == OPERATORS and len(set(numbers)) == OPERATORS
    assert len(fallback) == CALLERS - OPERATORS
    assert all("/voice/message?reason=all_busy" in body for body in fallback)

    runtime = app.extensions["contact_center"]
    with runtime.sessions() as session:
        reservations = session.execute(select(Agent.state, Agent.reservation)).all()
        reserved_steps = session.scalar(select(func.count()).select_from(AgentPresenceChange)
                                        .where(AgentPresenceChange.reason == "reserved"))
    assert {state for state, _ in reservations} == {"ringing"}
    assert len({token for _, token in reservations}) == OPERATORS and reserved_steps == OPERATORS

    client = app.test_client()
    for number, dial in connected.items():
        action = dial.get("action")
        assert parse_qs(urlsplit(action).query)["token"] == [f"CA{number:032d}:1"]
        post_signed(client, action, {"CallSid": f"CA{number:032d}", "DialCallStatus": "completed"})
    policy = runtime.settings.routing.presence_policy()
    with runtime.sessions.begin() as session:
        assert {view.state for view in list_agents(session, policy, runtime.clock())} == {Presence.WRAP_UP}
    with runtime.sessions.begin() as session:
        after = list_agents(session, policy, runtime.clock() + timedelta(seconds=20))
        leftover = session.scalars(select(Agent.reservation).where(Agent.reservation.is_not(None))).all()
    assert {view.state for view in after} == {Presence.AVAILABLE}
    assert leftover == []
