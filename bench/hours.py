"""Opening hours under 1,000 extensions: the engine, the live timetable and GET /hours. `python bench/hours.py`.

1. The pure engine: state_at, next_opening, next_change, published_timetable (target: state_at < 50 µs).
2. The database (a temporary SQLite file, or --database-url of an EMPTY database you own): the
   per-call question a worker asks (schedule version read + state_at), and a full reload, which
   is what rebuilding on every call would cost instead of caching by version.
3. GET /hours through the Flask test client and through gunicorn (2 workers), target < 20 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contact_center.app import create_app  # noqa: E402
from contact_center.config import settings_from_mapping  # noqa: E402
from contact_center.schedule import LiveSchedule  # noqa: E402
from hours.clock import utcnow  # noqa: E402
from hours.model import STANDARD_SCHEDULE, Band, Closure, Extension, LocalHoliday  # noqa: E402
from hours.publication import published_timetable  # noqa: E402
from hours.timetable import Timetable  # noqa: E402
from storage.hours_repository import add_closure, add_extension  # noqa: E402
from storage.migrate import upgrade  # noqa: E402

UTC = UTC
PERIOD_START = datetime(2026, 1, 1, tzinfo=UTC)
PERIOD = timedelta(days=5 * 365)
DAYTIME = (Band.parse("08:00-20:00"),)
SPLIT_DAY = (Band.parse("07:00-13:00"), Band.parse("14:00-22:00"))
AUTH_TOKEN = "bench-token"


def random_instant(rng: random.Random) -> datetime:
    """A uniformly random instant of 2026-2030, to the microsecond."""
    return PERIOD_START + timedelta(microseconds=rng.randrange(int(PERIOD / timedelta(microseconds=1))))


def random_ranges(rng: random.Random, extensions: int, closures: int) -> tuple[list[Extension], list[Closure]]:
    """Random crisis extensions (all day or banded, some announced) and closures over 2026-2030."""
    extension_items = []
    for number in range(extensions):
        start = random_instant(rng).replace(second=0, microsecond=0)
        extension_items.append(Extension(
            f"x{number}", start, start + timedelta(hours=rng.randint(1, 7 * 24)),
            bands=rng.choice([None, DAYTIME, SPLIT_DAY]),
            announcement=rng.choice([None, f"Avviso {number}"])))
    closure_items = []
    for number in range(closures):
        start = random_instant(rng).replace(second=0, microsecond=0)
        closure_items.append(Closure(f"c{number}", start, start + timedelta(minutes=rng.randint(30, 48 * 60))))
    return extension_items, closure_items


def timed_microseconds(call: Callable[[datetime], object], moments: list[datetime]) -> list[float]:
    """Each call's duration in microseconds."""
    durations = []
    clock = time.perf_counter_ns
    for moment in moments:
        started = clock()
        call(moment)
        durations.append((clock() - started) / 1000)
    return durations


def report(name: str, durations: list[float], unit: str = "µs", scale: float = 1.0) -> None:
    """Print count, mean, p50, p99 and max of the durations (given in µs), in `unit`."""
    ordered = sorted(value / scale for value in durations)
    p50, p99 = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"{name:<34}{len(ordered):>8,}{statistics.fmean(ordered):>10.1f}{p50:>10.1f}"
          f"{p99:>10.1f}{ordered[-1]:>11.1f}  {unit}")


def header() -> None:
    """The column titles of `report`."""
    print(f"{'':<34}{'calls':>8}{'mean':>10}{'p50':>10}{'p99':>10}{'max':>11}")


def bench_engine(rng: random.Random, extensions: list[Extension], closures: list[Closure],
                 instants: int, searches: int) -> None:
    """Time the pure engine's questions."""
    started = time.perf_counter()
    timetable = Timetable(STANDARD_SCHEDULE, local_holidays=(LocalHoliday(6, 29, "Santi Pietro e Paolo"),),
                          extensions=tuple(extensions), closures=tuple(closures))
    print(f"\n1. engine: {len(extensions)} extensions + {len(closures)} closures over 2026-2030, "
          f"indexed in {(time.perf_counter() - started) * 1000:.1f} ms")
    for year in range(2026, 2032):  # the first question of a year fills its holiday cache
        timetable.state_at(datetime(year, 6, 1, tzinfo=UTC))
    header()
    report("state_at", timed_microseconds(timetable.state_at, [random_instant(rng) for _ in range(instants)]))
    moments = [random_instant(rng) for _ in range(searches)]
    report("next_opening", timed_microseconds(timetable.next_opening, moments))
    report("next_change", timed_microseconds(timetable.next_change, moments))
    report("published_timetable", timed_microseconds(
        lambda moment: published_timetable(timetable, moment), moments[:1000]), "ms", 1000)


