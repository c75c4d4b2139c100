"""Presence follows the calls, and heals by itself when a callback is lost (injected clock)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from agents.presence import Presence, PresencePolicy
from agents.reservation import reserve
from agents.roster import add_agent, list_agents, set_presence
from agents.transitions import finish_call, heal_expired, mark_answered, release, release_missed
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import AgentPresenceChange

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = PresencePolicy(ring_timeout_seconds=20, ring_margin_seconds=15, max_call_seconds=600,
                        wrap_up_seconds=30, misses_before_away=2)


@pytest.fixture
def sessions(database_url: str):
    engine = make_engine(database_url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        add_agent(session, "Anna", phone="+390668201234", now=T0)
        set_presence(session, "Anna", Presence.AVAILABLE, POLICY, T0)
    yield factory
    engine.dispose()


def state_at(sessions, now: datetime) -> tuple[Presence, datetime]:
    with sessions.begin() as session:
        [anna] = list_agents(session, POLICY, now)
    return anna.state, anna.state_since


def ring(sessions, call: str, now: datetime) -> str:
    with sessions.begin() as session:
        reservation = reserve(session, f"{call}:1", call, "risks", POLICY, now)
    assert reservation is not None
    return reservation.token


def test_limits_follow_the_policy() -> None:
    assert POLICY.limit(Presence.RINGING) == timedelta(seconds=35)
    assert POLICY.limit(Presence.ON_CALL) == timedelta(seconds=615)
    assert POLICY.deadline(Presence.WRAP_UP, T0) == T0 + timedelta(seconds=30)
    assert POLICY.limit(Presence.AWAY) is None and POLICY.deadline(Presence.AVAILABLE, T0) is None


def test_answered_call_goes_on_call_then_wrap_up_then_available(sessions) -> None:
    token = ring(sessions, "CA1", T0 + timedelta(seconds=10))
    with sessions.begin() as session:
        assert mark_answered(session, token, T0 + timedelta(seconds=15))
        assert not mark_answered(session, token, T0 + timedelta(seconds=16))
    assert state_at(sessions, T0 + timedelta(seconds=400)) == (Presence.ON_CALL, T0 + timedelta(seconds=15))
    with sessions.begin() as session:
        assert finish_call(session, token, T0 + timedelta(seconds=315))
        assert not finish_call(session, token, T0 + timedelta(seconds=316))
    assert state_at(sessions, T0 + timedelta(seconds=344)) == (Presence.WRAP_UP, T0 + timedelta(seconds=315))
    assert state_at(sessions, T0 + timedelta(seconds=900)) == (Presence.AVAILABLE, T0 + timedelta(seconds=345))
    with sessions() as session:
        steps = session.execute(select(AgentPresenceChange.to_state, AgentPresenceChange.reason,
                                       AgentPresenceChange.previous_state_seconds)
                                .order_by(AgentPresenceChange.id)).all()
    assert [tuple(step) for step in steps] == [
        ("available", "manual", 0), ("ringing", "reserved", 10), ("on_call", "answered", 5),
        ("wrap_up", "call_ended", 300), ("available", "wrap_up_over", 30)]


def test_a_lost_dial_callback_frees_the_operator_after_ring_timeout_and_margin(sessions) -> None:
    token = ring(sessions, "CA1", T0)
    assert state_at(sessions, T0 + timedelta(seconds=34))[0] is Presence.RINGING
    assert state_at(sessions, T0 + timedelta(seconds=35)) == (Presence.AVAILABLE, T0 + timedelta(seconds=35))
    with sessions.begin() as session:
        assert release_missed(session, token, T0 + timedelta(seconds=60), POLICY, "no-answer") is None
        assert not mark_answered(session, token, T0 + timedelta(seconds=60))


def test_a_lost_completed_callback_frees_the_operator_after_the_longest_call(sessions) -> None:
    token = ring(sessions, "CA1", T0)
    with sessions.begin() as session:
        mark_answered(session, token, T0 + timedelta(seconds=5))
    assert state_at(sessions, T0 + timedelta(seconds=619))[0] is Presence.ON_CALL
    assert state_at(sessions, T0 + timedelta(seconds=620)) == (Presence.AVAILABLE, T0 + timedelta(seconds=620))


def test_the_expired_reservation_can_be_taken_by_the_next_call(sessions) -> None:
    ring(sessions, "CA1", T0)
    with sessions.begin() as session:
        assert reserve(session, "CA2:1", "CA2", "risks", POLICY, T0 + timedelta(seconds=34)) is None
    with sessions.begin() as session:
        assert reserve(session, "CA2:1", "CA2", "risks", POLICY, T0 + timedelta(seconds=36)) is not None


def test_misses_in_a_row_set_the_operator_away_and_an_answer_resets_the_count(sessions) -> None:
    token = ring(sessions, "CA1", T0)
    with sessions.begin() as session:
        assert release_missed(session, token, T0 + timedelta(seconds=20), POLICY, "no-answer") is Presence.AVAILABLE
        assert release_missed(session, token, T0 + timedelta(seconds=21), POLICY, "no-answer") is None
    token = ring(sessions, "CA2", T0 + timedelta(seconds=30))
    with sessions.begin() as session:
        mark_answered(session, token, T0 + timedelta(seconds=32))
        finish_call(session, token, T0 + timedelta(seconds=60))
    token = ring(sessions, "CA3", T0 + timedelta(seconds=100))
    with sessions.begin() as session:
        assert release_missed(session, token, T0 + timedelta(seconds=120), POLICY, "busy") is Presence.AVAILABLE
    token = ring(sessions, "CA4", T0 + timedelta(seconds=130))
    with sessions.begin() as session:
        assert release_missed(session, token, T0 + timedelta(seconds=150), POLICY, "no-answer") is Presence.AWAY
    assert state_at(sessions, T0 + timedelta(hours=5)) == (Presence.AWAY, T0 + timedelta(seconds=150))


def test_a_caller_who_hangs_up_while_ringing_costs_the_operator_no_miss(sessions) -> None:
    for index in range(3):
        token = ring(sessions, f"CA{index}", T0 + timedelta(seconds=10 * index))
        with sessions.begin() as session:
            assert release(session, token, T0 + timedelta(seconds=10 * index + 5), "canceled")
    assert state_at(sessions, T0 + timedelta(seconds=60))[0] is Presence.AVAILABLE


def test_healing_twice_changes_nothing_twice(sessions) -> None:
    ring(sessions, "CA1", T0)
    later = T0 + timedelta(minutes=5)
    with sessions.begin() as session:
        assert heal_expired(session, POLICY, later) == 1
        assert heal_expired(session, POLICY, later) == 0


def test_concurrent_healers_release_each_stale_operator_once(sessions) -> None:
    with sessions.begin() as session:
        for index in range(5):
            add_agent(session, f"Op{index}", phone=f"+3906682012{index + 50}", now=T0)
            set_presence(session, f"Op{index}", Presence.AVAILABLE, POLICY, T0)
    for index in range(6):
        ring(sessions, f"CA{index}", T0)
    later = T0 + timedelta(minutes=5)
    barrier = threading.Barrier(10)
    errors: list[BaseException] = []

    def heal() -> None:
        try:
            barrier.wait()
            with sessions.begin() as session:
                heal_expired(session, POLICY, later)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=heal) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sessions() as session:
        released = session.scalars(select(AgentPresenceChange.agent_id)
                                   .where(AgentPresenceChange.reason == "ringing_expired")).all()
    assert sorted(released) == list(range(1, 7))
