"""Reservation latency with 50 concurrent callers on PostgreSQL: `python bench/routing.py`.

Creates a private database, migrates it, staffs it with free operators, then lets each caller
thread (its own session and connection) reserve an operator and free them again, round after
round, all at once. It times each reservation transaction (BEGIN, self-healing check, atomic
claim, history row, COMMIT) as a webhook runs it, and drops the database at the end.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from agents.presence import Presence, PresencePolicy
from agents.reservation import reserve
from agents.roster import add_agent, set_presence
from agents.transitions import release
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Agent
from storage.types import utcnow

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
POLICY = PresencePolicy()


def staff(sessions: sessionmaker[Session], operators: int) -> None:
    """`operators` free operators, half of them for the topic the callers ask."""
    start = utcnow() - timedelta(hours=1)
    with sessions.begin() as session:
        for index in range(operators):
            name = f"Operatore {index:03d}"
            add_agent(session, name, phone=f"+39066820{index:04d}", topics=["risks"] if index % 2 else [], now=start)
            set_presence(session, name, Presence.AVAILABLE, POLICY, start + timedelta(seconds=index))


def caller(sessions: sessionmaker[Session], number: int, rounds: int, barrier: threading.Barrier,
           latencies: list[float], outcomes: list[bool]) -> None:
    """Reserve (timed), then free the operator, `rounds` times."""
    barrier.wait()
    for attempt in range(1, rounds + 1):
        call_sid = f"CA{number:08d}{uuid.uuid4().hex[:24]}"
        token = f"{call_sid}:{attempt}"
        started = time.perf_counter()
        with sessions.begin() as session:
            reservation = reserve(session, token, call_sid, "risks", POLICY, utcnow())
        latencies.append((time.perf_counter() - started) * 1000)
        outcomes.append(reservation is not None)
        if reservation is not None:
            with sessions.begin() as session:
                release(session, token, utcnow(), "bench")


def percentile(ordered: list[float], share: float) -> float:
    """The value below which `share` of the ordered values lie."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def run(url: str, callers: int, operators: int, rounds: int) -> None:
    """Migrate, staff, run the callers, print the figures and check nobody is left ringing."""
    engine = make_engine(url, pool_size=callers + 2, max_overflow=0)
    upgrade(engine)
    sessions = make_session_factory(engine)
    staff(sessions, operators)
    barrier = threading.Barrier(callers)
    latencies: list[float] = []
    outcomes: list[bool] = []
    threads = [threading.Thread(target=caller, args=(sessions, number, rounds, barrier, latencies, outcomes))
               for number in range(callers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    with sessions() as session:
        stuck = session.scalar(select(func.count()).select_from(Agent).where(Agent.state != Presence.AVAILABLE.value))
    engine.dispose()
    ordered = sorted(latencies)
    print(f"{callers} concurrent callers, {operators} operators, {rounds} rounds each, PostgreSQL")
    print(f"reservations: {len(ordered):,} in {elapsed:.1f} s ({len(ordered) / elapsed:,.0f}/s), "
          f"{sum(outcomes):,} got an operator, {len(outcomes) - sum(outcomes):,} found nobody free")
    print(f"latency ms: mean {statistics.fmean(ordered):.2f}  p50 {percentile(ordered, 0.50):.2f}  "
          f"p95 {percentile(ordered, 0.95):.2f}  p99 {percentile(ordered, 0.99):.2f}  max {ordered[-1]:.2f}")
    print(f"operators not available afterwards: {stuck}")


def main() -> None:
    """Create a private database, run the benchmark on it, drop it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=ADMIN_URL, help="a PostgreSQL database to create the bench one from")
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--operators", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=40, help="reservations per caller")
    options = parser.parse_args()
    name = f"cc_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(options.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run(options.admin_url.rsplit("/", 1)[0] + f"/{name}", options.callers, options.operators, options.rounds)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
