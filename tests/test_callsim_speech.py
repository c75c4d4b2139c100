"""The call simulator's speech: words at a <Gather> that takes them, as Twilio posts them."""

from __future__ import annotations

import pytest

from callsim import SimulatorError
from tests.callsim_voice_app import MENU, VoiceApp, say

SPEECH_MENU = {
    "/voice/incoming": (
        '<Gather input="dtmf speech" language="it-IT" hints="operatore, messaggio" numDigits="1" action="menu">'
        + say("Premi 1 o dì operatore.") + "</Gather>" + say("Non abbiamo ricevuto una scelta.")
    ),
    "/voice/menu": say("Ricevuto."),
}


def test_words_post_speech_result_and_confidence_to_the_action() -> None:
    app = VoiceApp(SPEECH_MENU)
    call = app.simulator().dial()
    before = call.clock
    call.say("operatore", confidence=0.87)
    [params] = app.params("/voice/menu")
    assert (params["SpeechResult"], params["Confidence"]) == ("operatore", "0.87")
    assert "Digits" not in params
    assert call.heard_since_last_input() == "Ricevuto."
    assert ("spoken", "operatore") in call.transcript
    assert call.clock - before >= 1.0 + 1.0  # the words, then the silence that ends them ("auto")


def test_keys_still_work_at_a_gather_that_takes_speech() -> None:
    app = VoiceApp(SPEECH_MENU)
    app.simulator().dial().press("1")
    assert app.params("/voice/menu")[0]["Digits"] == "1"
    assert "SpeechResult" not in app.params("/voice/menu")[0]


def test_words_are_refused_where_the_gather_takes_keys_only() -> None:
    app = VoiceApp(MENU)
    call = app.simulator().dial()
    with pytest.raises(SimulatorError, match='does not accept speech \\(input="dtmf"\\)'):
        call.say("operatore")
    assert call.pending == "gather"  # nothing happened: the caller may still press a key
    with pytest.raises(ValueError):
        call.say("   ")
    with pytest.raises(ValueError):
        call.say("operatore", confidence=1.5)


def test_auto_speech_timeout_with_a_speech_model_is_warning_13335() -> None:
    app = VoiceApp({"/voice/incoming": (
        '<Gather input="speech" speechTimeout="auto" speechModel="phone_call" action="menu">'
        + say("Dimmi.") + "</Gather>"), "/voice/menu": say("Ricevuto.")})
    call = app.simulator().dial()
    assert [(error.code, error.warning) for error in call.errors] == [(13335, True)]
    call.say("ciao", confidence=1.0)
    assert app.params("/voice/menu")[0]["Confidence"] == "1"


def test_heard_by_tells_when_a_sentence_ended() -> None:
    call = VoiceApp(SPEECH_MENU).simulator().dial()
    call.press("1")
    assert call.heard_by("Premi 1") == pytest.approx(2.0)  # five words at 2.5 a second
    assert call.heard_by("Ricevuto") > call.heard_by("Premi 1")
    with pytest.raises(SimulatorError):
        call.heard_by("mai detto")
