"""Claim-next and list-first-page latency with 100,000 pending callback entries: `python bench/callbacks.py`.

By default it creates a private PostgreSQL database on 127.0.0.1:5432 (user postgres) and drops
it afterwards; `--url sqlite:///PATH` measures an SQLite file instead.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, text
from sqlalchemy.orm import Session, sessionmaker

from hours.clock import utcnow
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import CallbackRequest
from voicemail.callbacks import REASON_PRIORITY
from voicemail.listing import list_entries
from voicemail.queue import CallbackPolicy, claim_next

POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
BATCH = 10_000
PAGE = 50


@contextmanager
def private_postgres() -> Iterator[str]:
    """A new empty PostgreSQL database, dropped on exit."""
    name = f"cc_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{POSTGRES_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def fill(sessions: sessionmaker[Session], count: int, later_share: float, rng: random.Random) -> None:
    """`count` pending entries over the last 30 days, a share of them scheduled for a later retry."""
    now = utcnow()
    reasons = list(REASON_PRIORITY)
    for start in range(0, count, BATCH):
        rows = []
        for index in range(start, min(start + BATCH, count)):
            reason = rng.choice(reasons)
            created = now - timedelta(seconds=rng.randrange(30 * 24 * 3600))
            later = rng.random() < later_share
            rows.append({
                "callback_number": f"+39347{index:07d}", "reason": reason, "priority": REASON_PRIORITY[reason],
                "status": "pending", "message_count": 1, "attempt_count": 1 if later else 0,
                "next_attempt_at": now + timedelta(hours=rng.randint(1, 4)) if later else created,
                "created_at": created, "updated_at": created,
            })
        with sessions.begin() as session:
            session.execute(insert(CallbackRequest), rows)


def timed_ms(work: Callable[[], object], repeat: int) -> list[float]:
    """Each run's duration in milliseconds."""
    durations = []
    for _ in range(repeat):
        started = time.perf_counter_ns()
        work()
        durations.append((time.perf_counter_ns() - started) / 1e6)
    return durations


def report(name: str, durations: list[float]) -> None:
    """Print mean, p50, p99 and max."""
    ordered = sorted(durations)
    p50, p99 = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"{name:<26}{len(ordered):>7,}{statistics.fmean(ordered):>10.2f}{p50:>10.2f}{p99:>10.2f}{ordered[-1]:>10.2f}")


def run(url: str, entries: int, claims: int, listings: int, later_share: float, seed: int) -> None:
    """Fill the list, then time claims (each its own transaction) and first pages."""
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    started = time.perf_counter()
    fill(sessions, entries, later_share, random.Random(seed))
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    print(f"{engine.dialect.name}: {entries:,} pending entries ({later_share:.0%} scheduled later) "
          f"inserted in {time.perf_counter() - started:.1f} s")
    policy = CallbackPolicy()
    operators = iter(range(claims))

    def claim() -> object:
        with sessions.begin() as session:
            return claim_next(session, f"op{next(operators) % 20}", policy, now=utcnow())

    def first_page() -> object:
        with sessions.begin() as session:
            return list_entries(session, policy, "open", PAGE, now=utcnow())

    def round_trip() -> object:
        with engine.connect() as connection:
            return connection.execute(text("SELECT 1")).scalar()

    print(f"{'operation':<26}{'runs':>7}{'mean ms':>10}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    report("baseline: SELECT 1", timed_ms(round_trip, listings))
    report("claim next", timed_ms(claim, claims))
    report(f"list first page ({PAGE})", timed_ms(first_page, listings))
    engine.dispose()


def main() -> None:
    """Parse the options and run on PostgreSQL (a private database) or the given URL."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="database URL (default: a private PostgreSQL database)")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=2_000)
    parser.add_argument("--listings", type=int, default=1_000)
    parser.add_argument("--later-share", type=float, default=0.1, help="share of entries not due yet")
    parser.add_argument("--seed", type=int, default=840)
    options = parser.parse_args()
    arguments = (options.entries, options.claims, options.listings, options.later_share, options.seed)
    if options.url:
        run(options.url, *arguments)
        return
    with private_postgres() as url:
        run(url, *arguments)


if __name__ == "__main__":
    main()
