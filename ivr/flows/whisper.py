"""Step: the whisper the operator hears on answering, before the caller is bridged.

It tells the topic and the caller's last digits (or that the number is withheld), and the caller's
language when it is not the line's; it is said in the line's language. The request itself proves
the operator answered, so their presence goes on call even if the leg's status callback is lost.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from agents.transitions import mark_answered
from contact_center.prompts import HOME_LANGUAGE, LANGUAGES
from ivr.flows.agent_leg_status import update_presence
from ivr.flows.context import CallContext
from tickets.status import Topic, parse_topic
from tickets.vocabulary import label
from voicemail.numbers import spoken_last_digits

PATH = "/voice/operator/whisper"
SHOWN_DIGITS = 4


def _topic(ctx: CallContext) -> Topic:
    try:
        return parse_topic(ctx.arg("topic", Topic.OTHER.value))
    except ValueError:
        return Topic.OTHER


def announce(ctx: CallContext) -> VoiceResponse:
    """Say the topic and the caller's last digits to the operator."""
    if ctx.arg("token"):
        update_presence(ctx, mark_answered, ctx.arg("token"), ctx.runtime.clock())
    digits = "".join(character for character in ctx.arg("caller") if character.isdigit())[-SHOWN_DIGITS:]
    response = VoiceResponse()
    topic = label(_topic(ctx), ctx.speaker.prompts.group("tickets."))
    if len(digits) == SHOWN_DIGITS:
        ctx.speaker.say(response, "whisper_caller_number", topic=topic,
                        last_digits=spoken_last_digits(digits, SHOWN_DIGITS))
    else:
        ctx.speaker.say(response, "whisper_caller_withheld", topic=topic)
    language = ctx.arg("language")
    if language in LANGUAGES and language != HOME_LANGUAGE:
        ctx.speaker.say(response, "whisper_caller_language", language=ctx.speaker.prompts(f"language_name.{language}"))
    return response


ROUTES = {PATH: announce}
