"""Load benchmark: requests per second and p50/p99 latency of every webhook, against two floors.

    python bench/load.py [--seconds 10] [--connections 16] [--workers 3] [--threads 4] [--rounds 3]

In one run: a private PostgreSQL database is created (and dropped at the end), the service is
served by `contact-center serve` on loopback exactly as the README's production section
recommends (behind PUBLIC_BASE_URL, JSON logs), and wrk (Debian package `wrk`) posts pre-signed
Twilio requests, each with its own CallSid, to one webhook at a time. Two floors run under the
same gunicorn settings (bench/floor.py): the static floor, a bare Flask app answering a fixed
TwiML document, and the database floor, the same app plus one psycopg 3 upsert of the call's row
and its commit per request (no ORM), on the same database. The three run side by side, each
idle while another is measured. A webhook that writes is judged against the database floor, one
that writes nothing against the static floor (goal: >= 0.8x the floor's req/s, p99 <= 2x), and
that floor is measured just before and just after the webhook: the faster req/s and the lower p99
of the two count, so that a disturbed floor never flatters a webhook, and a VM whose speed drifts
within minutes (seen here: the static floor from 3,700 to 9,300 req/s in one run) is compared
with itself. The table gives every webhook's throughput as a ratio of both floors (the other one
against its median over the run) and its p99 as a multiple of its own floor's; with --rounds N,
each webhook is measured N times and the table gives the medians and the range of the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.stack import PUBLIC_BASE_URL, free_port, private_database, running, serve_command, write_config
from bench.wrk import WrkResult, lua_script, run_wrk
from contact_center.cli.serve import DEFAULT_THREADS, DEFAULT_WORKERS
from hours.clock import utcnow
from ivr.webhooks import flow_steps
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Call, CallbackMessage, CallbackRequest
from tickets.repository import create_ticket
from tickets.status import Channel
from voicemail.callbacks import REASON_PRIORITY

TRACKING_PATH = "/voice/tracking/code"
LINE = "+39800840840"
RECORDING_URL = "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Recordings/"


@dataclass
class Endpoint:
    """One webhook under load: its URL, what Twilio posts to it, what the database holds first."""

    label: str
    path: str
    extra: dict[str, str] = field(default_factory=dict)
    seed: str = ""  # "calls", "entries" or "" (nothing beforehand)
    recording: bool = False
    writes: bool = False  # whether the step writes to the database (judged against the database floor)


def endpoints(tracking_digits: str | None) -> list[Endpoint]:
    """The webhooks measured, in the order of a call."""
    recording = {"RecordingDuration": "25", "RecordingChannels": "1", "RecordingSource": "RecordVerb"}
    chosen = [
        Endpoint("/voice/incoming", "/voice/incoming", writes=True),
        Endpoint("/voice/menu/choice Digits=3", "/voice/menu/choice?attempt=1", {"Digits": "3"}),
    ]
    if tracking_digits is not None:
        chosen.append(Endpoint(f"{TRACKING_PATH} (a ticket's code)", TRACKING_PATH, {"Digits": tracking_digits},
                               writes=True))
    return [
        *chosen,
        Endpoint("/voice/message", "/voice/message?reason=chosen"),
        Endpoint("/voice/message/number", "/voice/message/number?reason=chosen"),
        Endpoint("/voice/message/number/confirm Digits=1", "/voice/message/number/confirm?reason=chosen&attempt=1",
                 {"Digits": "1"}, seed="calls", writes=True),
        Endpoint("/voice/message/record", "/voice/message/record?reason=chosen"),
        Endpoint("/voice/message/recorded", "/voice/message/recorded?reason=chosen", {**recording, "Digits": "#"},
                 seed="entries", recording=True, writes=True),
        Endpoint("/voice/message/recording-status", "/voice/message/recording-status?reason=chosen",
                 {**recording, "RecordingStatus": "completed"}, seed="entries", recording=True,
                 writes=True),
        Endpoint("/voice/status", "/voice/status", {"CallStatus": "completed", "CallDuration": "95"}, seed="calls",
                 writes=True),
    ]


def call_sid(endpoint_number: int, index: int) -> str:
    return f"CA{endpoint_number:03d}{index:029d}"


def caller(index: int) -> str:
    return f"+39347{index % 10_000_000:07d}"


def forms(endpoint_number: int, endpoint: Endpoint, count: int, start: int = 0) -> list[dict[str, str]]:
    """One Twilio form per request, each for its own call (calls `start` to `start + count - 1`)."""
    result = []
    for index in range(start, start + count):
        sid = call_sid(endpoint_number, index)
        form = {"AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01", "CallSid": sid, "CallStatus": "in-progress",
                "Direction": "inbound", "From": caller(index), "To": LINE, "Caller": caller(index), "Called": LINE,
                **endpoint.extra}
        if endpoint.recording:
            form.update(RecordingSid="RE" + sid[2:], RecordingUrl=RECORDING_URL + "RE" + sid[2:])
        result.append(form)
    return result


def seed_messages(session: Session, endpoint_number: int, count: int) -> None:
    """Each call's message filed on its own callback entry, awaiting the recording (as after step 5)."""
    now = utcnow()
    entries = session.execute(insert(CallbackRequest).returning(CallbackRequest.id, CallbackRequest.callback_number), [
        {"callback_number": caller(index), "reason": "chosen", "priority": REASON_PRIORITY["chosen"],
         "status": "pending", "message_count": 1, "next_attempt_at": now, "created_at": now, "updated_at": now}
        for index in range(count)]).all()
    entry_of = {number: entry_id for entry_id, number in entries}
    session.execute(insert(CallbackMessage), [
        {"call_sid": call_sid(endpoint_number, index), "entry_id": entry_of[caller(index)],
         "callback_number": caller(index), "number_source": "caller_id", "reason": "chosen", "created_at": now}
        for index in range(count)])


