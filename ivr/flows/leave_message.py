"""Step: the reason-specific opening of the message flow."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from ivr.flows import callback_number
from ivr.flows.context import CallContext
from ivr.twiml import url

PATH = "/voice/message"


def start(ctx: CallContext) -> VoiceResponse:
    """Tell the caller why they are leaving a message, then ask for the callback number."""
    reason = ctx.message_reason
    response = VoiceResponse()
    ctx.speaker.say(response, f"message_reason_{reason}")
    response.redirect(url(callback_number.ASK_PATH, reason=reason))
    return response


ROUTES = {PATH: start}
