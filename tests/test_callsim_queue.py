"""The call simulator's <Enqueue>: the wait documents, leaving, bridging and hanging up."""

from __future__ import annotations

import re

from callsim import press
from tests.callsim_voice_app import Handler, VoiceApp, say

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