def seed(database_url: str, plan: list[Endpoint], count: int) -> str | None:
    """Migrate, store what each endpoint's calls have before it (call rows, callback entries), make a ticket."""
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        for number, endpoint in enumerate(plan):
            if endpoint.seed in ("calls", "entries"):
                session.execute(insert(Call), [
                    {"call_sid": call_sid(number, index), "caller_number": caller(index), "caller_withheld": False,
                     "line_number": LINE, "started_at": utcnow()} for index in range(count)])
            if endpoint.seed == "entries":
                seed_messages(session, number, count)
        ticket = create_ticket(session, channel=Channel.PHONE, summary="bench", phone=caller(0), now=utcnow())
        code = ticket.code
    # Let PostgreSQL settle, so that no autovacuum or checkpoint of the seeded rows runs during a measurement.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
        connection.execute(text("CHECKPOINT"))
    engine.dispose()
    return code


def measure(base_url: str, folder: Path, name: str, path: str, sample: list[dict[str, str]], token: str,
            seconds: float, connections: int) -> WrkResult:
    script = folder / f"{name}.lua"
    script.write_text(lua_script(path, sample, token, PUBLIC_BASE_URL), "utf-8")
    return run_wrk(base_url + path, script, seconds, connections)


GOAL_RATIO = 0.8  # of the floor's requests per second
GOAL_P99 = 2.0  # times the floor's p99


def _ratio(value: float, floor: float) -> float:
    return value / floor if floor else 0.0


@dataclass
class Sample:
    """One measurement of a webhook, between two of its floor's (the faster and the lower p99 count)."""

    result: WrkResult
    floor_before: WrkResult
    floor_after: WrkResult

    @property
    def floor_per_second(self) -> float:
        return max(self.floor_before.per_second, self.floor_after.per_second)

    @property
    def floor_p99_ms(self) -> float:
        return min(self.floor_before.p99_ms, self.floor_after.p99_ms)

    @property
    def ratio(self) -> float:
        return _ratio(self.result.per_second, self.floor_per_second)

    @property
    def p99_times(self) -> float:
        return _ratio(self.result.p99_ms, self.floor_p99_ms)

    @property
    def met(self) -> bool:
        return self.ratio >= GOAL_RATIO and self.p99_times <= GOAL_P99 and self.result.errors == 0


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def print_table(samples: dict[str, list[Sample]], plan: list[Endpoint], floors: dict[bool, list[WrkResult]]) -> None:
    """Each webhook's median over the rounds beside both floors, its own floor (marked *) measured just
    before and after it; the other floor's ratio is against that floor's median over the run."""
    static = [result.per_second for result in floors[False]]
    database = [result.per_second for result in floors[True]]
    for name, figures in (("static floor: bare Flask, fixed TwiML", static),
                          ("database floor: + psycopg upsert and commit", database)):
        if figures:
            print(f"{name}: {len(figures)} measurements, {min(figures):.0f}-{max(figures):.0f} req/s "
                  f"(median {_median(figures):.0f}; the same machine, minutes apart)")
    rounds = max((len(taken) for taken in samples.values()), default=0)
    print(f"\n{'target':48} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs static':>10} "
          f"{'vs db':>7} {'p99/floor':>10}  goal (median of {rounds} round{'s' if rounds != 1 else ''}; "
          f"ratio range)")
    for endpoint in plan:
        taken = samples.get(endpoint.label)
        if not taken:
            continue
        per_second = _median([sample.result.per_second for sample in taken])
        p50_ms = _median([sample.result.p50_ms for sample in taken])
        p99_ms = _median([sample.result.p99_ms for sample in taken])
        errors = sum(sample.result.errors for sample in taken)
        ratio = _median([sample.ratio for sample in taken])
        p99_times = _median([sample.p99_times for sample in taken])
        other_floor = static if endpoint.writes else database  # "-" when no webhook judged by it was measured
        other = f"{_ratio(per_second, _median(other_floor)):.3f}" if other_floor else "-"
        own = f"{ratio:.3f}"
        vs_static, vs_database = (other, own) if endpoint.writes else (own, other)
        marks = ("*", " ") if not endpoint.writes else (" ", "*")
        met = sum(sample.met for sample in taken)
        verdict = "met" if met == len(taken) else f"met in {met} of {len(taken)}" if met else "not met"
        spread = f"{min(s.ratio for s in taken):.2f}-{max(s.ratio for s in taken):.2f}" if len(taken) > 1 else ""
        print(f"{endpoint.label:48} {per_second:8.1f} {p50_ms:8.2f} {p99_ms:8.2f} "
              f"{errors:7d} {vs_static:>9}{marks[0]} {vs_database:>6}{marks[1]} {p99_times:10.2f}  "
              f"{verdict} {spread}")
    print(f"(* the floor a webhook is judged against, measured just before and just after it, the faster req/s and "
          f"the lower p99 of the two: the database floor if it writes; goal >= {GOAL_RATIO:g}x its req/s and "
          f"p99 <= {GOAL_P99:g}x its p99, no errors)")


