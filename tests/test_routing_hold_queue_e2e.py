"""The hold queue through the simulator: position and estimate, press 1, longest wait, connection."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from agents.presence import Presence
from agents.queue import estimate_wait_seconds
from agents.reservation import reserve
from agents.roster import add_agent, list_agents, set_presence
from agents.transitions import mark_answered
from callsim import Simulator, WSGITransport
from storage.models import CallbackRequest, QueuedCall
from tests.conftest import AUTH_TOKEN, make_app, make_settings

CALLER = "+393471234567"
ANNA, BRUNO = "+390668201201", "+390668201202"


@pytest.fixture
def app(database_url: str, tmp_path: Path):
    app = make_app(make_settings(database_url, tmp_path / "instance",
                                 routing={"hold_queue_max_wait_seconds": 120, "topic_menu": False,
                                          "wrap_up_seconds": 30}))
    yield app
    app.extensions["contact_center"].engine.dispose()


def runtime(app: Flask) -> Any:
    return app.extensions["contact_center"]


def busy_operator(app: Flask, name: str, phone: str) -> None:
    """An operator talking with another caller: staffed, but not free."""
    policy = runtime(app).settings.routing.presence_policy()
    now = runtime(app).clock()
    with runtime(app).sessions.begin() as session:
        add_agent(session, name, phone=phone, now=now)
        set_presence(session, name, Presence.AVAILABLE, policy, now)
        assert reserve(session, f"CAother-{name}:1", f"CAother-{name}", "other", policy, now) is not None
        assert mark_answered(session, f"CAother-{name}:1", now)


def free(app: Flask, name: str) -> None:
    """The operator's call ends and they skip the wrap-up."""
    policy = runtime(app).settings.routing.presence_policy()
    with runtime(app).sessions.begin() as session:
        set_presence(session, name, Presence.OFFLINE, policy, runtime(app).clock())
        set_presence(session, name, Presence.AVAILABLE, policy, runtime(app).clock())


def advance(app: Flask, seconds: float) -> None:
    """The app's clock moves on by `seconds`."""
    later = runtime(app).clock() + timedelta(seconds=seconds)
    runtime(app).clock = lambda: later


def queued_caller(app: Flask) -> Any:
    call = Simulator(WSGITransport(app), auth_token=AUTH_TOKEN, public_base_url="http://localhost").dial(from_=CALLER)
    call.press("1")
    return call


def next_loop(call: Any) -> None:
    """The wait document's pause runs out and Twilio fetches it again."""
    call.silence()
    call.advance_queue(1)


def dialled(call: Any) -> list[list[str]]:
    return [event[1] for event in call.transcript if event[0] == "dial"]


def entries(app: Flask) -> list[CallbackRequest]:
    with runtime(app).sessions() as session:
        return list(session.scalars(select(CallbackRequest)).all())


def test_the_caller_hears_position_and_estimated_wait(app: Flask) -> None:
    busy_operator(app, "Anna", ANNA)
    call = queued_caller(app)
    heard = call.heard_since_last_input()
    assert "Tutti gli operatori sono occupati. Resta in linea" in heard
    assert "Sei il primo in attesa." in heard
    assert "L'attesa stimata è di circa 4 minuti." in heard
    assert "premi 1 in qualsiasi momento" in heard
    assert ("enqueue", "operators") in call.transcript
    assert call.pending == "gather" and call.errors == []
    second = queued_caller(app)
    assert "C'è una persona in attesa prima di te." in second.heard_since_last_input()
    assert "circa 7 minuti" in second.heard_since_last_input()


def test_pressing_1_leaves_the_queue_for_the_message_flow(app: Flask) -> None:
    busy_operator(app, "Anna", ANNA)
    call = queued_caller(app)
    call.press("1")
    assert ("leave",) in call.transcript
    assert runtime(app).prompts("message_reason_chosen") in call.heard_since_last_input()
    call.press("1")
    call.record(seconds=9)
    [entry] = entries(app)
    assert (entry.reason, entry.callback_number) == ("chosen", CALLER)
    assert dialled(call) == [] and call.errors == []


def test_another_key_keeps_the_caller_waiting(app: Flask) -> None:
    busy_operator(app, "Anna", ANNA)
    call = queued_caller(app)
    call.press("5")
    assert "La scelta non è valida." in call.heard_since_last_input()
    assert call.pending == "queue"
    call.advance_queue(1)
    assert "Sei il primo in attesa." in call.heard_since_last_input()


def test_past_the_longest_wait_the_caller_leaves_a_message(app: Flask) -> None:
    busy_operator(app, "Anna", ANNA)
    call = queued_caller(app)
    next_loop(call)
    assert "Sei il primo in attesa." in call.heard_since_last_input()
    advance(app, 119)
    next_loop(call)
    assert "Sei il primo in attesa." in call.heard_since_last_input()
    advance(app, 1)
    next_loop(call)
    heard = call.heard_since_last_input()
    assert "Nessun operatore si è liberato." in heard and runtime(app).prompts("message_reason_all_busy") in heard
    call.press("1")
    call.record(seconds=9)
    assert entries(app)[0].reason == "all_busy"
    assert dialled(call) == []


def test_an_operator_who_becomes_free_takes_the_longest_waiting_caller(app: Flask) -> None:
    busy_operator(app, "Anna", ANNA)
    first = queued_caller(app)
    second = queued_caller(app)
    free(app, "Anna")
    next_loop(second)
    assert dialled(second) == [] and "C'è una persona in attesa prima di te." in second.heard_since_last_input()
    next_loop(first)
    assert dialled(first) == [[ANNA]]
    assert "Ti mettiamo in contatto con un operatore" in first.said()
    assert first.operator_transcript and "45 67" in first.operator_transcript[0][1]
    assert first.ended and first.errors == []
    next_loop(second)
    assert "Sei il primo in attesa." in second.heard_since_last_input()
    with runtime(app).sessions() as session:
        outcomes = dict(session.execute(select(QueuedCall.call_sid, QueuedCall.outcome)).all())
        [anna] = list_agents(session, runtime(app).settings.routing.presence_policy(), runtime(app).clock())
    assert outcomes == {first.sid: "connected", second.sid: None}
    assert anna.state is Presence.WRAP_UP


def test_a_caller_who_hangs_up_in_line_no_longer_counts(app: Flask) -> None:
    busy_operator(app, "Anna", ANNA)
    first = queued_caller(app)
    first.hang_up()
    second = queued_caller(app)
    assert "Sei il primo in attesa." in second.heard_since_last_input()


def test_the_estimate_is_one_call_cycle_per_operator_for_each_place() -> None:
    assert estimate_wait_seconds(1, staffed=1, handle_seconds=180, wrap_up_seconds=30) == 210
    assert estimate_wait_seconds(3, staffed=2, handle_seconds=100, wrap_up_seconds=20) == 180
    assert estimate_wait_seconds(2, staffed=0, handle_seconds=60, wrap_up_seconds=0) == 120


def test_a_new_caller_does_not_overtake_the_callers_in_line(app: Flask) -> None:
    busy_operator(app, "Anna", ANNA)
    first = queued_caller(app)
    free(app, "Anna")
    newcomer = queued_caller(app)
    assert dialled(newcomer) == []
    assert "C'è una persona in attesa prima di te." in newcomer.heard_since_last_input()
    next_loop(first)
    assert dialled(first) == [[ANNA]]
