"""Twilio's Fallback URL and our own error answer: apologise and take a message.

Nothing here reads the database: it works while it is down. The recording is stored through
the durable writer, which journals it until the database is back.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from contact_center.durable_writes import OpenCallbackRequest
from contact_center.prompts import HOME_LANGUAGE
from ivr.flows import record_message
from ivr.flows.context import CallContext
from ivr.twiml import LANGUAGE_ARG, Speaker, url

PATH = "/voice/fallback"
RECORDED_PATH = "/voice/fallback/recorded"
FALLBACK_RECORD_SECONDS = 300


def apology(speaker: Speaker, language: str = HOME_LANGUAGE) -> VoiceResponse:
    """The document that apologises and records a message, in the call's language; needs nothing but the prompts."""
    response = VoiceResponse()
    speaker.say(response, "technical_problem")
    lang = language if language != HOME_LANGUAGE else None
    response.record(
        action=url(RECORDED_PATH, reason="error", **{LANGUAGE_ARG: lang}),
        method="POST",
        max_length=FALLBACK_RECORD_SECONDS,
        finish_on_key="#",
        play_beep=True,
        recording_status_callback=url(record_message.RECORDING_STATUS_PATH, reason="error"),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
    return response


def answer(ctx: CallContext) -> VoiceResponse:
    """Twilio's Fallback URL (our primary URL failed): apologise and take a message."""
    return apology(ctx.speaker, ctx.language)


def recorded(ctx: CallContext) -> VoiceResponse:
    """Keep the message with the caller ID (when usable) as callback number, then goodbye."""
    caller = ctx.caller
    ctx.write(OpenCallbackRequest(call_sid=ctx.call_sid,
                                  callback_number=caller.e164 if caller else None,
                                  number_source="caller_id" if caller else "none", reason="error",
                                  code_length=ctx.runtime.settings.tickets.code_length, language=ctx.language))
    return record_message.recorded(ctx)


ROUTES = {PATH: answer, RECORDED_PATH: recorded}
