"""Real HTTP: HTTPTransport against a served Flask app, and the interactive `call` command."""

from __future__ import annotations

import socket
import time

import pytest
from click.testing import CliRunner
from flask import Flask, Response, abort, redirect, request
from twilio.request_validator import RequestValidator

from callsim import HTTPTransport, Simulator
from callsim.cli import make_call_command
from callsim.server import serve_wsgi

TOKEN = "http-auth-token"
PUBLIC = "https://public.example"


def _xml(inner: str) -> Response:
    return Response(f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>',
                    mimetype="text/xml")


def _say(text: str) -> str:
    return f'<Say voice="Polly.Bianca" language="it-IT">{text}</Say>'


def _phone_app(received: list[dict[str, str]]) -> Flask:
    """A voice app behind a TLS proxy: it checks signatures against the public origin."""
    app = Flask(__name__)

    @app.before_request
    def check_signature() -> None:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(TOKEN).validate(PUBLIC + request.path, request.form, signature):
            abort(403)
        received.append({"path": request.path, **request.form.to_dict()})

    @app.post("/voice/incoming")
    def incoming() -> Response:
        return _xml('<Gather input="dtmf speech" numDigits="1" action="/voice/menu">'
                    + _say("Benvenuti. Premi 1 per informazioni, 2 per un messaggio.")
                    + "</Gather>" + _say("Arrivederci."))

    @app.post("/voice/menu")
    def menu() -> Response:
        if "SpeechResult" in request.form:
            return _xml(_say(f"Hai detto: {request.form['SpeechResult']} ({request.form['Confidence']})."))
        if request.form["Digits"] == "2":
            return _xml(_say("Lascia un messaggio.") + '<Record action="/voice/message"/>')
        return _xml(_say("Informazioni sui rischi."))

    @app.post("/voice/message")
    def message() -> Response:
        return _xml(_say(f"Messaggio di {request.form['RecordingDuration']} secondi."))

    @app.post("/voice/slow")
    def slow() -> Response:
        time.sleep(0.5)
        return _xml("")

    @app.post("/voice/moved")
    def moved() -> Response:
        return redirect("/voice/incoming")

    @app.post("/voice/broken")
    def broken() -> Response:
        return Response("oops", 500)

    @app.post("/voice/status")
    def status() -> Response:
        return _xml("")

    return app


@pytest.fixture
def received() -> list[dict[str, str]]:
    return []


@pytest.fixture
def base_url(received):
    with serve_wsgi(_phone_app(received)) as url:
        yield url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- HTTPTransport ---------------------------------------------------------------------


def test_requests_go_to_the_app_but_are_signed_for_the_public_origin(base_url, received):
    simulator = Simulator(HTTPTransport(base_url), TOKEN, public_base_url=PUBLIC)
    call = simulator.dial()
    call.press("1")
    assert call.errors == []
    assert [r["path"] for r in received] == ["/voice/incoming", "/voice/menu", "/voice/status"]
    assert call.requests[0].url == f"{PUBLIC}/voice/incoming"
    assert call.said().endswith("Informazioni sui rischi.")


@pytest.mark.parametrize(
    ("voice_url", "detail"),
    [("/voice/slow", "no response within 0.2 s"), ("/voice/moved", "HTTP 302")],
)
def test_a_late_or_redirected_answer_is_11200(base_url, voice_url, detail):
    transport = HTTPTransport(base_url, timeout=0.2)
    call = Simulator(transport, TOKEN, PUBLIC, voice_url=voice_url, fallback_url=None).dial()
    assert call.errors[0].code == 11200
    assert detail in call.errors[0].detail


def test_an_unreachable_app_is_11200():
    transport = HTTPTransport(f"http://127.0.0.1:{_free_port()}")
    call = Simulator(transport, TOKEN, fallback_url=None, status_callback_url=None).dial()
    assert call.requests[0].status is None
    assert call.errors[0].code == 11200 and "cannot reach" in call.errors[0].detail


