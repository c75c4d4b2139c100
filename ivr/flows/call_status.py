"""Twilio's status callback: how each call ended."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from contact_center.durable_writes import RecordCallEnd
from ivr.flows.context import CallContext

PATH = "/voice/status"
MAX_CALL_SECONDS = 24 * 3600


def update(ctx: CallContext) -> VoiceResponse:
    """Store the final status and duration; repeated or late callbacks change nothing twice."""
    try:
        duration = min(max(int(ctx.params.get("CallDuration", "")), 0), MAX_CALL_SECONDS)
    except ValueError:
        duration = None
    ctx.write(RecordCallEnd(call_sid=ctx.call_sid,
                            status=ctx.params.get("CallStatus", "")[:16], duration_seconds=duration))
    return VoiceResponse()


ROUTES = {PATH: update}
