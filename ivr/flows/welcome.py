"""Step 1: greet the caller, say this is not an emergency number, offer the other language, any crisis
announcement, then the main menu. Callers from abroad (by their number's country) start in English."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from contact_center.durable_writes import RecordCallStart
from ivr.flows import main_menu, opening_hours
from ivr.flows.context import CallContext

PATH = "/voice/incoming"


def answer(ctx: CallContext) -> VoiceResponse:
    """The first document of every call."""
    ctx.write(RecordCallStart(call_sid=ctx.call_sid,
                              caller_number=ctx.caller.e164 if ctx.caller else None,
                              line_number=ctx.params.get("To") or None, language=ctx.language))
    response = VoiceResponse()
    ctx.speaker.say(response, "greeting")
    ctx.speaker.say(response, "not_emergency")
    main_menu.offer_language(ctx, response)
    for text in opening_hours.announcements(ctx):
        main_menu.announce(ctx, response, text)
    main_menu.append_menu(ctx, response, attempt=1, language_offer=False)
    return response


ROUTES = {PATH: answer}
