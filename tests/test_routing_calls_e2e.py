"""Whole calls through the simulator: topic menu, Dial with whisper, presence, hunting, fallbacks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from agents.presence import Presence
from agents.roster import AgentView, add_agent, list_agents, set_presence
from callsim import DialOutcome, Simulator, WSGITransport
from contact_center.app import create_app
from storage.models import AgentPresenceChange, Call, CallbackRequest
from tests.conftest import AUTH_TOKEN, make_app, make_settings, post_signed

CALLER = "+393471234567"
LINE = "+39800840840"
ANNA, BRUNO, CARLA = "+390668201201", "+390668201202", "+390668201203"


@pytest.fixture
def make_line(database_url: str, tmp_path: Path) -> Iterator[Any]:
    """Build the app with the given routing settings; every app is disposed after the test."""
    apps: list[Flask] = []

    def build(**routing: Any) -> Flask:
        app = make_app(make_settings(database_url, tmp_path / "instance", routing=routing))
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["contact_center"].engine.dispose()


def advance(app: Flask, seconds: float) -> None:
    """The app's clock moves on by `seconds`."""
    runtime = app.extensions["contact_center"]
    later = runtime.clock() + timedelta(seconds=seconds)
    runtime.clock = lambda: later


def staff(app: Flask, *operators: tuple[str, str, list[str]]) -> None:
    """Available operators (name, phone or client:identity, topics), the first idle the longest."""
    runtime = app.extensions["contact_center"]
    policy = runtime.settings.routing.presence_policy()
    start = runtime.clock() - timedelta(hours=1)
    with runtime.sessions.begin() as session:
        for index, (name, reach, topics) in enumerate(operators):
            if reach.startswith("client:"):
                add_agent(session, name, client_identity=reach, topics=topics, now=start)
            else:
                add_agent(session, name, phone=reach, topics=topics, now=start)
            set_presence(session, name, Presence.AVAILABLE, policy, start + timedelta(minutes=index))


def roster(app: Flask) -> dict[str, AgentView]:
    """The operators by name, as the app's clock sees them now."""
    runtime = app.extensions["contact_center"]
    with runtime.sessions.begin() as session:
        views = list_agents(session, runtime.settings.routing.presence_policy(), runtime.clock())
    return {view.name: view for view in views}


def history(app: Flask, name_id: int = 1) -> list[tuple[str, str]]:
    with app.extensions["contact_center"].sessions() as session:
        rows = session.execute(select(AgentPresenceChange.to_state, AgentPresenceChange.reason)
                               .where(AgentPresenceChange.agent_id == name_id)
                               .order_by(AgentPresenceChange.id)).all()
    return [tuple(row) for row in rows]


def prompt(app: Flask, name: str) -> str:
    """What the IVR says for prompt `name`."""
    return app.extensions["contact_center"].prompts(name)


def entries(app: Flask) -> list[CallbackRequest]:
    with app.extensions["contact_center"].sessions() as session:
        return list(session.scalars(select(CallbackRequest)).all())


def simulator(app: Flask, *outcomes: DialOutcome) -> Simulator:
    return Simulator(WSGITransport(app), auth_token=AUTH_TOKEN, public_base_url="http://localhost",
                     dial_outcomes=outcomes)


def dialled(call: Any) -> list[list[str]]:
    return [event[1] for event in call.transcript if event[0] == "dial"]


def dial_attributes(call: Any) -> list[dict[str, str]]:
    return [request.params for request in call.requests_to("/voice/operator/dial-result")]


