"""The floor of the stack: a bare Flask app answering one fixed TwiML document.

Served by the same gunicorn settings as the service (`python bench/floor.py --port P`), it
measures what Flask, gunicorn and the loopback cost before any work of ours.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from flask import Flask, Response
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


def create_floor_app() -> Flask:
    """Every POST gets the fixed document; GET /healthz says it is up."""
    app = Flask(__name__)
    document = fixed_document()

    @app.post("/<path:_path>")
    def answer(_path: str) -> Response:
        return Response(document, mimetype="text/xml")

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    return app


class _FloorServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return create_floor_app()


def main() -> None:
    """Serve the floor app on loopback with the service's gunicorn settings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    args = parser.parse_args()
    _FloorServer(gunicorn_options(f"127.0.0.1:{args.port}", args.workers, args.threads, "json")).run()


if __name__ == "__main__":
    main()
