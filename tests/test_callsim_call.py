"""The call engine against small Flask voice apps, in-process through WSGITransport."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

from callsim import (
    STOCK_ERROR_MESSAGE,
    CallLoopError,
    DialOutcome,
    Simulator,
    SimulatorError,
    WSGITransport,
    hang_up,
    press,
    record,
)

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


@pytest.fixture
def menu() -> VoiceApp:
    return VoiceApp(MENU)


def _at_record(app: VoiceApp, **options: Any):
    call = app.simulator(**options).dial()
    call.press("2")
    assert call.pending == "record"
    return call


# --- Gather ----------------------------------------------------------------------------


def test_the_call_stops_at_the_gather_after_playing_its_prompts(menu):
    call = menu.simulator().dial()
    assert call.pending == "gather"
    assert not call.ended
    assert call.transcript[0] == ("gather", {"numDigits": "1", "action": "menu"})
    assert call.heard_since_last_input() == (
        "Benvenuti al numero verde.\nPremi 1 per informazioni, 2 per un messaggio."
    )
    assert "Non abbiamo ricevuto" not in call.said()


def test_a_key_posts_digits_to_the_relative_action_and_plays_its_answer(menu):
    call = menu.simulator().dial()
    call.press("1")
    assert menu.params("/voice/menu")[0]["Digits"] == "1"
    assert "FinishedOnKey" not in menu.params("/voice/menu")[0]
    assert call.requests[1].url == "http://localhost/voice/menu"
    assert call.heard_since_last_input() == "Informazioni sui rischi."
    assert (call.ended, call.status, call.pending) == (True, "completed", None)


def test_requests_carry_twilios_standard_parameters(menu):
    call = menu.simulator().dial("+393471234567", "+39800840840", FromCity="ROMA")
    call.press("1")
    first, second = menu.params("/voice/incoming")[0], menu.params("/voice/menu")[0]
    assert re.fullmatch(r"CA[0-9a-f]{32}", first["CallSid"]) and first["CallSid"] == call.sid
    assert re.fullmatch(r"AC[0-9a-f]{32}", first["AccountSid"])
    assert (first["CallStatus"], second["CallStatus"]) == ("ringing", "in-progress")
    assert first["From"] == first["Caller"] == "+393471234567"
    assert first["To"] == first["Called"] == "+39800840840"
    assert (first["Direction"], first["ApiVersion"]) == ("inbound", "2010-04-01")
    assert (first["FromCountry"], first["ToCountry"]) == ("IT", "IT")
    assert (first["ForwardedFrom"], first["FromCity"]) == ("", "ROMA")


def test_silence_falls_through_to_the_verb_after_the_gather(menu):
    call = menu.simulator().dial()
    call.silence()
    assert call.heard_since_last_input() == "Non abbiamo ricevuto una scelta."
    assert menu.params("/voice/menu") == []
    assert call.status == "completed"
    [status] = menu.params("/voice/status")
    assert status["CallStatus"] == "completed"
    assert status["CallDuration"] == str(call.duration) and call.duration >= 5


def test_action_on_empty_result_posts_empty_digits():
    app = VoiceApp({
        "/voice/incoming": '<Gather actionOnEmptyResult="true" action="/voice/menu">'
        + say("Scegli.") + "</Gather>" + say("Mai raggiunto."),
        "/voice/menu": say("Nessun tasto."),
    })
    call = app.simulator().dial()
    call.silence()
    assert app.params("/voice/menu")[0]["Digits"] == ""
    assert call.said() == "Scegli.\nNessun tasto."


@pytest.mark.parametrize(
    ("gather", "keys", "digits", "finished_on_key"),
    [
        ('numDigits="3"', "12345", "123", None),
        ("", "42#9", "42", "#"),
        ('finishOnKey="*"', "7#*", "7#", "*"),
        ('finishOnKey=""', "1#2", "1#2", None),
    ],
)
def test_gather_applies_num_digits_and_finish_on_key(gather, keys, digits, finished_on_key):
    app = VoiceApp({"/voice/incoming": f"<Gather {gather} action='/voice/got'/>", "/voice/got": ""})
    app.simulator().dial().press(keys)
    [got] = app.params("/voice/got")
    assert got["Digits"] == digits
    assert got.get("FinishedOnKey") == finished_on_key


def test_pressing_only_the_finish_key_is_no_input(menu):
    call = menu.simulator().dial()
    call.press("#")
    assert menu.params("/voice/menu") == []
    assert "Non abbiamo ricevuto una scelta." in call.said()


def test_a_wrong_choice_redirects_back_to_the_menu(menu):
    call = menu.simulator().dial()
    call.press("9")
    assert call.heard_since_last_input().startswith("Scelta non valida.\nBenvenuti")
    assert call.pending == "gather"
    assert menu.paths() == ["/voice/incoming", "/voice/menu", "/voice/incoming"]


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("next", "https://cc.example.org/voice/steps/next"),
        ("../top", "https://cc.example.org/voice/top"),
        ("/voice/abs?x=1", "https://cc.example.org/voice/abs?x=1"),
        ("?again=1", "https://cc.example.org/voice/steps/menu?again=1"),
    ],
)
def test_relative_actions_resolve_against_the_current_document(action, expected):
    app = VoiceApp({
        "/voice/incoming": "<Redirect>steps/menu</Redirect>",
        "/voice/steps/menu": f'<Gather action="{action}"/>',
        "/voice/steps/next": "", "/voice/top": "", "/voice/abs": "",
    }, public_base="https://cc.example.org")
    call = app.simulator(public_base_url="https://cc.example.org").dial()
    call.press("1")
    assert call.requests[2].url == expected
    assert call.requests[2].status == 200


def test_a_gather_without_action_posts_back_to_its_document():
    app = VoiceApp({
        "/voice/incoming": '<Redirect method="GET">/voice/loop?round=1</Redirect>',
        "/voice/loop": lambda p: say("Hai premuto.") if "Digits" in p else "<Gather/>",
    })
    call = app.simulator().dial()
    call.press("5#")
    loop_get, loop_post = call.requests[1], call.requests[2]
    assert loop_get.method == "GET" and "CallSid=" in loop_get.url and loop_get.params == {}
    assert (loop_post.method, loop_post.url) == ("POST", "http://localhost/voice/loop?round=1")
    assert app.params("/voice/loop")[1]["Digits"] == "5"
    assert app.params("/voice/loop")[1]["round"] == "1"


def test_keys_on_a_speech_only_gather_are_not_heard():
    app = VoiceApp({"/voice/incoming": '<Gather input="speech" action="/voice/x"/>'
                    + say("Fine.")})
    call = app.simulator().dial()
    call.press("1")
    assert app.params("/voice/x") == [] and call.said() == "Fine."


# --- Record ----------------------------------------------------------------------------


def test_hanging_up_during_record_posts_digits_hangup_and_plays_nothing(menu):
    call = _at_record(menu)
    call.hang_up(recorded_seconds=7)
    [message] = menu.params("/voice/message")
    assert message["Digits"] == "hangup"
    assert message["RecordingDuration"] == "7"
    assert message["CallStatus"] == "completed"
    account = message["AccountSid"]
    assert re.fullmatch(
        rf"https://api\.twilio\.com/2010-04-01/Accounts/{account}/Recordings/RE[0-9a-f]{{32}}",
        message["RecordingUrl"],
    )
    assert message["RecordingUrl"].endswith(message["RecordingSid"])
    assert "Grazie" not in call.said() and "Mai raggiunto" not in call.said()
    assert call.ended and call.recordings[0].duration == 7
    assert menu.paths()[-3:] == ["/voice/message", "/voice/recording-status", "/voice/status"]


def test_the_answer_to_a_hung_up_record_is_still_validated():
    app = VoiceApp({"/voice/incoming": '<Record action="/voice/message"/>',
                    "/voice/message": "<Say>Tom & Jerry</Say>", "/voice/fallback": ""})
    call = app.simulator().dial()
    call.hang_up()
    assert [error.code for error in call.errors] == [12100]
    assert "/voice/fallback" not in app.paths()


def test_finishing_a_record_with_a_key_plays_the_action(menu):
    call = _at_record(menu)
    call.record(10, "#")
    [message] = menu.params("/voice/message")
    assert (message["Digits"], message["RecordingDuration"]) == ("#", "10")
    assert call.heard_since_last_input() == "Grazie, messaggio di 10 secondi."
    [status] = menu.params("/voice/recording-status")
    assert status["RecordingSid"] == message["RecordingSid"]
    assert (status["RecordingStatus"], status["RecordingDuration"]) == ("completed", "10")
    assert (status["RecordingChannels"], status["RecordingSource"]) == ("1", "RecordVerb")
    assert status["CallSid"] == call.sid and "Mai raggiunto" not in call.said()


@pytest.mark.parametrize(
    ("seconds", "key", "duration"), [(90, "#", "60"), (10, None, "10"), (10, "w", None)]
)
def test_a_record_ended_by_max_length_or_silence_sends_no_digits(menu, seconds, key, duration):
    call = _at_record(menu)
    if duration is None:
        with pytest.raises(ValueError, match="phone key"):
            call.record(seconds, key)
        return
    call.record(seconds, key)
    [message] = menu.params("/voice/message")
    assert message["RecordingDuration"] == duration
    assert "Digits" not in message


def test_silence_at_a_record_posts_an_empty_recording(menu):
    call = _at_record(menu)
    call.silence()
    [message] = menu.params("/voice/message")
    assert message["RecordingDuration"] == "0"
    assert menu.params("/voice/recording-status") == []  # "absent" was not subscribed


@pytest.mark.parametrize(
    ("mode", "order", "status"),
    [
        ("after", ["/voice/message", "/voice/recording-status"], "completed"),
        ("before", ["/voice/recording-status", "/voice/message"], "completed"),
        ("twice", ["/voice/message", "/voice/recording-status", "/voice/recording-status"],
         "completed"),
        ("none", ["/voice/message"], None),
        ("failed", ["/voice/message", "/voice/recording-status"], "failed"),
    ],
)
def test_recording_callback_order_and_duplicates(menu, mode, order, status):
    call = _at_record(menu, recording_callback=mode)
    call.record(5)
    recording_paths = ("/voice/message", "/voice/recording-status")
    assert [path for path in menu.paths() if path in recording_paths] == order
    statuses = {p["RecordingStatus"] for p in menu.params("/voice/recording-status")}
    assert statuses == ({status} if status else set())


def test_a_duplicate_callback_carries_the_same_idempotency_token(menu):
    call = _at_record(menu, recording_callback="twice", status_callback="twice")
    call.record(5)
    for path in ("/voice/recording-status", "/voice/status"):
        first, second = call.requests_to(path)
        assert first.params == second.params
        token = first.headers["I-Twilio-Idempotency-Token"]
        assert token == second.headers["I-Twilio-Idempotency-Token"]
    assert len(call.requests) == 7
    assert len({r.headers["I-Twilio-Idempotency-Token"] for r in call.requests}) == 5


def test_an_absent_recording_is_reported_when_subscribed():
    app = VoiceApp({
        "/voice/incoming": '<Record action="/voice/message" recordingStatusCallback="/voice/rs"'
        ' recordingStatusCallbackEvent="in-progress completed absent"/>',
        "/voice/message": "", "/voice/rs": "",
    })
    call = app.simulator().dial()
    call.silence()
    assert [p["RecordingStatus"] for p in app.params("/voice/rs")] == ["in-progress", "absent"]


def test_the_status_callback_can_arrive_before_the_record_action(menu):
    call = _at_record(menu, status_callback="before")
    call.hang_up()
    assert menu.paths()[-3:] == ["/voice/status", "/voice/message", "/voice/recording-status"]
    assert len(menu.params("/voice/status")) == 1


def test_no_status_callback_when_disabled(menu):
    menu.simulator(status_callback="none").dial(script=[press("1")])
    assert menu.params("/voice/status") == []


def test_a_script_plays_a_whole_call(menu):
    call = menu.simulator().dial(script=[press("2"), record(12, "#")])
    assert call.ended and call.recordings[0].duration == 12
    with pytest.raises(SimulatorError, match="ended"):
        call.press("1")


def test_acting_out_of_turn_is_refused(menu):
    call = menu.simulator().dial()
    with pytest.raises(SimulatorError, match="not waiting for record"):
        call.record(3)
    with pytest.raises(SimulatorError, match="not waiting for queue"):
        call.advance_queue(10)


# --- errors as Twilio reports them -----------------------------------------------------


def test_an_http_500_is_11200_and_the_fallback_gets_error_code_and_url():
    app = VoiceApp({
        "/voice/incoming": lambda p: Response("boom", 500),
        "/voice/fallback": say("Servizio momentaneamente non disponibile.") + "<Hangup/>",
    })
    call = app.simulator().dial()
    [error] = call.errors
    assert (error.code, error.url) == (11200, "http://localhost/voice/incoming")
    [fallback] = app.params("/voice/fallback")
    assert fallback["ErrorCode"] == "11200"
    assert fallback["ErrorUrl"] == "http://localhost/voice/incoming"
    assert fallback["CallSid"] == call.sid
    assert call.said() == "Servizio momentaneamente non disponibile."


def test_an_answer_slower_than_15_seconds_is_11200(menu, monkeypatch):
    ticks = itertools.count(step=16.0)  # every response takes 16 s
    monkeypatch.setattr("callsim.webhook.perf_counter", lambda: next(ticks))
    call = menu.simulator(fallback_url=None).dial()
    assert call.requests[0].status == 200 and call.requests[0].elapsed_ms == 16000
    assert call.errors[0].code == 11200
    assert call.errors[0].detail == "no response within 15 s"
    assert call.said() == STOCK_ERROR_MESSAGE


def test_an_exception_in_the_app_is_a_500():
    def crash(params: dict[str, str]) -> str:
        raise RuntimeError("database is down")

    app = VoiceApp({"/voice/incoming": crash})
    app.flask.config["PROPAGATE_EXCEPTIONS"] = True
    call = app.simulator(fallback_url=None).dial()
    assert call.requests[0].status == 500
    assert "RuntimeError: database is down" in call.requests[0].body
    assert call.errors[0].code == 11200


def test_without_a_fallback_the_caller_hears_the_stock_message():
    app = VoiceApp({"/voice/incoming": lambda p: Response("boom", 503)})
    call = app.simulator(fallback_url=None).dial()
    assert call.said() == STOCK_ERROR_MESSAGE
    assert call.status == "completed" and call.pending is None


def test_a_failing_fallback_also_ends_with_the_stock_message():
    app = VoiceApp({"/voice/incoming": lambda p: Response("boom", 500),
                    "/voice/fallback": "<Speak/>"})
    call = app.simulator().dial()
    assert [error.code for error in call.errors] == [11200, 12200]
    assert call.said() == STOCK_ERROR_MESSAGE


@pytest.mark.parametrize(
    "body",
    [
        '\n<?xml version="1.0" encoding="UTF-8"?><Response/>',
        "<Response><Say>Tom & Jerry</Say></Response>",
        "<Risposta/>",
    ],
)
def test_malformed_documents_are_12100(body):
    app = VoiceApp({"/voice/incoming": lambda p: Response(body, mimetype="text/xml")})
    call = app.simulator(fallback_url=None).dial()
    assert [error.code for error in call.errors] == [12100]


@pytest.mark.parametrize(
    "inner", ["<Speak>Ciao</Speak>", "<Gather><Dial>+39061</Dial></Gather>", '<Pause length="x"/>']
)
def test_schema_violations_are_12200_and_use_the_fallback(inner):
    app = VoiceApp({"/voice/incoming": inner, "/voice/fallback": say("Riprova più tardi.")})
    call = app.simulator().dial()
    assert [error.code for error in call.errors] == [12200]
    assert app.params("/voice/fallback")[0]["ErrorCode"] == "12200"
    assert call.said() == "Riprova più tardi."


def test_outside_strict_mode_schema_problems_are_warnings():
    app = VoiceApp({"/voice/incoming": "<Speak>x</Speak>" + say("Il resto si sente.")})
    call = app.simulator(strict=False).dial()
    assert [(e.code, e.warning) for e in call.errors] == [(12200, True)]
    assert call.said() == "Il resto si sente."


def test_a_non_xml_content_type_is_11200_in_strict_mode():
    app = VoiceApp({"/voice/incoming": lambda p: Response("Ciao", mimetype="text/plain")})
    strict_call = app.simulator(fallback_url=None).dial()
    assert strict_call.errors[0].code == 11200
    assert "text/plain" in strict_call.errors[0].detail
    lenient_call = app.simulator(fallback_url=None, strict=False).dial()
    assert lenient_call.errors == [] and lenient_call.said() == "Ciao"


def test_a_say_whose_voice_cannot_speak_its_language_is_skipped_with_13511():
    app = VoiceApp({"/voice/incoming": '<Say language="it-IT">Benvenuti</Say><Say/>'})
    call = app.simulator().dial()
    assert [(e.code, e.warning) for e in call.errors] == [(13511, True), (13520, True)]
    assert call.said() == ""


def test_a_redirect_loop_is_stopped_after_100_documents():
    app = VoiceApp({"/voice/incoming": "<Redirect>/voice/incoming</Redirect>"})
    with pytest.raises(CallLoopError):
        app.simulator().dial()
    assert len(app.params("/voice/incoming")) == 100


@pytest.mark.parametrize(("reason", "status"), [("busy", "busy"), ("rejected", "no-answer")])
def test_reject_ends_the_call_unanswered(reason, status):
    app = VoiceApp({"/voice/incoming": f'<Reject reason="{reason}"/>' + say("Mai.")})
    call = app.simulator().dial()
    assert call.status == status and call.said() == ""
    assert app.params("/voice/status")[0]["CallDuration"] == "0"


def test_unsupported_verbs_stop_the_simulation_loudly():
    app = VoiceApp({"/voice/incoming": "<Connect><Stream url='wss://x'/></Connect>"})
    with pytest.raises(SimulatorError, match="<Connect> is not simulated"):
        app.simulator().dial()


def test_sms_in_a_call_is_ignored_with_a_note():
    app = VoiceApp({"/voice/incoming": "<Sms>Codice 1234</Sms>" + say("Fine.")})
    call = app.simulator().dial()
    assert call.transcript[0][0] == "note" and call.said() == "Fine."


def test_the_clock_counts_speech_pauses_and_messages():
    app = VoiceApp({"/voice/incoming": say("uno due tre quattro cinque") + '<Pause length="3"/>'
                    + '<Record action="/voice/m"/>', "/voice/m": "<Hangup/>"})
    call = app.simulator().dial()
    assert call.clock == 5.0
    call.record(20, "#")
    assert call.duration == 25


# --- signatures ------------------------------------------------------------------------


def test_requests_are_signed_for_the_public_url_behind_a_proxy():
    app = VoiceApp(MENU, public_base="https://cc.example.org")
    simulator = app.simulator("http://internal:8000", public_base_url="https://cc.example.org")
    call = simulator.dial(script=[press("2"), hang_up()])
    assert call.errors == []
    assert all(r.url.startswith("https://cc.example.org/") for r in call.requests)
    assert {r.status for r in call.requests} == {200}


def test_an_app_validating_its_own_url_behind_a_proxy_refuses_twilio(menu):
    simulator = menu.simulator("http://internal:8000", public_base_url="https://cc.example.org")
    call = simulator.dial()
    assert call.requests[0].status == 403
    assert call.said() == STOCK_ERROR_MESSAGE


@pytest.mark.parametrize("signature", ["wrong", "absent"])
def test_a_bad_signature_is_refused_by_a_validating_app(menu, signature):
    call = menu.simulator(signature=signature).dial()
    assert ("X-Twilio-Signature" in call.requests[0].headers) is (signature == "wrong")
    assert [r.status for r in call.requests] == [403, 403, 403]
    assert [e.code for e in call.errors] == [11200, 11200, 11200]


# --- Dial ------------------------------------------------------------------------------

OPERATOR = (
    '<Dial action="/voice/dial-done" callerId="+39800840840" timeout="20">'
    '<Number url="/voice/whisper" statusCallback="/voice/leg"'
    ' statusCallbackEvent="initiated ringing answered completed">+390612345678</Number>'
    "</Dial>" + say("Mai raggiunto.")
)
DIAL_ROUTES: dict[str, Handler] = {
    "/voice/incoming": say("Ti passo un operatore.") + OPERATOR,
    "/voice/whisper": '<Gather numDigits="1" action="/voice/whisper-answer">'
    + say("Chiamata dal numero verde, premi 1 per accettare.") + "</Gather><Hangup/>",
    "/voice/whisper-answer": lambda p: "" if p["Digits"] == "1" else "<Hangup/>",
    "/voice/dial-done": lambda p: say(f"Esito {p['DialCallStatus']}."),
    "/voice/leg": "",
}


def test_an_answered_dial_runs_the_whisper_bridges_and_reports_to_the_action():
    app = VoiceApp(DIAL_ROUTES)
    outcome = DialOutcome(talk_seconds=40, whisper_keys=("1",))
    call = app.simulator(dial_outcomes=[outcome]).dial()
    [done] = app.params("/voice/dial-done")
    assert (done["DialCallStatus"], done["DialBridged"]) == ("completed", "true")
    assert int(done["DialCallDuration"]) >= 40
    [whisper] = app.params("/voice/whisper")
    assert whisper["CallSid"] == done["DialCallSid"] != call.sid
    assert (whisper["ParentCallSid"], whisper["Direction"]) == (call.sid, "outbound-dial")
    assert (whisper["From"], whisper["To"]) == ("+39800840840", "+390612345678")
    legs = app.params("/voice/leg")
    assert [p["CallStatus"] for p in legs] == ["initiated", "ringing", "in-progress", "completed"]
    assert legs[-1]["CallDuration"] == done["DialCallDuration"]
    assert {p["ParentCallSid"] for p in legs} == {call.sid}
    assert call.operator_transcript[1][1] == "Chiamata dal numero verde, premi 1 per accettare."
    assert call.said() == "Ti passo un operatore.\nEsito completed."
    assert call.transcript[1] == ("dial", ["+390612345678"])


@pytest.mark.parametrize("whisper_keys", [("2",), ()])
def test_a_callee_hanging_up_in_the_whisper_is_no_answer(whisper_keys):
    app = VoiceApp(DIAL_ROUTES)
    call = app.simulator(dial_outcomes=[DialOutcome(whisper_keys=whisper_keys)]).dial()
    [done] = app.params("/voice/dial-done")
    assert (done["DialCallStatus"], done["DialBridged"]) == ("no-answer", "false")
    assert app.params("/voice/leg")[-1]["CallStatus"] == "completed"
    assert call.said().endswith("Esito no-answer.")


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled"])
def test_an_unanswered_dial_reports_its_status_and_skips_the_whisper(status):
    app = VoiceApp(DIAL_ROUTES)
    app.simulator(dial_outcomes=[DialOutcome(status)]).dial()
    [done] = app.params("/voice/dial-done")
    assert (done["DialCallStatus"], done["DialCallDuration"]) == (status, "0")
    assert app.params("/voice/whisper") == []
    assert app.params("/voice/leg")[-1]["CallStatus"] == status


def test_a_dial_without_action_goes_on_with_the_next_verb():
    app = VoiceApp({"/voice/incoming": "<Dial>+390612345678</Dial>" + say("Operatori occupati.")})
    call = app.simulator(on_dial=lambda info: DialOutcome("busy")).dial()
    assert call.said() == "Operatori occupati."


def test_when_the_second_number_answers_the_first_is_canceled():
    numbers = "".join(
        f'<Number statusCallback="/voice/leg-{n}">+39061000000{n}</Number>' for n in (1, 2)
    )
    app = VoiceApp({"/voice/incoming": f'<Dial action="/voice/done">{numbers}</Dial>',
                    "/voice/done": "", "/voice/leg-1": "", "/voice/leg-2": ""})
    seen = []
    app.simulator(on_dial=lambda info: seen.append(info) or DialOutcome(answered_by_index=1)).dial()
    assert [t.address for t in seen[0].targets] == ["+390610000001", "+390610000002"]
    assert app.params("/voice/leg-1")[0]["CallStatus"] == "canceled"
    assert app.params("/voice/leg-2")[0]["CallStatus"] == "completed"
    assert app.params("/voice/done")[0]["DialCallSid"] == app.params("/voice/leg-2")[0]["CallSid"]


def test_a_dial_inside_a_whisper_is_12200_and_the_dial_fails():
    app = VoiceApp({**DIAL_ROUTES, "/voice/whisper": "<Dial>+39061</Dial>"})
    call = app.simulator().dial()
    assert [(e.code, e.url) for e in call.errors] == [(12200, "http://localhost/voice/whisper")]
    assert app.params("/voice/dial-done")[0]["DialCallStatus"] == "failed"


def test_time_limit_caps_the_conversation():
    app = VoiceApp({"/voice/incoming": '<Dial timeLimit="60" action="/voice/d">+39061</Dial>',
                    "/voice/d": ""})
    app.simulator(dial_outcomes=[DialOutcome(talk_seconds=600)]).dial()
    assert app.params("/voice/d")[0]["DialCallDuration"] == "60"


# --- Enqueue ---------------------------------------------------------------------------

QUEUE_ROUTES: dict[str, Handler] = {
    "/voice/incoming": '<Enqueue action="/voice/queue-done" waitUrl="/voice/wait">operatori'
    "</Enqueue>" + say("Dopo la coda."),
    "/voice/wait": lambda p: '<Gather numDigits="1" action="/voice/wait-key">'
    + say(f"Sei in coda da {p['QueueTime']} secondi. Premi 1 per un messaggio.")
    + '</Gather><Pause length="10"/>',
    "/voice/wait-key": lambda p: "<Leave/>" if p["Digits"] == "1" else "",
    "/voice/queue-done": lambda p: say(f"Uscito dalla coda: {p['QueueResult']}."),
}


def test_the_wait_document_is_requested_again_as_time_passes():
    routes = {**QUEUE_ROUTES, "/voice/wait": lambda p: say(f"Attesa {p['QueueTime']}.")
              + '<Pause length="10"/>'}
    app = VoiceApp(routes)
    call = app.simulator().dial()
    assert call.pending == "queue"
    first = app.params("/voice/wait")[0]
    queue_fields = ("QueuePosition", "QueueTime", "CurrentQueueSize", "MaxQueueSize")
    assert [first[name] for name in queue_fields] == ["1", "0", "1", "100"]
    assert re.fullmatch(r"QU[0-9a-f]{32}", first["QueueSid"])
    call.advance_queue(60)
    assert [p["QueueTime"] for p in app.params("/voice/wait")] == [
        "0", "11", "22", "33", "44", "55", "66"
    ]
    assert call.pending == "queue" and call.clock >= 60


def test_a_gather_in_the_wait_document_lets_the_caller_choose():
    app = VoiceApp(QUEUE_ROUTES)
    call = app.simulator().dial()
    assert call.pending == "gather"
    call.silence()
    assert call.pending == "queue"
    call.advance_queue(30)
    assert call.pending == "gather" and len(app.params("/voice/wait")) == 2


def test_an_operator_taking_the_call_posts_the_action_bridged():
    app = VoiceApp(QUEUE_ROUTES)
    call = app.simulator().dial()
    call.bridge_from_queue(talk_seconds=90)
    [done] = app.params("/voice/queue-done")
    assert done["QueueResult"] == "bridged" and int(done["QueueTime"]) >= 90
    assert call.heard_since_last_input() == "Uscito dalla coda: bridged."
    assert call.ended


def test_leave_from_the_wait_document_posts_the_action_leave():
    app = VoiceApp(QUEUE_ROUTES)
    call = app.simulator().dial()
    call.press("1")
    assert app.params("/voice/queue-done")[0]["QueueResult"] == "leave"
    assert "QueueTime" in app.params("/voice/wait-key")[0]
    assert call.said().endswith("Uscito dalla coda: leave.")


def test_without_an_action_leaving_the_queue_goes_on_after_the_enqueue():
    routes = {**QUEUE_ROUTES, "/voice/incoming": '<Enqueue waitUrl="/voice/wait">operatori'
              "</Enqueue>" + say("Dopo la coda.")}
    app = VoiceApp(routes)
    call = app.simulator().dial(script=[press("1")])
    assert call.said().endswith("Dopo la coda.")


def test_hanging_up_in_the_queue_posts_hangup_and_plays_nothing():
    app = VoiceApp(QUEUE_ROUTES)
    call = app.simulator().dial()
    call.hang_up()
    assert app.params("/voice/queue-done")[0]["QueueResult"] == "hangup"
    assert "Uscito" not in call.said() and call.status == "completed"


def test_a_redirect_in_the_wait_document_leaves_the_queue():
    routes = {**QUEUE_ROUTES, "/voice/wait": "<Redirect>/voice/voicemail</Redirect>",
              "/voice/voicemail": say("Segreteria.")}
    app = VoiceApp(routes)
    call = app.simulator().dial()
    assert app.params("/voice/queue-done")[0]["QueueResult"] == "redirected"
    assert call.said() == "Segreteria."


def test_a_wait_document_that_cannot_run_in_a_queue_ends_the_wait_with_error():
    app = VoiceApp({**QUEUE_ROUTES, "/voice/wait": "<Record/>"})
    call = app.simulator().dial()
    assert call.errors[0].code == 12200
    assert app.params("/voice/queue-done")[0]["QueueResult"] == "error"


def test_endless_hold_music_waits_without_new_requests():
    app = VoiceApp({**QUEUE_ROUTES, "/voice/wait": '<Play loop="0">https://cdn.example/m.mp3</Play>'})
    call = app.simulator().dial()
    call.advance_queue(300)
    assert len(app.params("/voice/wait")) == 1 and call.clock >= 300
    assert call.pending == "queue"