def test_the_transport_needs_an_http_url():
    with pytest.raises(ValueError, match="not an http"):
        HTTPTransport("127.0.0.1:8000")


# --- the interactive phone -------------------------------------------------------------


def _run(*args: str, input: str = "", token: str | None = TOKEN):
    command = make_call_command(lambda: token)
    return CliRunner().invoke(command, list(args), input=input, env={"TWILIO_AUTH_TOKEN": None})


def test_the_phone_prints_prompts_and_sends_keys(base_url, received):
    result = _run("--url", base_url, "--public-url", PUBLIC, input="1\n")
    assert result.exit_code == 0, result.output
    assert "🔊 Benvenuti. Premi 1 per informazioni, 2 per un messaggio." in result.output
    assert "Tasti o parole (invio = nessun tasto, h = riaggancia): " in result.output
    assert "🔊 Informazioni sui rischi." in result.output
    assert result.output.rstrip().endswith("Chiamata terminata: completed (5 s)")
    assert received[1]["Digits"] == "1"


def test_the_phone_says_the_words_typed(base_url, received):
    result = _run("--url", base_url, "--public-url", PUBLIC, input="informazioni sui rischi\n")
    assert "[hai detto: informazioni sui rischi]" in result.output
    assert "🔊 Hai detto: informazioni sui rischi (0.92)." in result.output
    doubtful = _run("--url", base_url, "--public-url", PUBLIC, input="due nove @0,4\n")
    assert "🔊 Hai detto: due nove (0.4)." in doubtful.output
    assert received[-2]["SpeechResult"] == "due nove" and "Digits" not in received[-2]


def test_the_phone_leaves_a_message(base_url, received):
    result = _run("--url", base_url, "--public-url", PUBLIC, input="2\n\n")
    assert "Registrazione: secondi di messaggio [10], h = riaggancia" in result.output
    assert "🔊 Messaggio di 10 secondi." in result.output
    assert received[2]["RecordingDuration"] == "10"


def test_enter_is_no_key_and_h_hangs_up(base_url, received):
    silent = _run("--url", base_url, "--public-url", PUBLIC, input="\n")
    assert "🔊 Arrivederci." in silent.output
    hung_up = _run("--url", base_url, "--public-url", PUBLIC, input="h\n")
    assert "Arrivederci" not in hung_up.output
    assert "Chiamata terminata: completed" in hung_up.output


def test_end_of_input_hangs_up(base_url):
    result = _run("--url", base_url, "--public-url", PUBLIC, input="")
    assert result.exit_code == 0
    assert "Chiamata terminata: completed" in result.output


def test_a_withheld_number_calls_as_anonymous(base_url, received):
    _run("--url", base_url, "--public-url", PUBLIC, "--withheld", input="h\n")
    assert received[0]["From"] == "anonymous"


def test_app_errors_are_printed_in_one_red_line_each(base_url):
    result = CliRunner().invoke(
        make_call_command(lambda: "not-the-token"), ["--url", base_url, "--public-url", PUBLIC],
        color=True, env={"TWILIO_AUTH_TOKEN": None},
    )
    assert result.exit_code == 1
    red = [line for line in result.output.splitlines() if line.startswith("\x1b[31m")]
    assert [line.split(" (")[0] for line in red] == ["\x1b[31merrore 11200 HTTP 403"] * 3
    assert red[0].endswith(f"({PUBLIC}/voice/incoming)\x1b[0m")
    assert "We are sorry, an application error has occurred. Goodbye." in result.output


@pytest.mark.parametrize(
    ("args", "token", "message"),
    [
        (["--url", "http://127.0.0.1:{port}"], TOKEN, "Error: cannot reach the app: "),
        (["--url", "localhost:8000"], TOKEN, "Error: --url: not an http(s) URL"),
        ([], None, "Error: no auth token"),
    ],
)
def test_bad_input_is_one_clear_line(args, token, message):
    port = _free_port()
    result = _run(*[arg.format(port=port) for arg in args], token=token)
    assert result.exit_code == 1
    assert result.output.startswith(message)
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output
