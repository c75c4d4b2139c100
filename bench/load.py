"""Load benchmark: requests per second and p50/p99 latency of every webhook, against the floor.

    python bench/load.py [--seconds 10] [--connections 16] [--workers 3] [--threads 4]

In one run: a private PostgreSQL database is created (and dropped at the end), the service is
served by `contact-center serve` on loopback exactly as the README's production section
recommends (behind PUBLIC_BASE_URL, JSON logs), and wrk (Debian package `wrk`) posts pre-signed
Twilio requests, each with its own CallSid, to one webhook at a time. The floor is a bare Flask
app answering a fixed TwiML document under the same gunicorn settings (bench/floor.py). The
table gives each webhook's throughput as a ratio of the floor's, measured before and after the webhooks
(the faster of the two counts).
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


def endpoints(tracking_digits: str | None) -> list[Endpoint]:
    """The webhooks measured, in the order of a call."""
    recording = {"RecordingDuration": "25", "RecordingChannels": "1", "RecordingSource": "RecordVerb"}
    chosen = [
        Endpoint("/voice/incoming", "/voice/incoming"),
        Endpoint("/voice/menu/choice Digits=3", "/voice/menu/choice?attempt=1", {"Digits": "3"}),
    ]
    if tracking_digits is not None:
        chosen.append(Endpoint(f"{TRACKING_PATH} (a ticket's code)", TRACKING_PATH, {"Digits": tracking_digits}))
    return [
        *chosen,
        Endpoint("/voice/message", "/voice/message?reason=chosen"),
        Endpoint("/voice/message/number", "/voice/message/number?reason=chosen"),
        Endpoint("/voice/message/number/confirm Digits=1", "/voice/message/number/confirm?reason=chosen&attempt=1",
                 {"Digits": "1"}, seed="calls"),
        Endpoint("/voice/message/record", "/voice/message/record?reason=chosen"),
        Endpoint("/voice/message/recorded", "/voice/message/recorded?reason=chosen", {**recording, "Digits": "#"},
                 seed="entries", recording=True),
        Endpoint("/voice/message/recording-status", "/voice/message/recording-status?reason=chosen",
                 {**recording, "RecordingStatus": "completed"}, seed="entries", recording=True),
        Endpoint("/voice/status", "/voice/status", {"CallStatus": "completed", "CallDuration": "95"}, seed="calls"),
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


def print_table(rows: list[tuple[str, WrkResult]], floor: WrkResult) -> None:
    print(f"\n{'webhook':48} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs floor':>9}")
    for label, result in [("floor: bare Flask, fixed TwiML", floor), *rows]:
        ratio = result.per_second / floor.per_second if floor.per_second else 0.0
        print(f"{label:48} {result.per_second:8.1f} {result.p50_ms:8.2f} {result.p99_ms:8.2f} "
              f"{result.errors:7d} {ratio:9.3f}")


def main() -> None:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="wrk duration per webhook")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
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
        config, token = write_config(folder, database_url)
        warm = forms(98, Endpoint("warm-up", "/voice/incoming"), 2000)

        def measure_floor(name: str) -> WrkResult:
            floor_port = free_port()
            floor_command = [sys.executable, str(Path(__file__).with_name("floor.py")), "--port", str(floor_port),
                             "--workers", str(args.workers), "--threads", str(args.threads)]
            with running(floor_command, floor_port, folder / f"{name}.log") as floor_server:
                measure(floor_server.url, folder, f"{name}-warm-up", "/voice/incoming", warm, token, 2,
                        args.connections)
                return measure(floor_server.url, folder, name, "/voice/incoming", forms(99, plan[0], count), token,
                               args.seconds, args.connections)

        floor_before = measure_floor("floor")
        print(f"  measured the floor: {floor_before.per_second:.1f} req/s", flush=True)
        rows = []
        port = free_port()
        with running(serve_command(config, port, args.workers, args.threads), port, folder / "serve.log") as server:
            url = server.url
            measure(url, folder, "warm-up", "/voice/incoming", warm, token, 2, args.connections)
            for number, endpoint in enumerate(plan):
                result = measure(url, folder, f"endpoint-{number}", endpoint.path, forms(number, endpoint, count),
                                 token, args.seconds, args.connections)
                rows.append((endpoint.label, result))
                print(f"  measured {endpoint.label}: {result.per_second:.1f} req/s", flush=True)
        floor_after = measure_floor("floor-again")
        print(f"  measured the floor again: {floor_after.per_second:.1f} req/s (the table's ratios use the faster "
              f"of the two, so that a disturbed floor never flatters a webhook)", flush=True)
        print_table(rows, max(floor_before, floor_after, key=lambda result: result.per_second))
        print(f"load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
