"""The call simulator's errors as Twilio reports them, odd verbs (Reject, Sms), the clock, and signatures."""

from __future__ import annotations

import itertools

import pytest
from flask import Response

from callsim import STOCK_ERROR_MESSAGE, CallLoopError, SimulatorError, hang_up, press
from tests.callsim_voice_app import MENU, VoiceApp, say


@pytest.fixture
def menu() -> VoiceApp:
    return VoiceApp(MENU)


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
