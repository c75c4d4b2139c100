"""The operators' roster and the presence they set by hand, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from agents.presence import Presence, PresencePolicy, parse_manual_state
from agents.reservation import reserve
from agents.roster import RosterError, add_agent, list_agents, remove_agent, set_presence
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import AgentPresenceChange

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = PresencePolicy()


@pytest.fixture
def sessions(database_url: str):
    engine = make_engine(database_url)
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


def test_a_new_operator_is_offline_with_normalized_contact_and_topics(sessions) -> None:
    with sessions.begin() as session:
        add_agent(session, "  Anna   Rossi ", phone="+39 06 6820 1234", topics=["risks", "National-Service", "risks"],
                  languages=["IT", "en"], now=T0)
        add_agent(session, "Bruno", client_identity="client:bruno_1", now=T0)
    with sessions() as session:
        anna, bruno = list_agents(session, POLICY, T0)
    assert (anna.name, anna.phone, anna.reach) == ("Anna Rossi", "+390668201234", "+390668201234")
    assert anna.topics == ("national_service", "risks")
    assert anna.languages == ("it", "en")
    assert (anna.state, anna.state_since) == (Presence.OFFLINE, T0)
    assert (bruno.client_identity, bruno.reach) == ("bruno_1", "client:bruno_1")
    assert (bruno.topics, bruno.languages) == ((), ("it",))


@pytest.mark.parametrize(("arguments", "message"), [
    ({"phone": "+390668201234", "client_identity": "anna"}, "exactly one way to reach"),
    ({}, "exactly one way to reach"),
    ({"phone": "0668201234"}, "not a phone number in E.164 form"),
    ({"phone": "+39 123"}, "not a valid phone number"),
    ({"client_identity": "anna rossi"}, "not a Twilio Client identity"),
    ({"phone": "+390668201234", "topics": ["weather"]}, "unknown topic 'weather'; valid topics: risks, legislation"),
    ({"phone": "+390668201234", "topics": ["other"]}, "unknown topic 'other'"),
    ({"phone": "+390668201234", "languages": ["italiano"]}, "not a two-letter language code"),
])
def test_bad_input_is_refused_with_a_reason(sessions, arguments: dict, message: str) -> None:
    with sessions.begin() as session, pytest.raises(RosterError, match=message):
        add_agent(session, "Anna", now=T0, **arguments)


@pytest.mark.parametrize(("name", "message"), [("   ", "name is empty"), ("x" * 81, "longer than 80"),
                                               ("Anna\x07", "control characters")])
def test_bad_names_are_refused(sessions, name: str, message: str) -> None:
    with sessions.begin() as session, pytest.raises(RosterError, match=message):
        add_agent(session, name, phone="+390668201234", now=T0)


def test_names_numbers_and_identities_are_unique(sessions) -> None:
    with sessions.begin() as session:
        add_agent(session, "Anna", phone="+390668201234", now=T0)
        add_agent(session, "Bruno", client_identity="bruno", now=T0)
    cases = [({"name": "Anna", "phone": "+390668201235"}, "an operator named 'Anna' already exists"),
             ({"name": "Carla", "phone": "+39 06 6820 1234"}, "already reached at \\+390668201234"),
             ({"name": "Carla", "client_identity": "bruno"}, "already uses the Client identity 'bruno'")]
    for arguments, message in cases:
        with sessions.begin() as session, pytest.raises(RosterError, match=message):
            add_agent(session, now=T0, **arguments)


def test_manual_presence_is_timestamped_in_the_history(sessions) -> None:
    with sessions.begin() as session:
        add_agent(session, "Anna", phone="+390668201234", now=T0)
    with sessions.begin() as session:
        assert set_presence(session, "Anna", Presence.AVAILABLE, POLICY, T0 + timedelta(minutes=5))
        assert not set_presence(session, "Anna", Presence.AVAILABLE, POLICY, T0 + timedelta(minutes=6))
        assert set_presence(session, "Anna", Presence.AWAY, POLICY, T0 + timedelta(minutes=65))
    with sessions() as session:
        steps = session.execute(select(AgentPresenceChange.from_state, AgentPresenceChange.to_state,
                                       AgentPresenceChange.changed_at, AgentPresenceChange.previous_state_seconds,
                                       AgentPresenceChange.reason).order_by(AgentPresenceChange.id)).all()
        [anna] = list_agents(session, POLICY, T0 + timedelta(minutes=70))
    assert [tuple(step) for step in steps] == [
        ("offline", "available", T0 + timedelta(minutes=5), 300, "manual"),
        ("available", "away", T0 + timedelta(minutes=65), 3600, "manual"),
    ]
    assert (anna.state, anna.state_since) == (Presence.AWAY, T0 + timedelta(minutes=65))


def test_an_operator_on_a_call_cannot_be_made_available_nor_removed(sessions) -> None:
    with sessions.begin() as session:
        add_agent(session, "Anna", phone="+390668201234", now=T0)
        set_presence(session, "Anna", Presence.AVAILABLE, POLICY, T0)
    with sessions.begin() as session:
        assert reserve(session, "CA1:1", "CA1", "risks", POLICY, T0) is not None
    with sessions.begin() as session, pytest.raises(RosterError, match="Anna is ringing: remove them after the call"):
        remove_agent(session, "Anna", POLICY, T0)
    with sessions.begin() as session, pytest.raises(RosterError, match="they become available after the call"):
        set_presence(session, "Anna", Presence.AVAILABLE, POLICY, T0)
    with sessions.begin() as session:
        assert set_presence(session, "Anna", Presence.OFFLINE, POLICY, T0 + timedelta(seconds=3))
    with sessions() as session:
        [anna] = list_agents(session, POLICY, T0 + timedelta(seconds=3))
    assert anna.state is Presence.OFFLINE


def test_removing_an_operator_removes_their_topics_and_history(sessions) -> None:
    with sessions.begin() as session:
        add_agent(session, "Anna", phone="+390668201234", topics=["risks"], now=T0)
        set_presence(session, "Anna", Presence.AVAILABLE, POLICY, T0)
    with sessions.begin() as session:
        remove_agent(session, "Anna", POLICY, T0)
    with sessions() as session:
        assert list_agents(session, POLICY, T0) == []
        assert session.scalar(select(func.count()).select_from(AgentPresenceChange)) == 0
    with sessions.begin() as session, pytest.raises(RosterError, match="no operator named 'Anna'"):
        remove_agent(session, "Anna", POLICY, T0)


def test_manual_states_are_parsed_strictly() -> None:
    assert parse_manual_state(" Away ") is Presence.AWAY
    with pytest.raises(ValueError, match="valid values: available, away, offline"):
        parse_manual_state("on_call")