def test_a_free_operator_is_dialled_hears_the_whisper_then_on_call_wrap_up_available(make_line) -> None:
    app = make_line(wrap_up_seconds=45)
    staff(app, ("Anna", ANNA, ["risks"]))
    call = simulator(app, DialOutcome(talk_seconds=120)).dial(from_=CALLER)
    call.press("1")
    assert "scegli l'argomento" in call.heard_since_last_input()
    call.press("1")
    assert "Ti mettiamo in contatto con un operatore" in call.said()
    assert dialled(call) == [[ANNA]]
    assert call.operator_transcript[0][1] == (
        "Chiamata dal Contact Center. Argomento: rischi sul territorio e norme di comportamento. "
        "Il numero del chiamante termina con 45 67.")
    assert call.ended and call.errors == []
    assert "Arrivederci" in call.heard_since_last_input()
    assert history(app) == [("available", "manual"), ("ringing", "reserved"), ("on_call", "answered"),
                            ("wrap_up", "call_ended")]
    assert roster(app)["Anna"].state is Presence.WRAP_UP
    advance(app, 44)
    assert roster(app)["Anna"].state is Presence.WRAP_UP
    advance(app, 2)
    assert roster(app)["Anna"].state is Presence.AVAILABLE
    with app.extensions["contact_center"].sessions() as session:
        assert session.scalars(select(Call.outcome)).one() == "operator"


def test_the_dial_rings_from_the_line_number_with_timeout_and_answer_on_bridge(make_line) -> None:
    app = make_line(ring_timeout_seconds=17, topic_menu=False)
    staff(app, ("Anna", ANNA, []))
    infos = []
    sim = simulator(app)
    sim.on_dial = lambda info: infos.append(info) or DialOutcome()
    sim.dial(from_=CALLER).press("1")
    [info] = infos
    assert (info.attrs["callerId"], info.attrs["timeout"], info.attrs["answerOnBridge"]) == (LINE, "17", "true")
    [target] = info.targets
    assert (target.kind, target.address) == ("Number", ANNA)
    assert target.attrs["statusCallbackEvent"] == "initiated ringing answered completed"
    assert target.attrs["url"].startswith("/voice/operator/whisper?")
    assert target.attrs["statusCallback"].startswith("http://localhost/voice/")  # callbacks are absolute


def test_the_topic_chosen_reaches_an_operator_who_handles_it(make_line) -> None:
    app = make_line()
    staff(app, ("Anna", ANNA, ["campaigns"]), ("Bruno", BRUNO, ["legislation"]), ("Carla", CARLA, ["risks"]))
    call = simulator(app).dial(from_=CALLER)
    call.press("1")
    call.press("2")
    assert dialled(call) == [[BRUNO]]
    second = simulator(app).dial(from_=CALLER)
    second.press("1")
    second.press("0")
    assert dialled(second) == [[ANNA]]


def test_with_nobody_free_for_the_topic_any_free_operator_answers(make_line) -> None:
    app = make_line()
    staff(app, ("Anna", ANNA, ["campaigns"]))
    call = simulator(app).dial(from_=CALLER)
    call.press("1")
    call.press("4")
    assert dialled(call) == [[ANNA]]
    assert "Servizio nazionale" in call.operator_transcript[0][1]


def test_a_wrong_key_repeats_the_topics_and_silence_reaches_any_operator(make_line) -> None:
    app = make_line()
    staff(app, ("Anna", ANNA, ["campaigns"]))
    call = simulator(app).dial(from_=CALLER)
    call.press("1")
    call.press("8")
    assert "La scelta non è valida" in call.heard_since_last_input()
    assert "scegli l'argomento" in call.heard_since_last_input()
    call.silence()
    assert dialled(call) == [[ANNA]]
    assert "Argomento: altro" in call.operator_transcript[0][1]


def test_no_answer_rings_the_next_operator(make_line) -> None:
    app = make_line(topic_menu=False)
    staff(app, ("Anna", ANNA, []), ("Bruno", BRUNO, []))
    call = simulator(app, DialOutcome("no-answer"), DialOutcome()).dial(from_=CALLER)
    call.press("1")
    assert dialled(call) == [[ANNA], [BRUNO]]
    assert "L'operatore non ha risposto. Ti mettiamo in contatto con un altro operatore" in call.said()
    assert [params["DialCallStatus"] for params in dial_attributes(call)] == ["no-answer", "completed"]
    team = roster(app)
    assert (team["Anna"].state, team["Anna"].missed_in_a_row) == (Presence.AVAILABLE, 1)
    assert team["Bruno"].state is Presence.WRAP_UP
    assert call.errors == []