def main() -> None:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="wrk duration per webhook")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--rounds", type=int, default=1, help="measure every webhook this many times (medians)")
    parser.add_argument("--only", action="append", default=[], metavar="PATH",
                        help="measure only the webhooks whose label contains PATH (repeatable)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    count = int(min(max(args.seconds * 2000, 2000), 40000))
    has_tracking = TRACKING_PATH in flow_steps()
    print(f"gunicorn {args.workers} workers x {args.threads} threads (gthread), PostgreSQL, wrk 1 thread "
          f"{args.connections} connections {args.seconds:g} s per measurement, {count} pre-signed requests each, "
          f"{args.rounds} round(s); load average before: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    if not has_tracking:
        print(f"tracking-code lookup: {TRACKING_PATH} does not exist yet (issue 4); not measured")
    with (tempfile.TemporaryDirectory(prefix="cc-load-") as temporary, private_database() as database_url,
          ExitStack() as servers):
        folder = Path(temporary)
        plan = endpoints("00000000" if has_tracking else None)
        code = seed(database_url, plan, count * args.rounds)
        if has_tracking and code is not None:
            plan = endpoints(code)
        chosen = [(number, endpoint) for number, endpoint in enumerate(plan)
                  if not args.only or any(part in endpoint.label for part in args.only)]
        config, token = write_config(folder, database_url)
        floor_urls: dict[bool, str] = {}
        for with_database in (False, True):  # both floors and the service run side by side, idle but one
            floor_port = free_port()
            floor_command = [sys.executable, str(Path(__file__).with_name("floor.py")), "--port", str(floor_port),
                             "--workers", str(args.workers), "--threads", str(args.threads)]
            if with_database:
                floor_command += ["--database-url", database_url]
            name = "database-floor" if with_database else "floor"
            floor_urls[with_database] = servers.enter_context(
                running(floor_command, floor_port, folder / f"{name}.log")).url
        port = free_port()
        url = servers.enter_context(running(serve_command(config, port, args.workers, args.threads), port,
                                            folder / "serve.log")).url
        for number, target in enumerate((floor_urls[False], floor_urls[True], url)):
            measure(target, folder, f"warm-up-{number}", "/voice/incoming",
                    forms(97, Endpoint("warm-up", "/voice/incoming"), 2000, start=number * 2000), token, 2,
                    args.connections)
        floors: dict[bool, list[WrkResult]] = {False: [], True: []}
        floor_calls = iter(range(100, 1000))

        def measure_floor(with_database: bool) -> WrkResult:
            result = measure(floor_urls[with_database], folder, "floor", "/voice/incoming",
                             forms(next(floor_calls), plan[0], count), token, args.seconds, args.connections)
            floors[with_database].append(result)
            return result

        samples: dict[str, list[Sample]] = {}
        for round_number in range(args.rounds):
            for number, endpoint in chosen:
                before = measure_floor(endpoint.writes)
                result = measure(url, folder, f"endpoint-{number}", endpoint.path,
                                 forms(number, endpoint, count, start=round_number * count), token, args.seconds,
                                 args.connections)
                sample = Sample(result, before, measure_floor(endpoint.writes))
                samples.setdefault(endpoint.label, []).append(sample)
                print(f"  round {round_number + 1}: {endpoint.label}: {result.per_second:.1f} req/s, its floor "
                      f"{before.per_second:.1f} then {sample.floor_after.per_second:.1f} req/s: "
                      f"{sample.ratio:.3f}x", flush=True)
        print_table(samples, plan, floors)
        print(f"load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
