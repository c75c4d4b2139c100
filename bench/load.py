"""Load benchmark: requests per second and p50/p99 latency of every webhook, against two floors.

    python bench/load.py [--seconds 10] [--connections 16] [--workers 3] [--threads 4]

In one run: a private PostgreSQL database is created (and dropped at the end), the service is
served by `contact-center serve` on loopback exactly as the README's production section
recommends (behind PUBLIC_BASE_URL, JSON logs), and wrk (Debian package `wrk`) posts pre-signed
Twilio requests, each with its own CallSid, to one webhook at a time. Two floors run under the
same gunicorn settings (bench/floor.py): the static floor, a bare Flask app answering a fixed
TwiML document, and the database floor, the same app plus one psycopg 3 upsert of the call's row
and its commit per request (no ORM), on the same database. Each floor is measured before and
after the webhooks (the faster of the two counts, so that a disturbed floor never flatters a
webhook). The table gives every webhook's throughput as a ratio of both floors, and its p99 as a
multiple of its own floor's p99: a webhook that writes is judged against the database floor, one
that writes nothing against the static floor (goal: >= 0.8x the floor's req/s, p99 <= 2x).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
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
    return f"CA{endpoint_number:02d}{index:030d}"


def caller(index: int) -> str:
    return f"+39347{index % 10_000_000:07d}"


def forms(endpoint_number: int, endpoint: Endpoint, count: int) -> list[dict[str, str]]:
    """One Twilio form per request, each for its own call."""
    result = []
    for index in range(count):
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


def print_table(rows: list[tuple[Endpoint, WrkResult]], static: WrkResult, database: WrkResult) -> None:
    """Each webhook beside both floors; the floor it is judged against is marked *, with its verdict."""
    print(f"\n{'target':48} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs static':>10} "
          f"{'vs db':>7} {'p99/floor':>10}  goal")
    print(f"{'static floor: bare Flask, fixed TwiML':48} {static.per_second:8.1f} {static.p50_ms:8.2f} "
          f"{static.p99_ms:8.2f} {static.errors:7d} {1:10.3f} {'':>7} {'':>10}")
    print(f"{'database floor: + psycopg upsert and commit':48} {database.per_second:8.1f} {database.p50_ms:8.2f} "
          f"{database.p99_ms:8.2f} {database.errors:7d} {_ratio(database.per_second, static.per_second):10.3f} "
          f"{1:7.3f} {'':>10}")
    for endpoint, result in rows:
        floor = database if endpoint.writes else static
        vs_static = _ratio(result.per_second, static.per_second)
        vs_database = _ratio(result.per_second, database.per_second)
        p99_times = _ratio(result.p99_ms, floor.p99_ms)
        met = (_ratio(result.per_second, floor.per_second) >= GOAL_RATIO and p99_times <= GOAL_P99
               and result.errors == 0)
        marks = ("*", " ") if not endpoint.writes else (" ", "*")
        print(f"{endpoint.label:48} {result.per_second:8.1f} {result.p50_ms:8.2f} {result.p99_ms:8.2f} "
              f"{result.errors:7d} {vs_static:9.3f}{marks[0]} {vs_database:6.3f}{marks[1]} {p99_times:10.2f}  "
              f"{'met' if met else 'not met'}")
    print(f"(* the floor a webhook is judged against: the database floor if it writes; goal >= {GOAL_RATIO:g}x "
          f"its req/s and p99 <= {GOAL_P99:g}x its p99, no errors)")


def main() -> None:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="wrk duration per webhook")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--only", action="append", default=[], metavar="PATH",
                        help="measure only the webhooks whose label contains PATH (repeatable)")
    args = parser.parse_args()
    count = int(min(max(args.seconds * 2000, 2000), 40000))
    has_tracking = TRACKING_PATH in flow_steps()
    print(f"gunicorn {args.workers} workers x {args.threads} threads (gthread), PostgreSQL, wrk 1 thread "
          f"{args.connections} connections {args.seconds:g} s per webhook, {count} pre-signed requests each; "
          f"load average before: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    if not has_tracking:
        print(f"tracking-code lookup: {TRACKING_PATH} does not exist yet (issue 4); not measured")
    with tempfile.TemporaryDirectory(prefix="cc-load-") as temporary, private_database() as database_url:
        folder = Path(temporary)
        plan = endpoints("00000000" if has_tracking else None)
        code = seed(database_url, plan, count)
        if has_tracking and code is not None:
            plan = endpoints(code)
        chosen = [number for number, endpoint in enumerate(plan)
                  if not args.only or any(part in endpoint.label for part in args.only)]
        config, token = write_config(folder, database_url)
        warm = forms(98, Endpoint("warm-up", "/voice/incoming"), 2000)

        def measure_floor(name: str, number: int, with_database: bool) -> WrkResult:
            floor_port = free_port()
            floor_command = [sys.executable, str(Path(__file__).with_name("floor.py")), "--port", str(floor_port),
                             "--workers", str(args.workers), "--threads", str(args.threads)]
            if with_database:
                floor_command += ["--database-url", database_url]
            with running(floor_command, floor_port, folder / f"{name}.log") as floor_server:
                measure(floor_server.url, folder, f"{name}-warm-up", "/voice/incoming",
                        forms(number + 10, Endpoint("warm-up", "/voice/incoming"), 2000), token, 2,
                        args.connections)
                return measure(floor_server.url, folder, name, "/voice/incoming", forms(number, plan[0], count),
                               token, args.seconds, args.connections)

        floors_before = (measure_floor("floor", 80, False), measure_floor("database-floor", 81, True))
        print(f"  measured the static floor: {floors_before[0].per_second:.1f} req/s, the database floor: "
              f"{floors_before[1].per_second:.1f} req/s", flush=True)
        rows = []
        port = free_port()
        with running(serve_command(config, port, args.workers, args.threads), port, folder / "serve.log") as server:
            url = server.url
            measure(url, folder, "warm-up", "/voice/incoming", warm, token, 2, args.connections)
            for number, endpoint in enumerate(plan):
                if number not in chosen:
                    continue
                result = measure(url, folder, f"endpoint-{number}", endpoint.path, forms(number, endpoint, count),
                                 token, args.seconds, args.connections)
                rows.append((endpoint, result))
                print(f"  measured {endpoint.label}: {result.per_second:.1f} req/s", flush=True)
        floors_after = (measure_floor("floor-again", 82, False), measure_floor("database-floor-again", 83, True))
        print(f"  measured the floors again: static {floors_after[0].per_second:.1f} req/s, database "
              f"{floors_after[1].per_second:.1f} req/s (the table uses the faster of each pair, so that a "
              f"disturbed floor never flatters a webhook)", flush=True)
        print_table(rows, *(max(pair, key=lambda result: result.per_second)
                            for pair in zip(floors_before, floors_after, strict=True)))
        print(f"load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
