"""Reservation latency with 50 concurrent callers on PostgreSQL: `python bench/routing.py`.

Creates a private database, migrates it and staffs it with free operators. 50 callers (threads
spread over worker processes, as gunicorn runs the service, each with its own connection) then
reserve operators; each reservation transaction (BEGIN, self-healing check, atomic claim, history
row, COMMIT) is timed as a webhook runs it. Two scenarios:
- burst: round after round, all 50 callers ask at the same instant (the worst case: every
  reservation queues behind the others for the CPUs); operators are freed between rounds;
- steady: each caller asks again after a random pause (mean `--pace` seconds) and holds the
  operator it got for a random short call, so the 50 callers overlap as real traffic does.
It checks that no operator ever had two callers and none is left ringing, then drops the database.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import sys
import threading
import time
import uuid
from dataclasses import dataclass
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
from hours.clock import utcnow
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Agent

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
POLICY = PresencePolicy()
WARM_UP_ROUNDS = 2  # connections opened and statements prepared: not timed

Result = tuple[int, float, int | None]  # round, latency in ms, operator reserved


@dataclass(frozen=True)
class Scenario:
    """How the callers of one run ask for operators."""

    name: str
    rounds: int
    pace: float  # 0: all at once, round after round; else mean seconds between a caller's calls


def staff(sessions: sessionmaker[Session], operators: int) -> None:
    """`operators` free operators, half of them for the topic the callers ask."""
    start = utcnow() - timedelta(hours=1)
    with sessions.begin() as session:
        for index in range(operators):
            name = f"Operatore {index:03d}"
            add_agent(session, name, phone=f"+39066820{index:04d}", topics=["risks"] if index % 2 else [], now=start)
            set_presence(session, name, Presence.AVAILABLE, POLICY, start + timedelta(seconds=index))


def timed_reservation(sessions: sessionmaker[Session], number: int, round_number: int) -> tuple[str, Result]:
    """One reservation as the operator step makes it, timed."""
    call_sid = f"CA{number:04d}{round_number:04d}{uuid.uuid4().hex[:24]}"
    token = f"{call_sid}:1"
    started = time.perf_counter()
    with sessions.begin() as session:
        reservation = reserve(session, token, call_sid, "risks", POLICY, utcnow())
    latency = (time.perf_counter() - started) * 1000
    return token, (round_number, latency, reservation.agent_id if reservation else None)


def free(sessions: sessionmaker[Session], token: str) -> None:
    """The call ends: the operator is free again."""
    with sessions.begin() as session:
        release(session, token, utcnow(), "bench")


def caller(sessions: sessionmaker[Session], number: int, scenario: Scenario, start: Barrier, done: Barrier,
           results: list[Result]) -> None:
    """One caller's rounds: at the barrier (burst) or after a random pause (steady)."""
    rng = random.Random(number)
    start.wait()
    for round_number in range(scenario.rounds):
        if scenario.pace:
            time.sleep(rng.uniform(0, 2 * scenario.pace))
        token, result = timed_reservation(sessions, number, round_number)
        results.append(result)
        if scenario.pace:
            time.sleep(rng.uniform(0, scenario.pace) if result[2] is not None else 0)
        else:
            done.wait()
        if result[2] is not None:
            free(sessions, token)
        if not scenario.pace:
            start.wait()


def worker(url: str, first: int, callers: int, scenario: Scenario, start: Barrier, done: Barrier,
           queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """One process: `callers` caller threads sharing an engine with one connection each."""
    engine = make_engine(url, pool_size=callers, max_overflow=0)
    sessions = make_session_factory(engine)
    results: list[Result] = []
    threads = [threading.Thread(target=caller, args=(sessions, first + index, scenario, start, done, results))
               for index in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    queue.put(results)


def run(url: str, callers: int, processes: int, scenario: Scenario) -> tuple[list[Result], float]:
    """All the callers of one scenario, spread over the processes; their results and the time taken."""
    context = multiprocessing.get_context("fork")
    start, done, queue = context.Barrier(callers), context.Barrier(callers), context.Queue()
    share = [callers // processes + (1 if index < callers % processes else 0) for index in range(processes)]
    workers = [context.Process(target=worker, args=(url, sum(share[:index]), count, scenario, start, done, queue))
               for index, count in enumerate(share)]
    began = time.perf_counter()
    for process in workers:
        process.start()
    results = [result for _ in workers for result in queue.get()]
    for process in workers:
        process.join()
    return results, time.perf_counter() - began


def percentile(ordered: list[float], share: float) -> float:
    """The value below which `share` of the ordered values lie."""
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def report(scenario: Scenario, results: list[Result], elapsed: float, burst: bool) -> None:
    """Latency percentiles and, for bursts, the operators reserved in each round."""
    ordered = sorted(latency for round_number, latency, _ in results if round_number >= WARM_UP_ROUNDS)
    got = sum(1 for _, _, agent in results if agent is not None)
    print(f"{scenario.name}: {len(results):,} reservations in {elapsed:.1f} s, {got:,} got an operator "
          f"({len(ordered):,} timed after {WARM_UP_ROUNDS} warm-up rounds)")
    if burst:
        per_round: dict[int, list[int]] = {}
        for round_number, _, agent in results:
            if agent is not None:
                per_round.setdefault(round_number, []).append(agent)
        shared = sum(len(agents) - len(set(agents)) for agents in per_round.values())
        print(f"  connected per round: {sorted({len(agents) for agents in per_round.values()})}; "
              f"operators given to two callers in a round: {shared}")
    print(f"  latency ms: mean {statistics.fmean(ordered):.2f}  p50 {percentile(ordered, 0.50):.2f}  "
          f"p95 {percentile(ordered, 0.95):.2f}  p99 {percentile(ordered, 0.99):.2f}  max {ordered[-1]:.2f}")


def main() -> None:
    """Create a private database, run both scenarios on it, check nobody is left ringing, drop it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=ADMIN_URL, help="a PostgreSQL database to create the bench one from")
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--processes", type=int, default=5, help="worker processes sharing the callers")
    parser.add_argument("--operators", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=42, help=f"per caller, including {WARM_UP_ROUNDS} warm-up rounds")
    parser.add_argument("--pace", type=float, default=0.5,
                        help="steady scenario: mean seconds between a caller's calls")
    options = parser.parse_args()
    name = f"cc_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(options.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = options.admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        engine = make_engine(url)
        upgrade(engine)
        staff(make_session_factory(engine), options.operators)
        print(f"{options.callers} callers ({options.processes} processes), {options.operators} operators, PostgreSQL")
        for scenario in (Scenario("burst", options.rounds, 0.0), Scenario("steady", options.rounds, options.pace)):
            results, elapsed = run(url, options.callers, options.processes, scenario)
            report(scenario, results, elapsed, burst=not scenario.pace)
        with make_session_factory(engine)() as session:
            left = session.scalar(select(func.count()).select_from(Agent)
                                  .where(Agent.state != Presence.AVAILABLE.value))
        print(f"operators not available at the end: {left}")
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
