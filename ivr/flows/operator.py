"""Step: the caller asked for an operator."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from ivr.flows import leave_message, opening_hours
from ivr.flows.context import CallContext
from ivr.twiml import url

PATH = "/voice/operator"


def connect(ctx: CallContext) -> VoiceResponse:
    """While the line is closed say why and take a message; no roster exists yet, so every operator is busy."""
    closed = opening_hours.closed_answer(ctx)
    if closed is not None:
        return closed
    response = VoiceResponse()
    response.redirect(url(leave_message.PATH, reason="all_busy"))
    return response


ROUTES = {PATH: connect}
