"""The dossier of a year with 1,000,000 calls on PostgreSQL: `python bench/report.py`.

Writes synthetic calls, tickets, callback entries and attempts with COPY into a private database,
names three emergency events, then runs `contact-center report` for the whole year (and for
one event) in a child process, and prints its wall time and peak memory (ru_maxrss).
The private database is dropped at the end.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from figures.events import add_event
from figures.period import Period
from storage.db import make_engine
from storage.migrate import upgrade

UTC: Final = UTC
ROME: Final = ZoneInfo("Europe/Rome")
YEAR: Final = 2025
ADMIN_URL: Final = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# Relative weight of each local hour of day: busy office hours, a quiet night.
HOUR_WEIGHTS: Final = (1, 1, 1, 1, 1, 2, 4, 8, 14, 20, 22, 21, 18, 16, 18, 19, 18, 15, 10, 7, 5, 4, 3, 2)
OUTCOMES: Final = (("operator", 40), ("message", 25), ("self_service", 15), ("abandoned", 18), (None, 2))
TOPICS: Final = (("risks", 73), ("legislation", 6), ("department", 5), ("national_service", 5),
                 ("campaigns", 6), ("other", 5))
CHANNELS: Final = (("phone", 60), ("voicemail", 20), ("web", 12), ("email", 6), ("fax", 1), ("letter", 1))
CALLBACK_STATUSES: Final = (("done", 70), ("unreachable", 15), ("pending", 12), ("claimed", 3))
# (name, first day, last day, how many times the ordinary daily volume)
EVENTS: Final = (("Terremoto", date(YEAR, 5, 20), date(YEAR, 6, 16), 5.0),
                 ("Alluvione", date(YEAR, 11, 3), date(YEAR, 11, 12), 3.0),
                 ("Ondata di calore", date(YEAR, 7, 21), date(YEAR, 7, 27), 2.0))


def weighted(rng: random.Random, choices: tuple[tuple[Any, int], ...], count: int) -> list[Any]:
    """`count` values drawn with the given weights."""
    return rng.choices([value for value, _ in choices], weights=[weight for _, weight in choices], k=count)


def day_weights() -> list[tuple[date, float]]:
    """Every day of the year with its relative volume: weekends lower, events higher."""
    weights = []
    day = date(YEAR, 1, 1)
    while day.year == YEAR:
        weight = 0.4 if day.weekday() >= 5 else 1.0
        for _, first, last, factor in EVENTS:
            if first <= day <= last:
                weight *= factor
        weights.append((day, weight))
        day += timedelta(days=1)
    return weights


def call_instants(rng: random.Random, count: int) -> list[datetime]:
    """`count` instants over the year, following the day and hour weights, in order (as a log grows)."""
    days = day_weights()
    picked_days = rng.choices([day for day, _ in days], weights=[weight for _, weight in days], k=count)
    hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
    instants = []
    for day, hour in zip(picked_days, hours, strict=True):
        local = datetime(day.year, day.month, day.day, hour, tzinfo=ROME)
        instants.append(local.astimezone(UTC) + timedelta(seconds=rng.randrange(3600)))
    return sorted(instants)


def call_rows(rng: random.Random, count: int) -> Iterator[tuple[Any, ...]]:
    """Rows of the calls table."""
    outcomes = weighted(rng, OUTCOMES, count)
    for index, (started, outcome) in enumerate(zip(call_instants(rng, count), outcomes, strict=True)):
        duration = rng.randrange(20, 600)
        yield (f"CA{index:032d}", f"+39333{index % 10_000_000:07d}", False, "+39800840840", started,
               started + timedelta(seconds=duration), "completed", duration, outcome)


def ticket_rows(rng: random.Random, count: int) -> Iterator[tuple[Any, ...]]:
    """Rows of the tickets table."""
    topics, channels = weighted(rng, TOPICS, count), weighted(rng, CHANNELS, count)
    for index, (created, topic, channel) in enumerate(zip(call_instants(rng, count), topics, channels, strict=True)):
        yield (f"B{index:09d}", channel, topic, "received", f"+39347{index:07d}",
               "Richiesta di informazioni", created, created)


def first_attempt_after(rng: random.Random) -> timedelta:
    """How long a message waits for its first call back: minutes to a couple of days."""
    return timedelta(seconds=min(rng.expovariate(1 / 14_400), 3 * 86_400) + 300)


def attempt_outcomes(rng: random.Random, status: str) -> list[str]:
    """The outcomes of an entry's attempts, consistent with its status."""
    misses = ["no_answer", "busy"]
    if status == "done":
        return [rng.choice(misses) for _ in range(rng.randrange(3))] + ["reached"]
    if status == "unreachable":
        return [rng.choice(misses) for _ in range(3)]
    if status == "pending":
        return [rng.choice(misses) for _ in range(rng.randrange(3))]
    return []


