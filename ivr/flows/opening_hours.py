"""Opening hours in a call: the closed line's answer to a caller who asks for an operator; announcements.

Not a step of its own (no ROUTES): `operator.connect` asks `closed_answer` first, and the
welcome step plays `announcements` after the greeting.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from contact_center.schedule import sentences_at, speech_templates
from ivr.flows import leave_message
from ivr.flows.context import CallContext

CLOSED_REASON = "closed"


def closed_answer(ctx: CallContext) -> VoiceResponse | None:
    """While the line is closed: why, when it reopens and the weekly hours, then a message; None when open."""
    now = ctx.runtime.clock()
    timetable = ctx.runtime.schedule.for_call(now)
    state = timetable.state_at(now)
    if state.is_open:
        return None
    sentences = sentences_at(timetable, state, now, speech_templates(ctx.speaker.prompts))
    response = VoiceResponse()
    ctx.speaker.say(response, "hours_closed", state=sentences.state, reopening=sentences.reopening,
                    schedule=sentences.schedule)
    response.redirect(ctx.url(leave_message.PATH, reason=CLOSED_REASON))
    return response


def announcements(ctx: CallContext) -> tuple[str, ...]:
    """The announcements of the extensions in force now, to play to every caller."""
    now = ctx.runtime.clock()
    return ctx.runtime.schedule.for_call(now).active_announcements(now)