def test_after_the_configured_tries_the_caller_leaves_a_message(make_line) -> None:
    app = make_line(topic_menu=False, max_tries=2)
    staff(app, ("Anna", ANNA, []), ("Bruno", BRUNO, []), ("Carla", CARLA, []))
    call = simulator(app, DialOutcome("busy"), DialOutcome("no-answer")).dial(from_=CALLER)
    call.press("1")
    assert dialled(call) == [[ANNA], [BRUNO]]
    assert prompt(app, "message_reason_no_answer") in call.heard_since_last_input()
    call.press("1")
    call.record(seconds=10)
    [entry] = entries(app)
    assert (entry.reason, entry.callback_number) == ("no_answer", CALLER)
    assert {view.state for view in roster(app).values()} == {Presence.AVAILABLE}


def test_the_last_free_operator_missing_the_call_leads_to_a_message(make_line) -> None:
    app = make_line(topic_menu=False)
    staff(app, ("Anna", ANNA, []))
    call = simulator(app, DialOutcome("failed")).dial(from_=CALLER)
    call.press("1")
    assert dialled(call) == [[ANNA]]
    assert prompt(app, "message_reason_no_answer") in call.heard_since_last_input()


def test_misses_in_a_row_set_the_operator_away(make_line) -> None:
    app = make_line(topic_menu=False, misses_before_away=2, max_tries=1)
    staff(app, ("Anna", ANNA, []))
    for _ in range(2):
        simulator(app, DialOutcome("no-answer")).dial(from_=CALLER).press("1")
    assert roster(app)["Anna"].state is Presence.AWAY
    call = simulator(app).dial(from_=CALLER)
    call.press("1")
    assert dialled(call) == []
    assert prompt(app, "message_reason_all_busy") in call.heard_since_last_input()


def test_all_busy_goes_to_the_message_flow_without_any_dial(make_line) -> None:
    app = make_line()
    staff(app, ("Anna", ANNA, []))
    with app.extensions["contact_center"].sessions.begin() as session:
        set_presence(session, "Anna", Presence.AWAY, app.extensions["contact_center"].settings.routing
                     .presence_policy(), app.extensions["contact_center"].clock())
    call = simulator(app).dial(from_=CALLER)
    call.press("1")
    call.press("1")
    assert dialled(call) == []
    assert prompt(app, "message_reason_all_busy") in call.heard_since_last_input()
    call.press("1")
    call.record(seconds=8)
    assert entries(app)[0].reason == "all_busy"


def test_a_client_identity_is_dialled_as_a_client(make_line) -> None:
    app = make_line(topic_menu=False)
    staff(app, ("Anna", "client:anna", []))
    call = simulator(app).dial(from_="anonymous")
    call.press("1")
    assert dialled(call) == [["client:anna"]]
    assert "numero riservato" in call.operator_transcript[0][1]


def test_a_caller_hanging_up_while_it_rings_costs_the_operator_no_miss(make_line) -> None:
    app = make_line(topic_menu=False, misses_before_away=1)
    staff(app, ("Anna", ANNA, []))
    simulator(app, DialOutcome("canceled")).dial(from_=CALLER).press("1")
    assert (roster(app)["Anna"].state, roster(app)["Anna"].missed_in_a_row) == (Presence.AVAILABLE, 0)


