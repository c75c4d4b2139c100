"""The floors of the stack: a bare Flask app answering one fixed TwiML document.

Served by the same gunicorn settings as the service (`python bench/floor.py --port P`), it
measures what Flask, gunicorn and the loopback cost before any work of ours: the static floor.
With `--database-url URL` (a migrated database of the service) every request also upserts its
call's row into `calls` with psycopg 3 and commits, no ORM and no pool (one connection per
thread): the database floor, what a webhook that writes one row cannot go below.
"""

from __future__ import annotations

import argparse
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask, Response, request
from gunicorn.app.base import BaseApplication
from twilio.twiml.voice_response import VoiceResponse

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from contact_center.cli.serve import DEFAULT_THREADS, DEFAULT_WORKERS, gunicorn_options


def fixed_document() -> bytes:
    """A greeting and a menu, as long as the service's first answer."""
    response = VoiceResponse()
    response.say("Benvenuto nel Contact Center del Dipartimento della Protezione Civile.",
                 voice="Polly.Bianca", language="it-IT")
    gather = response.gather(num_digits=1, action="/voice/menu/choice?attempt=1", timeout=6)
    gather.say("Per lasciare un messaggio ed essere richiamato, premi 3.", voice="Polly.Bianca", language="it-IT")
    response.redirect("/voice/menu?attempt=2")
    return str(response.to_xml()).encode("utf-8")


# The statement the service's first webhook runs (storage.call_log's call-start upsert).
UPSERT = ("INSERT INTO calls (call_sid, caller_number, caller_withheld, line_number, started_at, language) "
          "VALUES (%s, %s, false, %s, %s, 'it') ON CONFLICT (call_sid) DO NOTHING")


def libpq_url(database_url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://...) as libpq takes it."""
    scheme, rest = database_url.split("://", 1)
    if not scheme.startswith("postgresql"):
        raise SystemExit("the database floor needs a PostgreSQL URL")
    return "postgresql://" + rest


def create_floor_app(database_url: str | None = None) -> Flask:
    """Every POST gets the fixed document (after its call's upsert and commit with a database); GET /healthz."""
    app = Flask(__name__)
    document = fixed_document()
    conninfo = libpq_url(database_url) if database_url else None
    local = threading.local()

    def connection() -> psycopg.Connection[Any]:
        if getattr(local, "connection", None) is None or local.connection.closed:
            local.connection = psycopg.connect(conninfo)
        return local.connection  # type: ignore[no-any-return]

    @app.post("/<path:_path>")
    def answer(_path: str) -> Response:
        if conninfo is not None:
            form = request.form
            database = connection()
            database.execute(UPSERT, (form.get("CallSid", ""), form.get("From"), form.get("To"),
                                      datetime.now(UTC)))
            database.commit()
        return Response(document, mimetype="text/xml")

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    return app


class _FloorServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any], database_url: str | None) -> None:
        self.options = options
        self.database_url = database_url
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return create_floor_app(self.database_url)


def main() -> None:
    """Serve the floor app on loopback with the service's gunicorn settings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--database-url", help="a migrated PostgreSQL database: the database floor")
    args = parser.parse_args()
    _FloorServer(gunicorn_options(f"127.0.0.1:{args.port}", args.workers, args.threads, "json"),
                 args.database_url).run()


if __name__ == "__main__":
    main()
