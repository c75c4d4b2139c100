"""Small Flask voice apps for the call simulator's tests, answering it in-process through WSGITransport."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

from callsim import Simulator, WSGITransport

TOKEN = "test-auth-token"
Handler = str | Callable[[dict[str, str]], Any]


def say(text: str) -> str:
    return f'<Say voice="Polly.Bianca" language="it-IT">{text}</Say>'


def twiml(inner: str) -> Response:
    body = f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'
    return Response(body, mimetype="text/xml")


class VoiceApp:
    """A Flask voice app: checks signatures, answers each path from `routes`, remembers requests."""

    def __init__(self, routes: dict[str, Handler], public_base: str | None = None) -> None:
        self.routes = {"/voice/status": "", **routes}
        self.public_base = public_base
        self.received: list[tuple[str, dict[str, str]]] = []
        self.flask = Flask(__name__)
        self.flask.add_url_rule(
            "/<path:path>", view_func=self._answer, methods=["GET", "POST"]
        )

    def simulator(self, transport_base: str = "http://localhost", **options: Any) -> Simulator:
        return Simulator(WSGITransport(self.flask, transport_base), TOKEN, **options)

    def params(self, path: str) -> list[dict[str, str]]:
        return [params for seen, params in self.received if seen == path]

    def paths(self) -> list[str]:
        return [path for path, _ in self.received]

    def _answer(self, path: str) -> Response:
        base = self.public_base or request.host_url.rstrip("/")
        query = request.query_string.decode()
        url = base + request.path + (f"?{query}" if query else "")
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(TOKEN).validate(url, request.form, signature):
            abort(403)
        params = {**request.args.to_dict(), **request.form.to_dict()}
        self.received.append((request.path, params))
        handler = self.routes.get(request.path)
        if handler is None:
            abort(404)
        answer = handler if isinstance(handler, str) else handler(params)
        return twiml(answer) if isinstance(answer, str) else answer


def _menu_choice(params: dict[str, str]) -> str:
    choices = {
        "1": say("Informazioni sui rischi.") + "<Hangup/>",
        "2": say("Lascia un messaggio dopo il segnale.")
        + '<Record action="/voice/message" maxLength="60"'
        ' recordingStatusCallback="/voice/recording-status"/>'
        + say("Mai raggiunto."),
    }
    retry = say("Scelta non valida.") + "<Redirect>incoming</Redirect>"
    return choices.get(params["Digits"], retry)


MENU: dict[str, Handler] = {
    "/voice/incoming": '<Gather numDigits="1" action="menu">'
    + say("Benvenuti al numero verde.")
    + say("Premi 1 per informazioni, 2 per un messaggio.")
    + "</Gather>"
    + say("Non abbiamo ricevuto una scelta.")
    + "<Hangup/>",
    "/voice/menu": _menu_choice,
    "/voice/message": lambda p: say(f"Grazie, messaggio di {p['RecordingDuration']} secondi."),
    "/voice/recording-status": "",
}
