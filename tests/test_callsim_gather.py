"""The call simulator's <Gather>: prompts, keys, actions and the standard request parameters."""

from __future__ import annotations

import re

import pytest

from tests.callsim_voice_app import MENU, VoiceApp, say


@pytest.fixture
def menu() -> VoiceApp:
    return VoiceApp(MENU)


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
