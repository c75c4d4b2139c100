"""Timings of the opening-hours engine with 1,000 extensions and closures: `python bench/hours_state.py`."""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hours.model import STANDARD_SCHEDULE, Band, Closure, Extension, LocalHoliday
from hours.publication import published_timetable
from hours.timetable import Timetable

UTC = timezone.utc
PERIOD_START = datetime(2026, 1, 1, tzinfo=UTC)
PERIOD = timedelta(days=5 * 365)
DAYTIME = (Band.parse("08:00-20:00"),)
SPLIT_DAY = (Band.parse("07:00-13:00"), Band.parse("14:00-22:00"))


def random_instant(rng: random.Random) -> datetime:
    """A uniformly random instant of 2026-2030, to the microsecond."""
    return PERIOD_START + timedelta(microseconds=rng.randrange(int(PERIOD / timedelta(microseconds=1))))


def build_timetable(rng: random.Random, extensions: int, closures: int) -> Timetable:
    """Standard hours plus random crisis extensions (all day or banded) and closures over 2026-2030."""
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
    return Timetable(STANDARD_SCHEDULE, local_holidays=(LocalHoliday(6, 29, "Santi Pietro e Paolo"),),
                     extensions=tuple(extension_items), closures=tuple(closure_items))


def timed_microseconds(call: Callable[[datetime], object], moments: list[datetime]) -> list[float]:
    """Each call's duration in microseconds."""
    durations = []
    clock = time.perf_counter_ns
    for moment in moments:
        started = clock()
        call(moment)
        durations.append((clock() - started) / 1000)
    return durations


def report(name: str, durations: list[float]) -> None:
    """Print mean, p50, p99 and max of the durations."""
    ordered = sorted(durations)
    p50, p99 = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"{name:<22}{len(ordered):>9,}{statistics.fmean(ordered):>11.1f}{p50:>11.1f}"
          f"{p99:>11.1f}{ordered[-1]:>12.1f}")


def main() -> None:
    """Build the timetable, then time state_at, next_opening, next_change and the publication."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--instants", type=int, default=100_000, help="state_at calls")
    parser.add_argument("--searches", type=int, default=10_000, help="next_opening and next_change calls")
    parser.add_argument("--seed", type=int, default=840)
    options = parser.parse_args()
    rng = random.Random(options.seed)

    started = time.perf_counter()
    timetable = build_timetable(rng, extensions=600, closures=400)
    build_ms = (time.perf_counter() - started) * 1000
    print(f"timetable: 600 extensions + 400 closures over 2026-2030, built in {build_ms:.1f} ms")
    for year in range(2026, 2032):  # the first question of a year fills its holiday cache
        timetable.state_at(datetime(year, 6, 1, tzinfo=UTC))

    print(f"{'question':<22}{'calls':>9}{'mean µs':>11}{'p50 µs':>11}{'p99 µs':>11}{'max µs':>12}")
    report("state_at", timed_microseconds(
        timetable.state_at, [random_instant(rng) for _ in range(options.instants)]))
    searches = [random_instant(rng) for _ in range(options.searches)]
    report("next_opening", timed_microseconds(timetable.next_opening, searches))
    report("next_change", timed_microseconds(timetable.next_change, searches))
    report("published_timetable", timed_microseconds(
        lambda moment: published_timetable(timetable, moment), searches[:1000]))


if __name__ == "__main__":
    main()
