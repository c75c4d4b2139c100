"""Reserving operators: longest idle first, topic first, atomically under concurrency."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from agents.presence import Presence, PresencePolicy
from agents.reservation import find_reservation, reservation_token, reserve
from agents.roster import add_agent, list_agents, set_presence
from agents.transitions import release_missed
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Agent

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = PresencePolicy()


@pytest.fixture
def engine(database_url: str):
    engine = make_engine(database_url, pool_size=60, max_overflow=0) if database_url.startswith("postgresql") \
        else make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine):
    return make_session_factory(engine)


def staff(sessions, *operators: tuple[str, list[str], int]) -> None:
    """Operators (name, topics, minutes after T0 they became available)."""
    with sessions.begin() as session:
        for index, (name, topics, minutes) in enumerate(operators):
            add_agent(session, name, phone=f"+3906682012{index:02d}", topics=topics, now=T0)
            set_presence(session, name, Presence.AVAILABLE, POLICY, T0 + timedelta(minutes=minutes))


def reserved_name(sessions, call: str, topic: str, exclude: tuple[int, ...] = ()) -> str | None:
    with sessions.begin() as session:
        reservation = reserve(session, f"{call}:1", call, topic, POLICY, T0 + timedelta(hours=1), exclude)
    return reservation.name if reservation else None


def test_the_longest_idle_operator_for_the_topic_is_reserved(sessions) -> None:
    staff(sessions, ("Anna", ["risks"], 10), ("Bruno", ["risks", "legislation"], 5), ("Carla", ["campaigns"], 1))
    assert reserved_name(sessions, "CA1", "risks") == "Bruno"
    assert reserved_name(sessions, "CA2", "risks") == "Anna"
    assert reserved_name(sessions, "CA3", "risks") == "Carla"
    assert reserved_name(sessions, "CA4", "risks") is None


def test_an_operator_with_no_topic_handles_every_topic(sessions) -> None:
    staff(sessions, ("Anna", ["campaigns"], 1), ("Bruno", [], 5))
    assert reserved_name(sessions, "CA1", "risks") == "Bruno"
    assert reserved_name(sessions, "CA2", "other") == "Anna"


def test_only_available_operators_are_reserved(sessions) -> None:
    staff(sessions, ("Anna", [], 1), ("Bruno", [], 2), ("Carla", [], 3))
    with sessions.begin() as session:
        set_presence(session, "Anna", Presence.AWAY, POLICY, T0 + timedelta(minutes=20))
        set_presence(session, "Bruno", Presence.OFFLINE, POLICY, T0 + timedelta(minutes=20))
    assert reserved_name(sessions, "CA1", "other") == "Carla"
    assert reserved_name(sessions, "CA2", "other") is None


def test_tried_operators_are_skipped(sessions) -> None:
    staff(sessions, ("Anna", [], 1), ("Bruno", [], 2))
    with sessions() as session:
        anna_id = session.scalar(select(Agent.id).where(Agent.name == "Anna"))
    assert reserved_name(sessions, "CA1", "other", exclude=(anna_id,)) == "Bruno"


def test_a_repeated_webhook_gets_the_same_operator(sessions) -> None:
    staff(sessions, ("Anna", [], 1), ("Bruno", [], 2))
    assert reserved_name(sessions, "CA1", "other") == "Anna"
    assert reserved_name(sessions, "CA1", "other") == "Anna"
    with sessions() as session:
        assert find_reservation(session, "CA1:1").name == "Anna"
        assert find_reservation(session, "CA1:2") is None
    assert reservation_token("CA1", 2) == "CA1:2"
    assert reservation_token("", 1) != reservation_token("", 1)


def test_a_released_operator_goes_to_the_back_of_the_line(sessions) -> None:
    staff(sessions, ("Anna", [], 1), ("Bruno", [], 2))
    now = T0 + timedelta(hours=1)
    with sessions.begin() as session:
        token = reserve(session, "CA1:1", "CA1", "other", POLICY, now).token
        release_missed(session, token, now + timedelta(seconds=20), POLICY, "no-answer")
    assert reserved_name(sessions, "CA2", "other") == "Bruno"


def concurrent_reservations(sessions, callers: int) -> list[str | None]:
    """`callers` threads, each with its own session, reserving at the same moment."""
    barrier = threading.Barrier(callers)
    results: dict[int, str | None] = {}
    errors: list[BaseException] = []

    def call(number: int) -> None:
        try:
            barrier.wait()
            with sessions.begin() as session:
                found = reserve(session, f"CA{number}:1", f"CA{number}", "risks", POLICY, T0 + timedelta(hours=1))
            results[number] = found.name if found else None
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=call, args=(number,)) for number in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return [results[number] for number in range(callers)]


def test_fifty_concurrent_callers_never_share_one_of_ten_operators(sessions) -> None:
    staff(sessions, *((f"Op{index:02d}", ["risks"] if index % 2 else [], index) for index in range(10)))
    connected = [name for name in concurrent_reservations(sessions, 50) if name is not None]
    assert len(connected) == 10 and len(set(connected)) == 10
    with sessions() as session:
        views = list_agents(session, POLICY, T0 + timedelta(hours=1))
        reservations = session.scalars(select(Agent.reservation)).all()
    assert {view.state for view in views} == {Presence.RINGING}
    assert len(set(reservations)) == 10


def test_as_many_concurrent_callers_as_operators_all_get_one(sessions) -> None:
    staff(sessions, *((f"Op{index:02d}", [], index) for index in range(20)))
    for _ in range(3):
        names = concurrent_reservations(sessions, 20)
        assert None not in names and len(set(names)) == 20
        with sessions.begin() as session:
            for name in names:
                set_presence(session, name, Presence.OFFLINE, POLICY, T0 + timedelta(hours=1))
                set_presence(session, name, Presence.AVAILABLE, POLICY, T0 + timedelta(hours=1))


WORKER = """
import json, pathlib, sys, time
from datetime import datetime, timezone
from agents.presence import PresencePolicy
from agents.reservation import reserve
from storage.db import make_engine, make_session_factory
sessions = make_session_factory(make_engine(sys.argv[1]))
print("ready", flush=True)
while not pathlib.Path(sys.argv[4]).exists():
    time.sleep(0.005)
won = []
for attempt in range(int(sys.argv[3])):
    call = f"{sys.argv[2]}-{attempt}"
    with sessions.begin() as session:
        found = reserve(session, call, call, "other", PresencePolicy(), datetime.now(timezone.utc))
    if found is not None:
        won.append(found.agent_id)
print(json.dumps(won))
"""


def test_sqlite_reservation_is_atomic_across_processes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = make_engine(url)
    upgrade(engine)
    staff(make_session_factory(engine), *((f"Op{index}", [], index) for index in range(8)))
    engine.dispose()
    go = tmp_path / "go"
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, url, f"P{number}", "6", str(go)], cwd=ROOT,
                                stdout=subprocess.PIPE, text=True) for number in range(5)]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    go.touch()
    won = [agent for worker in workers for agent in json.loads(worker.communicate(timeout=120)[0])]
    assert all(worker.returncode == 0 for worker in workers)
    assert len(won) == 8 and len(set(won)) == 8
