"""Step: the reason-specific opening of the message flow.

For "closed" the opening-hours step has already said why the line is closed, when it reopens
and its weekly hours (`opening_hours.closed_answer`); here the caller only hears the invitation.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from ivr.flows import callback_number
from ivr.flows.context import CallContext

PATH = "/voice/message"
INVITED_REASONS = frozenset({"all_busy", "no_answer"})


def start(ctx: CallContext) -> VoiceResponse:
    """Tell the caller why they are leaving a message, then ask for the callback number."""
    reason = ctx.message_reason
    response = VoiceResponse()
    ctx.speaker.say(response, f"message_reason_{reason}")
    if reason in INVITED_REASONS:
        ctx.speaker.say(response, "message_invitation")
    response.redirect(ctx.url(callback_number.ASK_PATH, reason=reason, topic=ctx.message_topic))
    return response


ROUTES = {PATH: start}
