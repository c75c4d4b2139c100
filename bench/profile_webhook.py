"""CPU profile and database round trips of one webhook, in process, on a private PostgreSQL database.

    python bench/profile_webhook.py [--path /voice/incoming] [--requests 3000] [--top 25]
    python bench/profile_webhook.py --database sqlite
    python bench/profile_webhook.py --path '/voice/message/number/confirm?reason=chosen&attempt=1' --param Digits=1
    python bench/profile_webhook.py --path /voice/tracking/code --ticket-digits  # a found tracking code

The app is built as `serve` builds it (JSON log lines, Prometheus multiprocess metrics in a
temporary folder) and called through its WSGI entry point with pre-signed Twilio requests,
each for its own call: no gunicorn, no socket to the client, so what is left is our own work per
request. Prints the CPU time per request without the profiler, the database round trips per
request (statements plus the BEGIN/COMMIT/ROLLBACK psycopg sends on its own, counted in
psycopg), and cProfile's top entries (CPU time) by own time and by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_METRICS = tempfile.mkdtemp(prefix="cc-profile-metrics-")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _METRICS  # before prometheus_client is imported

import psycopg  # noqa: E402
from sqlalchemy import event  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from bench.stack import PUBLIC_BASE_URL, private_database  # noqa: E402
from contact_center.app import create_app  # noqa: E402
from contact_center.config import settings_from_mapping  # noqa: E402
from contact_center.logs import configure_logging  # noqa: E402
from hours.clock import utcnow  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tickets.repository import create_ticket  # noqa: E402
from tickets.status import Channel  # noqa: E402

TOKEN = "profile-auth-token"
LINE = "+39800840840"


@contextmanager
def watching(engines: list[Any], on_statement: Callable[[str], None],
             on_command: Callable[[str], None]) -> Iterator[None]:
    """Meanwhile, `on_statement(sql)` for every statement SQLAlchemy sends on `engines`, and
    `on_command(sql)` for every command psycopg sends by itself (BEGIN, COMMIT, ROLLBACK).

    A statement is seen when SQLAlchemy hands it to psycopg, which then sends the transaction's
    BEGIN first: a BEGIN seen after a statement went before it.
    """
    original = psycopg.Connection._exec_command

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        on_statement(sql)

    def command(connection: Any, sql: Any, *args: Any, **kwargs: Any) -> Any:
        on_command(bytes(sql).decode() if isinstance(sql, bytes | bytearray) else str(sql))
        return original(connection, sql, *args, **kwargs)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", statement)
    psycopg.Connection._exec_command = command  # type: ignore[method-assign]
    try:
        yield
    finally:
        psycopg.Connection._exec_command = original  # type: ignore[method-assign]
        for engine in engines:
            event.remove(engine, "before_cursor_execute", statement)


class RoundTrips:
    """Statements SQLAlchemy sends, plus the commands psycopg sends by itself (BEGIN, COMMIT, ROLLBACK)."""

    def __init__(self) -> None:
        self.statements = 0
        self.commands = 0

    def counting(self, engines: list[Any]) -> AbstractContextManager[None]:
        def count_statement(_sql: str) -> None:
            self.statements += 1

        def count_command(_sql: str) -> None:
            self.commands += 1

        return watching(engines, count_statement, count_command)


def environs(path: str, count: int, offset: int, extra: dict[str, str]) -> list[dict[str, Any]]:
    """One WSGI environ per request, each for its own call, signed for the public URL."""
    validator = RequestValidator(TOKEN)
    result = []
    for index in range(offset, offset + count):
        caller = f"+39347{index % 10_000_000:07d}"
        form = {"AccountSid": "AC" + "0" * 32, "CallSid": f"CA{index:032d}", "CallStatus": "ringing",
                "Direction": "inbound", "From": caller, "To": LINE, "Caller": caller, "Called": LINE, **extra}
        signature = validator.compute_signature(PUBLIC_BASE_URL + path, form)
        route, _, query = path.partition("?")
        builder = EnvironBuilder(path=route, query_string=query, method="POST", data=urlencode(form),
                                 content_type="application/x-www-form-urlencoded",
                                 headers={"X-Twilio-Signature": signature})
        result.append(builder.get_environ())
    return result


def one_request_sent(app: Callable[..., Any], engines: list[Any], environ: dict[str, Any]) -> list[str]:
    """What one request sends the database, in order (see `watching`): statements by their first 160 characters."""
    sent: list[str] = []
    with watching(engines, lambda sql: sent.append(" ".join(sql.split())[:160]), sent.append):
        call_all(app, [environ])
    return sent


def call_all(app: Callable[..., Any], batch: list[dict[str, Any]]) -> None:
    def start_response(status: str, _headers: Any, _exc: Any = None) -> None:
        if not status.startswith("200"):
            raise RuntimeError(f"the webhook answered {status}")

    for environ in batch:
        for _chunk in app(environ, start_response):
            pass


def main() -> None:
    """Build the app, warm it up, time it, count its round trips, profile it."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", default="/voice/incoming")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter Twilio posts besides the call's own (repeatable)")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--ticket-digits", action="store_true",
                        help="make a ticket first and post its code as Digits (the tracking lookup of a found code)")
    parser.add_argument("--save", type=Path, help="also write the profile there (for pstats or snakeviz)")
    parser.add_argument("--statements", action="store_true",
                        help="also print the statements and commands one request sends, in order")
    args = parser.parse_args()
    extra = dict(param.split("=", 1) for param in args.param)
    with tempfile.TemporaryDirectory(prefix="cc-profile-") as folder, _database(args.database, folder) as url:
        settings = settings_from_mapping({
            "database": {"url": url, "instance_dir": folder},
            "twilio": {"auth_token": TOKEN},
            "web": {"public_base_url": PUBLIC_BASE_URL, "secret_key": "profile"},
            "mail": {"background_sender": False},
        })
        log_file = open(os.devnull, "w")  # noqa: SIM115  # the log lines are formatted and written, then dropped
        sys.stderr, real_stderr = log_file, sys.stderr
        configure_logging("json")
        app = create_app(settings)
        engine = app.extensions["contact_center"].engine
        engines = list({id(e): e for e in (engine, app.extensions["contact_center"].autocommit)}.values())
        upgrade(engine)
        if args.ticket_digits:
            with app.extensions["contact_center"].sessions.begin() as session:
                extra["Digits"] = create_ticket(session, channel=Channel.PHONE, summary="profile", now=utcnow()).code
        call_all(app, environs(args.path, 300, 0, extra))  # warm-up: pools, caches, compiled statements
        batch = environs(args.path, args.requests, 1_000_000, extra)
        started, cpu = time.perf_counter(), time.process_time()
        call_all(app, batch[: args.requests // 2])
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        half = args.requests // 2
        trips = RoundTrips()
        with trips.counting(engines):
            call_all(app, batch[half: half + 200])
        sent = one_request_sent(app, engines, environs(args.path, 1, 2_000_000, extra)[0]) if args.statements else []
        profiler = cProfile.Profile(time.process_time)  # CPU time: waits on the database are not ours
        profiler.enable()
        call_all(app, batch[half + 200:])
        profiler.disable()
        sys.stderr = real_stderr
        if args.save:
            profiler.dump_stats(args.save)
        profiled = args.requests - half - 200
        print(f"{args.path} on {args.database}, in process, {half} requests: {wall / half * 1000:.3f} ms wall, "
              f"{cpu / half * 1000:.3f} ms CPU per request (load average {os.getloadavg()[0]:.2f})")
        print(f"database round trips per request: {(trips.statements + trips.commands) / 200:.2f} "
              f"({trips.statements / 200:.2f} statements, "
              f"{trips.commands / 200:.2f} BEGIN/COMMIT/ROLLBACK sent by psycopg)")
        for number, line in enumerate(sent, 1):
            print(f"  {number}. {line}")
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(order).print_stats(args.top)
            print(f"\n--- cProfile, {profiled} requests, by {order} ---")
            print(out.getvalue().split("\n", 4)[-1].rstrip())
        engine.dispose()


@contextmanager
def _database(kind: str, folder: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder}/profile.db"
        return
    with private_database() as url:
        yield url


if __name__ == "__main__":
    main()
