"""Tracking-code lookup latency with 1,000,000 tickets on PostgreSQL: `python bench/tickets.py`.

Creates a private database on the server (default: the test server's, TEST_POSTGRES_URL), bulk
loads the tickets with COPY, then times, one lookup at a time:
  - the IVR lookup path (`tickets.lookups.look_up`: limit counts, then the ticket) for known codes,
    and for unknown codes (a failure is stored);
  - the ticket query alone (`status_view`);
  - `GET /api/tickets/<code>/status` through the Flask test client (the whole request).
The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text

from contact_center.app import create_app
from hours.clock import utcnow
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from tickets.codes import generate_code
from tickets.lookups import Requester, look_up, lookup_session, status_view
from tickets.ratelimit import LookupLimits

DEFAULT_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CODE_LENGTH = 8
CHANNELS = ("phone", "voicemail", "web", "email", "fax", "letter")
TOPICS = ("risks", "legislation", "department", "national_service", "campaigns", "other")
STATUSES = ("received", "in_progress", "waiting_for_citizen", "closed")
# Limits high enough that the unknown-code run is never refused: the counts still run on every lookup.
LIMITS = LookupLimits(per_caller=10, per_caller_window_s=3600, global_=1_000_000, global_window_s=600)


def unique_codes(count: int, rng: random.Random) -> list[str]:
    """`count` distinct valid codes."""
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(generate_code(CODE_LENGTH, rng))
    return list(codes)


def load_tickets(url: str, codes: list[str], rng: random.Random) -> float:
    """COPY one ticket per code into `tickets`; the seconds it took (ANALYZE included)."""
    import psycopg

    started = time.perf_counter()
    now = utcnow()
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as connection:
        with connection.cursor() as cursor:
            columns = "code, channel, topic, status, summary, created_at, status_changed_at"
            with cursor.copy(f"COPY tickets ({columns}) FROM STDIN") as copy:
                for code in codes:
                    copy.write_row((code, rng.choice(CHANNELS), rng.choice(TOPICS), rng.choice(STATUSES),
                                    "richiesta di prova", now, now))
        connection.commit()
        connection.execute("ANALYZE tickets")
    return time.perf_counter() - started


def timed_ms(call: Callable[[str], object], codes: list[str]) -> list[tuple[float, float]]:
    """Each call's wall-clock and client CPU durations in milliseconds."""
    durations = []
    for code in codes:
        wall, cpu = time.perf_counter_ns(), time.process_time_ns()
        call(code)
        durations.append(((time.perf_counter_ns() - wall) / 1e6, (time.process_time_ns() - cpu) / 1e6))
    return durations


def report(name: str, durations: list[tuple[float, float]]) -> None:
    """Wall-clock p50, p95, p99 and max of a run, and the client's median CPU time per call."""
    ordered = sorted(wall for wall, _ in durations)
    pick = lambda share: ordered[min(len(ordered) - 1, int(share * len(ordered)))]  # noqa: E731
    cpu = statistics.median(cpu for _, cpu in durations)
    print(f"{name:40} n={len(ordered):5}  p50 {statistics.median(ordered):6.3f}  p95 {pick(0.95):6.3f}  "
          f"p99 {pick(0.99):6.3f}  max {ordered[-1]:7.3f} ms  (client CPU p50 {cpu:.3f} ms)")


def unknown_codes(known: set[str], count: int, rng: random.Random) -> list[str]:
    """Valid codes that no ticket has."""
    codes = []
    while len(codes) < count:
        code = generate_code(CODE_LENGTH, rng)
        if code not in known:
            codes.append(code)
    return codes


def run(admin_url: str, tickets: int, samples: int, seed: int) -> None:
    """Create the database, load it, time the lookups, drop it."""
    rng = random.Random(seed)
    name = f"cc_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        engine = make_engine(url)
        upgrade(engine)
        codes = unique_codes(tickets, rng)
        print(f"{tickets:,} tickets loaded with COPY in {load_tickets(url, codes, rng):.1f} s "
              f"(database {name}, PostgreSQL {engine.dialect.server_version_info})")
        sessions = make_session_factory(engine)
        known = rng.sample(codes, samples)
        missing = unknown_codes(set(codes), samples, rng)
        caller = Requester.phone("+393471234567", "bench")

        def ivr_lookup(code: str, who: Requester = caller) -> None:
            with lookup_session(sessions) as session:
                assert look_up(session, code, who, LIMITS, CODE_LENGTH, now=utcnow()).outcome in ("found", "unknown")

        def ticket_query(code: str) -> None:
            with lookup_session(sessions) as session:
                status_view(session, code)

        timed_ms(ticket_query, known[:200])  # warm the pool and the caches
        print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        report("ticket query alone (status_view)", timed_ms(ticket_query, known))
        report("IVR lookup path, known code", timed_ms(ivr_lookup, known))
        report("IVR lookup path, unknown code (stored)",
               timed_ms(lambda code: ivr_lookup(code, Requester.phone(f"+39347{code[:7]}", "bench")), missing))

        with tempfile.TemporaryDirectory() as instance:
            app = create_app({"database": {"url": url, "instance_dir": instance},
                              "twilio": {"auth_token": "bench"},
                              "tickets": {"global_failure_limit": 1_000_000}})
            client = app.test_client()

            def json_status(code: str) -> None:
                assert client.get(f"/api/tickets/{code}/status").status_code == 200

            timed_ms(json_status, known[:200])
            report("GET /api/tickets/<code>/status (Flask)", timed_ms(json_status, known))
            app.extensions["contact_center"].engine.dispose()
        print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets in the database")
    parser.add_argument("--samples", type=int, default=5_000, help="lookups timed per measure")
    parser.add_argument("--seed", type=int, default=800840840)
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL,
                        help="a PostgreSQL database on the server where the private bench database is created")
    options = parser.parse_args()
    if options.samples > options.tickets:
        parser.error("--samples cannot exceed --tickets")
    run(options.admin_url, options.tickets, options.samples, options.seed)


if __name__ == "__main__":
    main()
