"""Step: an operator calls a citizen back from the console ("Chiama").

The console asks Twilio to ring the operator's own phone with this step's URL. When the
operator answers, Twilio fetches it and the citizen is dialled with the line's number as caller
ID. The URL names the entry and the number, bound together by an HMAC keyed with the auth
token, so only the console can mint it; the entry must still be open and hold that number.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable

from twilio.twiml.voice_response import VoiceResponse

from contact_center.durable import DATABASE_DOWN
from contact_center.links import CALLBACK_CALL_PATH, CALLBACK_CALL_STATUS_PATH, callback_call_signature
from ivr.flows.context import CallContext
from ivr.twiml import url
from voicemail.calls import citizen_leg_ended, operator_answered, operator_leg_ended
from voicemail.numbers import spoken_last_digits
from voicemail.queue import awaits_call_to

log = logging.getLogger(__name__)
CONNECT_PATH = CALLBACK_CALL_PATH
RESULT_PATH = "/voice/callback-call/result"
STATUS_PATH = CALLBACK_CALL_STATUS_PATH
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
    _track(ctx, operator_answered, entry_id)
    ctx.speaker.say(response, "callback_call_connecting", last_digits=spoken_last_digits(number))
    dial = response.dial(caller_id=ctx.runtime.settings.line.number, timeout=CITIZEN_RING_SECONDS,
                         action=url(RESULT_PATH, entry=entry_id), method="POST")
    dial.number(number)
    return response


def result(ctx: CallContext) -> VoiceResponse:
    """The citizen's leg ended: tell the operator how, and to record the outcome in the console."""
    response = VoiceResponse()
    _track(ctx, citizen_leg_ended, ctx.arg_int("entry", 0, low=0, high=MAX_ENTRY_ID),
           ctx.params.get("DialCallStatus", "")[:32])
    prompt = DIAL_PROMPTS.get(ctx.params.get("DialCallStatus", ""), "callback_call_ended")
    ctx.speaker.say(response, prompt)
    ctx.speaker.say(response, "callback_call_record_outcome")
    response.hangup()
    return response


def status(ctx: CallContext) -> VoiceResponse:
    """The operator's call ended (Twilio's status callback): the console shows how."""
    _track(ctx, operator_leg_ended, ctx.arg_int("entry", 0, low=0, high=MAX_ENTRY_ID),
           ctx.params.get("CallStatus", "")[:32])
    return VoiceResponse()


def _track(ctx: CallContext, step: Callable[..., bool], entry_id: int, *values: str) -> None:
    """Move the entry's call state on; the call goes on even if the database cannot be written."""
    if not entry_id or not ctx.call_sid:
        return
    try:
        with ctx.runtime.sessions.begin() as session:
            step(session, entry_id, ctx.call_sid, *values, ctx.runtime.clock())
    except DATABASE_DOWN:
        log.warning("could not record the state of the callback call of entry %d", entry_id)


ROUTES = {CONNECT_PATH: connect, RESULT_PATH: result, STATUS_PATH: status}
