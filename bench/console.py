"""The console's callback list with 100,000 pending entries: `python bench/console.py [--database-url URL]`.

Fills a fresh database (an SQLite file by default) with entries, their messages and tickets,
signs an operator in, and times the first page of the list, a page deep in the list, the
entry page, "prendi il prossimo" and what an open list polls (/console/live, its rows), as the
browser gets them (server side, full render).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask.testing import FlaskClient
from sqlalchemy import insert, text

from access.accounts import Role, add_account
from contact_center.app import create_app
from contact_center.config import settings_from_mapping
from hours.clock import utcnow
from storage.migrate import upgrade
from storage.models import CallbackMessage, CallbackRequest, Ticket
from tickets.codes import damm_check_digit
from voicemail.callbacks import REASON_PRIORITY, REASONS

PASSWORD = "benchmark password"
BATCH = 10_000


def fill(sessions, entries: int) -> None:
    """`entries` pending entries, due now, each with one recorded message and a ticket."""
    start = utcnow() - timedelta(days=3)
    for first in range(0, entries, BATCH):
        numbers = range(first, min(first + BATCH, entries))
        created = [start + timedelta(seconds=2 * number) for number in numbers]
        with sessions.begin() as session:
            session.execute(insert(Ticket), [{
                "id": number + 1, "code": _code(number), "channel": "voicemail", "topic": "other", "status": "received",
                "contact_phone": f"+39347{number:07d}", "summary": "", "call_sid": f"CA{number:032x}",
                "created_at": when, "status_changed_at": when} for number, when in zip(numbers, created, strict=False)])
            session.execute(insert(CallbackRequest), [{
                "id": number + 1, "callback_number": f"+39347{number:07d}", "reason": REASONS[number % len(REASONS)],
                "priority": REASON_PRIORITY[REASONS[number % len(REASONS)]], "status": "pending",
                "message_count": 1, "ticket_id": number + 1, "next_attempt_at": when, "attempt_count": 0,
                "created_at": when, "updated_at": when} for number, when in zip(numbers, created, strict=False)])
            session.execute(insert(CallbackMessage), [{
                "entry_id": number + 1, "call_sid": f"CA{number:032x}", "callback_number": f"+39347{number:07d}",
                "number_source": "caller_id", "reason": REASONS[number % len(REASONS)], "ticket_id": number + 1,
                "message_status": "recorded", "recording_sid": f"RE{number:032x}", "recording_duration": 20,
                "copy_status": "copied", "created_at": when} for number, when in zip(numbers, created, strict=False)])


def _code(number: int) -> str:
    """A distinct valid tracking code for each number below nine million."""
    body = f"{1 + number // 1_000_000}{number % 1_000_000:06d}"
    return body + damm_check_digit(body)


def timed(action: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds of each run of `action`."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


def report(name: str, times: list[float]) -> None:
    """One line of figures."""
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"{name:42} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   max {max(times):7.1f} ms")


def signed_in_client(app) -> FlaskClient:
    """A browser session of a signed-in operator."""
    client = app.test_client()
    page = client.get("/console/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post("/console/login", data={"name": "Bench", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, "sign-in failed"
    return client


def main() -> None:
    """Fill, then time the pages."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary folder")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-console-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    app = create_app(settings_from_mapping({"database": {"url": url, "instance_dir": str(folder / "instance")},
                                            "web": {"secret_key": "bench"}}))
    rt = app.extensions["contact_center"]
    upgrade(rt.engine)
    started = time.perf_counter()
    fill(rt.sessions, args.entries)
    if rt.engine.dialect.name == "postgresql":
        with rt.engine.begin() as connection:
            connection.execute(text("ANALYZE"))  # what autovacuum does after a bulk load
    with rt.sessions.begin() as session:
        add_account(session, "Bench", Role.OPERATOR, PASSWORD, min_password_length=12, now=utcnow())
    print(f"{rt.engine.dialect.name}: {args.entries:,} pending entries with messages and tickets "
          f"filled in {time.perf_counter() - started:.1f} s")
    client = signed_in_client(app)

    def first_page() -> None:
        response = client.get("/console/callbacks")
        assert response.status_code == 200 and f"<strong>{args.entries}</strong>" in response.get_data(as_text=True)

    deep = client.get("/console/callbacks").get_data(as_text=True)
    for _ in range(20):
        deep = client.get(_next_link(deep)).get_data(as_text=True)
    deep_link = _next_link(deep)
    report("callback list, first page (50 rows)", timed(first_page, args.runs))
    report("callback list, page 22 (keyset)", timed(lambda: client.get(deep_link), args.runs))
    report("callback list, filtered by reason and day", timed(
        lambda: client.get(f"/console/callbacks?reason=chosen&day={utcnow().date() - timedelta(days=2)}"),
        args.runs))
    tag = client.get("/console/live").headers["ETag"]
    report("live state, nothing changed (304)", timed(
        lambda: client.get("/console/live", headers={"If-None-Match": tag}), args.runs))
    report("live state, changed (200, JSON)", timed(lambda: client.get("/console/live"), args.runs))
    report("the open list's rows after a change", timed(lambda: client.get("/console/callbacks/live"), args.runs))
    app.config["CONSOLE_LIVE_CACHE_SECONDS"] = 0  # what each worker pays at most once a second
    report("live state, read afresh (uncached)", timed(lambda: client.get("/console/live"), args.runs))
    report("entry page", timed(lambda: client.get(f"/console/callbacks/{args.entries // 2}"), args.runs))
    token_page = client.get("/console/callbacks").get_data(as_text=True)
    token = token_page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    report("prendi il prossimo (claim + redirect)", timed(
        lambda: client.post("/console/callbacks/claim", data={"csrf_token": token}), args.runs))
    rt.engine.dispose()


def _next_link(page: str) -> str:
    return page.split('rel="next"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")


if __name__ == "__main__":
    main()
