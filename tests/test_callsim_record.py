"""The call simulator's <Record>, its recording callbacks, the status callback and scripts."""

from __future__ import annotations

import re
from typing import Any

import pytest

from callsim import SimulatorError, press, record
from tests.callsim_voice_app import MENU, VoiceApp


@pytest.fixture
def menu() -> VoiceApp:
    return VoiceApp(MENU)


def _at_record(app: VoiceApp, **options: Any):
    call = app.simulator(**options).dial()
    call.press("2")
    assert call.pending == "record"
    return call


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
