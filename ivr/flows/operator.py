"""Step: the caller asked for an operator."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from ivr.flows import leave_message
from ivr.flows.context import CallContext
from ivr.twiml import url

PATH = "/voice/operator"


def connect(ctx: CallContext) -> VoiceResponse:
    """No operator roster exists yet: every operator counts as busy, so take a message."""
    response = VoiceResponse()
    response.redirect(url(leave_message.PATH, reason="all_busy"))
    return response


ROUTES = {PATH: connect}