def settings_for(database_url: str, instance: Path) -> dict[str, object]:
    """A configuration mapping on that database."""
    return {"database": {"url": database_url, "instance_dir": str(instance)},
            "twilio": {"auth_token": AUTH_TOKEN}, "web": {"secret_key": "bench"}}


def bench_database(rng: random.Random, database_url: str, instance: Path, extensions: list[Extension],
                   closures: list[Closure], calls: int, requests_count: int) -> None:
    """Store the ranges, then time the per-call question, a reload and GET /hours in-process."""
    app = create_app(settings_from_mapping(settings_for(database_url, instance)))
    runtime = app.extensions["contact_center"]
    upgrade(runtime.engine)
    started = time.perf_counter()
    with runtime.sessions.begin() as session:
        for item in extensions:
            add_extension(session, item.starts_at, item.ends_at, item.bands, item.announcement, "bench", now=utcnow())
        for closure in closures:
            add_closure(session, closure.starts_at, closure.ends_at, closure.reason, "bench", now=utcnow())
    print(f"\n2. database {runtime.engine.url.get_backend_name()}: stored {len(extensions)} extensions + "
          f"{len(closures)} closures in {(time.perf_counter() - started) * 1000:.0f} ms")
    now = PERIOD_START
    runtime.schedule.current(now)
    header()
    moments = [now + timedelta(seconds=rng.randrange(86400 * 30)) for _ in range(calls)]
    report("per call: version read + state_at", timed_microseconds(
        lambda moment: runtime.schedule.for_call(moment).state_at(moment), moments))
    report("reload: rows + index (per change)", timed_microseconds(
        lambda moment: LiveSchedule(runtime.schedule.configured, runtime.engine).current(moment), [now] * 20),
        "ms", 1000)

    runtime.clock = lambda: now + timedelta(days=400)
    client = app.test_client()
    assert client.get("/hours").status_code == 200
    print("\n3. GET /hours (1,000 rows stored; clock inside their period)")
    header()
    report("Flask test client, JSON", timed_microseconds(lambda _: client.get("/hours"), [now] * requests_count),
           "ms", 1000)
    report("Flask test client, HTML", timed_microseconds(lambda _: client.get("/hours.html"),
                                                          [now] * requests_count), "ms", 1000)
    runtime.engine.dispose()


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(database_url: str, instance: Path) -> Iterator[str]:
    """`gunicorn wsgi:app` (2 gthread workers) on that database; yields its base URL."""
    config = instance / "bench-config.yaml"
    config.write_text(yaml.safe_dump(settings_for(database_url, instance)), "utf-8")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--worker-class", "gthread", "--threads", "4", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env={**os.environ, "CONTACT_CENTER_CONFIG": str(config)})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except requests.RequestException:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def bench_gunicorn(database_url: str, instance: Path, requests_count: int) -> None:
    """GET /hours over HTTP, one keep-alive client, real clock (some stored ranges are in force)."""
    with gunicorn(database_url, instance) as base, requests.Session() as http:
        for _ in range(20):  # each worker loads the timetable once
            http.get(f"{base}/hours").raise_for_status()
        report("gunicorn 2 workers, JSON", timed_microseconds(
            lambda _: http.get(f"{base}/hours").raise_for_status(), [PERIOD_START] * requests_count), "ms", 1000)
        report("gunicorn 2 workers, 304", timed_microseconds(
            lambda _: http.get(f"{base}/hours", headers={"If-None-Match": http.get(f"{base}/hours").headers["ETag"]}),
            [PERIOD_START] * (requests_count // 2)), "ms (two requests)", 1000)


def main() -> None:
    """Run the three parts and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--extensions", type=int, default=1000)
    parser.add_argument("--closures", type=int, default=200)
    parser.add_argument("--instants", type=int, default=100_000, help="state_at calls")
    parser.add_argument("--searches", type=int, default=10_000, help="next_opening and next_change calls")
    parser.add_argument("--calls", type=int, default=5_000, help="per-call questions against the database")
    parser.add_argument("--requests", type=int, default=500, help="GET /hours requests per way")
    parser.add_argument("--database-url", help="an EMPTY database to fill (default: a temporary SQLite file)")
    parser.add_argument("--seed", type=int, default=840)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    extensions, closures = random_ranges(rng, options.extensions, options.closures)
    bench_engine(rng, extensions, closures, options.instants, options.searches)
    with tempfile.TemporaryDirectory(prefix="bench-hours-") as folder:
        instance = Path(folder)
        database_url = options.database_url or f"sqlite:///{instance / 'bench.db'}"
        bench_database(rng, database_url, instance, extensions, closures, options.calls, options.requests)
        bench_gunicorn(database_url, instance, options.requests)


if __name__ == "__main__":
    main()