def callback_rows(rng: random.Random, count: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Rows of the callback list and of its attempts (entry ids 1..count)."""
    statuses = weighted(rng, CALLBACK_STATUSES, count)
    entries, attempts = [], []
    for entry_id, (created, status) in enumerate(zip(call_instants(rng, count), statuses, strict=True), start=1):
        outcomes = attempt_outcomes(rng, status)
        entries.append((entry_id, f"+39320{entry_id:07d}", "closed", 3, status, created, len(outcomes), created,
                        created))
        attempted = created + first_attempt_after(rng)
        for outcome in outcomes:
            attempts.append((entry_id, outcome, "operatore", attempted))
            attempted += timedelta(hours=1)
    return entries, attempts


def copy_rows(cursor: Any, table: str, columns: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """COPY the rows into the table."""
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load(url: str, calls: int, seed: int) -> dict[str, int]:
    """Write the synthetic year with COPY; the number of rows of each table."""
    rng = random.Random(seed)
    engine = make_engine(url)
    upgrade(engine)
    entries, attempts = callback_rows(rng, round(calls * 0.15))
    tickets = round(calls * 0.14)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        copy_rows(cursor, "calls", "call_sid, caller_number, caller_withheld, line_number, started_at, ended_at, "
                                   "final_status, duration_seconds, outcome", call_rows(rng, calls))
        copy_rows(cursor, "tickets", "code, channel, topic, status, contact_phone, summary, created_at, "
                                     "status_changed_at", ticket_rows(rng, tickets))
        copy_rows(cursor, "callback_requests", "id, callback_number, reason, priority, status, next_attempt_at, "
                                               "attempt_count, created_at, updated_at", entries)
        cursor.execute("SELECT setval(pg_get_serial_sequence('callback_requests', 'id'), %s)", (len(entries),))
        copy_rows(cursor, "callback_attempts", "entry_id, outcome, operator, attempted_at", attempts)
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    with Session(engine) as session:
        for name, first, last, _ in EVENTS:
            add_event(session, name, Period(first, last, ROME), "bench")
        session.commit()
    engine.dispose()
    return {"calls": calls, "tickets": tickets, "callback entries": len(entries), "callback attempts": len(attempts)}


def run_report(config: Path, out: Path, *selection: str) -> tuple[float, float]:
    """Run `contact-center report` in a child process: its wall time (s) and peak memory (MiB)."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", "from contact_center.cli import main; main()", "--config", str(config), "report",
         *selection, "--out", str(out)],
        cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"report failed: {result.stderr.strip() or result.stdout.strip()}")
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(result.stdout.splitlines()[0])
    return elapsed, peak_kib / 1024


def main() -> None:
    """Create the private database, load the year, time the reports, drop the database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20250520)
    parser.add_argument("--admin-url", default=ADMIN_URL, help="PostgreSQL URL used to create the private database")
    arguments = parser.parse_args()
    name = f"cc_bench_report_{uuid.uuid4().hex[:10]}"
    admin = create_engine(arguments.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = arguments.admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        with tempfile.TemporaryDirectory() as folder:
            workdir = Path(folder)
            started = time.perf_counter()
            counts = load(url, arguments.calls, arguments.seed)
            print(f"loaded {', '.join(f'{count:,} {table}' for table, count in counts.items())} "
                  f"in {time.perf_counter() - started:.1f} s")
            config = workdir / "config.yaml"
            config.write_text(yaml.safe_dump({"database": {"url": url, "instance_dir": str(workdir / "instance")}}))
            year_time, year_peak = run_report(config, workdir / "year", "--from", f"{YEAR}-01-01",
                                              "--to", f"{YEAR}-12-31")
            print(f"year dossier ({YEAR}, {len(EVENTS)} events): "
                  f"{year_time:.1f} s, peak memory {year_peak:.0f} MiB")
            event_time, _ = run_report(config, workdir / "event", "--event", EVENTS[0][0])
            print(f"event dossier ({EVENTS[0][0]}, 28 days): {event_time:.1f} s")
            print(f"targets: under 60 s and under 1024 MiB -> "
                  f"{'met' if year_time < 60 and year_peak < 1024 else 'MISSED'}")
    finally:
        with admin.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"), {"name": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


if __name__ == "__main__":
    main()