def test_a_lost_dial_callback_frees_the_operator_after_ring_timeout_and_margin(make_line) -> None:
    app = make_line(topic_menu=False, ring_timeout_seconds=20, ring_margin_seconds=10)
    staff(app, ("Anna", ANNA, []))
    answer = post_signed(app.test_client(), "/voice/operator", {"CallSid": "CA" + "1" * 32, "From": CALLER})
    assert ANNA in answer.get_data(as_text=True)
    assert roster(app)["Anna"].state is Presence.RINGING
    advance(app, 29)
    assert roster(app)["Anna"].state is Presence.RINGING
    advance(app, 1)
    call = simulator(app).dial(from_=CALLER)
    call.press("1")
    assert dialled(call) == [[ANNA]]


def test_a_repeated_operator_webhook_rings_the_same_operator(make_line) -> None:
    app = make_line(topic_menu=False)
    staff(app, ("Anna", ANNA, []), ("Bruno", BRUNO, []))
    client = app.test_client()
    params = {"CallSid": "CA" + "2" * 32, "From": CALLER}
    first = post_signed(client, "/voice/operator", params).get_data(as_text=True)
    second = post_signed(client, "/voice/operator", params).get_data(as_text=True)
    assert first == second and ANNA in first
    assert roster(app)["Bruno"].state is Presence.AVAILABLE


@pytest.mark.parametrize(("path", "params"), [
    ("/voice/operator/dial-result?token=nobody&attempt=x&tried=a,b", {"DialCallStatus": "weird"}),
    ("/voice/operator/dial-result", {}),
    ("/voice/operator/leg-status", {"CallStatus": "in-progress"}),
    ("/voice/operator/leg-status?token=zzz", {"CallStatus": "completed"}),
    ("/voice/operator/whisper?topic=%00&caller=abc", {}),
    ("/voice/operator?topic=nonsense&menu=-5", {"Digits": "#*"}),
    ("/voice/operator/queue-result", {"QueueResult": "system-error"}),
    ("/voice/operator/queue/wait", {}),
    ("/voice/operator/queue/choice", {"Digits": "9"}),
])
def test_garbage_never_gets_an_error_status(make_line, path: str, params: dict[str, str]) -> None:
    app = make_line()
    answer = post_signed(app.test_client(), path, {"CallSid": "CA" + "3" * 32, "From": CALLER, **params})
    assert answer.status_code == 200
    assert answer.get_data(as_text=True).startswith("<?xml")
    assert "problema tecnico" not in answer.get_data(as_text=True)


def test_with_the_database_down_the_whisper_plays_and_a_finished_call_ends_politely(tmp_path: Path) -> None:
    app = create_app(make_settings("postgresql+psycopg://postgres@127.0.0.1:1/none", tmp_path / "down"))
    client = app.test_client()
    call = {"CallSid": "CA" + "4" * 32, "From": LINE}
    whisper = post_signed(client, "/voice/operator/whisper?token=CA4%3A1&topic=risks&caller=%2B393471234567",
                          call).get_data(as_text=True)
    assert "Argomento: rischi sul territorio" in whisper and "45 67" in whisper and "<Record" not in whisper
    ended = post_signed(client, "/voice/operator/dial-result?token=CA4%3A1&topic=risks&attempt=1",
                        {**call, "DialCallStatus": "completed"}).get_data(as_text=True)
    assert "Arrivederci" in ended and "<Hangup" in ended and "<Record" not in ended
    assert app.extensions["contact_center"].journal.backlog() == 1


def test_while_the_line_is_closed_nobody_is_rung(make_line) -> None:
    app = make_line()
    staff(app, ("Anna", ANNA, []))
    app.extensions["contact_center"].clock = lambda: datetime(2026, 11, 28, 12, 0, tzinfo=ZoneInfo("Europe/Rome"))
    call = simulator(app).dial(from_=CALLER)
    call.press("1")
    assert dialled(call) == []
    assert "chiuso" in call.heard_since_last_input()
    assert [request.url for request in call.requests if "/voice/message?" in request.url] == [
        "http://localhost/voice/message?reason=closed"]
    assert roster(app)["Anna"].state is Presence.AVAILABLE
