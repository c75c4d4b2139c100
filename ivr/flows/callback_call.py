"""Step: an operator calls a citizen back from the console ("Chiama").

The console asks Twilio to ring the operator's own phone with this step's URL. When the
operator answers, Twilio fetches it and the citizen is dialled with the line's number as caller
ID. The URL names the entry and the number, bound together by an HMAC keyed with the auth
token, so only the console can mint it; the entry must still be open and hold that number.
"""

from __future__ import annotations

import hmac

from twilio.twiml.voice_response import VoiceResponse

from contact_center.links import CALLBACK_CALL_PATH, callback_call_signature
from ivr.flows.context import CallContext
from ivr.twiml import url
from voicemail.numbers import spoken_last_digits
from voicemail.queue import awaits_call_to

CONNECT_PATH = CALLBACK_CALL_PATH
RESULT_PATH = "/voice/callback-call/result"
CITIZEN_RING_SECONDS = 30
MAX_ENTRY_ID = 2**62
DIAL_PROMPTS = {"busy": "callback_call_busy", "no-answer": "callback_call_no_answer",
                "failed": "callback_call_failed", "canceled": "callback_call_failed"}


def _is_callable(ctx: CallContext, entry_id: int, number: str) -> bool:
    """Whether the URL was minted by the console and the entry still waits for this number."""
    expected = callback_call_signature(ctx.runtime.auth_token, entry_id, number)
    if not number or not hmac.compare_digest(ctx.arg("sig"), expected):
        return False
    return awaits_call_to(ctx.session, entry_id, number)


def connect(ctx: CallContext) -> VoiceResponse:
    """The operator answered: tell them whom they are calling, then dial the citizen."""
    entry_id = ctx.arg_int("entry", 0, low=0, high=MAX_ENTRY_ID)
    number = ctx.arg("number")
    response = VoiceResponse()
    if not _is_callable(ctx, entry_id, number):
        ctx.speaker.say(response, "callback_call_unavailable")
        response.hangup()
        return response
    ctx.speaker.say(response, "callback_call_connecting", last_digits=spoken_last_digits(number))
    dial = response.dial(caller_id=ctx.runtime.settings.line.number, timeout=CITIZEN_RING_SECONDS,
                         action=url(RESULT_PATH, entry=entry_id), method="POST")
    dial.number(number)
    return response


def result(ctx: CallContext) -> VoiceResponse:
    """The citizen's leg ended: tell the operator how, and to record the outcome in the console."""
    response = VoiceResponse()
    prompt = DIAL_PROMPTS.get(ctx.params.get("DialCallStatus", ""), "callback_call_ended")
    ctx.speaker.say(response, prompt)
    ctx.speaker.say(response, "callback_call_record_outcome")
    response.hangup()
    return response


ROUTES = {CONNECT_PATH: connect, RESULT_PATH: result}
