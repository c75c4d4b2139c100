"""The call simulator's <Dial>: legs, whispers, bridges and their callbacks."""

from __future__ import annotations

import pytest

from callsim import DialOutcome
from tests.callsim_voice_app import Handler, VoiceApp, say

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
