"""Reservation latency with 50 concurrent callers on PostgreSQL: `python bench/routing.py`.

Creates a private database, migrates it and staffs it with free operators. Then, round after
round, 50 callers (threads spread over worker processes, as gunicorn runs the service, each
with its own connection) ask for an operator at the same instant; each reservation transaction
(BEGIN, self-healing check, atomic claim, history row, COMMIT) is timed as a webhook runs it.
The operators are freed between rounds. It checks that no operator ever had two callers and
none is left ringing, then drops the database.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import threading
import time
import uuid
from datetime import timedelta
from multiprocessing.synchronize import Barrier
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


def caller(sessions: sessionmaker[Session], number: int, rounds: int, start: Barrier, done: Barrier,
           results: list[tuple[int, float, int | None]]) -> None:
    """Each round: reserve at the same instant as the others (timed), then free the operator."""
    for round_number in range(rounds):
        call_sid = f"CA{number:04d}{round_number:04d}{uuid.uuid4().hex[:24]}"
        token = f"{call_sid}:1"
        start.wait()
        started = time.perf_counter()
        with sessions.begin() as session:
            reservation = reserve(session, token, call_sid, "risks", POLICY, utcnow())
        results.append((round_number, (time.perf_counter() - started) * 1000,
                        reservation.agent_id if reservation else None))
        done.wait()
        if reservation is not None:
            with sessions.begin() as session:
                release(session, token, utcnow(), "bench")


def worker(url: str, first: int, callers: int, rounds: int, start: Barrier, done: Barrier,
           queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """One process: `callers` caller threads sharing an engine with one connection each."""
    engine = make_engine(url, pool_size=callers, max_overflow=0)
    sessions = make_session_factory(engine)
    results: list[tuple[int, float, int | None]] = []
    threads = [threading.Thread(target=caller, args=(sessions, first + index, rounds, start, done, results))
               for index in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    queue.put(results)


def percentile(ordered: list[float], share: float) -> float:
    """The value below which `share` of the ordered values lie."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def run(url: str, callers: int, processes: int, operators: int, rounds: int) -> None:
    """Migrate, staff, run the rounds, print the figures and the checks."""
    engine = make_engine(url)
    upgrade(engine)
    staff(make_session_factory(engine), operators)
    context = multiprocessing.get_context("fork")
    start, done, queue = context.Barrier(callers), context.Barrier(callers), context.Queue()
    share = [callers // processes + (1 if index < callers % processes else 0) for index in range(processes)]
    workers = [context.Process(target=worker, args=(url, sum(share[:index]), count, rounds, start, done, queue))
               for index, count in enumerate(share)]
    began = time.perf_counter()
    for process in workers:
        process.start()
    results = [result for _ in workers for result in queue.get()]
    for process in workers:
        process.join()
    elapsed = time.perf_counter() - began
    with make_session_factory(engine)() as session:
        left = session.scalar(select(func.count()).select_from(Agent).where(Agent.state != Presence.AVAILABLE.value))
    engine.dispose()
    report(results, callers, processes, operators, rounds, elapsed, left)


def report(results: list[tuple[int, float, int | None]], callers: int, processes: int, operators: int,
           rounds: int, elapsed: float, left: int | None) -> None:
    """Latency percentiles and the correctness checks of every round."""
    ordered = sorted(latency for _, latency, _ in results)
    per_round: dict[int, list[int]] = {}
    for round_number, _, agent in results:
        if agent is not None:
            per_round.setdefault(round_number, []).append(agent)
    shared = sum(len(agents) - len(set(agents)) for agents in per_round.values())
    connected = sorted({len(agents) for agents in per_round.values()})
    print(f"{callers} callers at once ({processes} processes), {operators} operators, {rounds} rounds, PostgreSQL")
    print(f"reservations: {len(ordered):,} in {elapsed:.1f} s; connected per round: {connected}; "
          f"operators given to two callers: {shared}; operators not available at the end: {left}")
    print(f"latency ms: mean {statistics.fmean(ordered):.2f}  p50 {percentile(ordered, 0.50):.2f}  "
          f"p95 {percentile(ordered, 0.95):.2f}  p99 {percentile(ordered, 0.99):.2f}  max {ordered[-1]:.2f}")


def main() -> None:
    """Create a private database, run the benchmark on it, drop it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=ADMIN_URL, help="a PostgreSQL database to create the bench one from")
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--processes", type=int, default=5, help="worker processes sharing the callers")
    parser.add_argument("--operators", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=40)
    options = parser.parse_args()
    name = f"cc_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(options.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        run(options.admin_url.rsplit("/", 1)[0] + f"/{name}", options.callers, options.processes,
            options.operators, options.rounds)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
