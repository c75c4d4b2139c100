"""Step: the number we call back — the caller ID confirmed, or one typed on the keypad.

As soon as a number is confirmed (or the attempts run out) the ticket and the callback entry
exist, so a caller who hangs up from then on has lost nothing. The tracking code is chosen
here, from the CallSid, and handed to the durable write: if the database is down the journal
keeps it, and the caller still hears the code that will be stored.
"""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

from contact_center.durable_writes import OpenCallbackRequest
from ivr.flows import record_message
from ivr.flows.context import CallContext
from ivr.speech import understand_digits
from tickets.status import Topic
from voicemail.numbers import (
    CallbackNumber,
    NumberRefused,
    parse_callback_number,
    spoken_digits,
    spoken_last_digits,
)
from voicemail.tracking import call_tracking_code

ASK_PATH = "/voice/message/number"
CONFIRM_CALLER_ID_PATH = "/voice/message/number/confirm"
TYPED_PATH = "/voice/message/number/typed"
CONFIRM_TYPED_PATH = "/voice/message/number/typed/confirm"

CONFIRM_KEY = "1"
CHANGE_KEY = "2"
KEYPAD = "keypad"
TYPED_NUMBER_TIMEOUT_SECONDS = 10
PLUS_ON_KEYPAD = "*"
YES_NO = {CONFIRM_KEY: "yes", CHANGE_KEY: "no"}


def ask(ctx: CallContext) -> VoiceResponse:
    """Offer the caller ID for confirmation, or ask for a number on the keypad."""
    reason = ctx.message_reason
    attempt = ctx.arg_int("attempt", 1, low=1)
    on_keypad = ctx.arg("mode") == KEYPAD or ctx.caller is None
    response = VoiceResponse()
    if attempt > ctx.runtime.settings.voicemail.number_attempts:
        return _give_up_asking(ctx, response, reason, on_keypad)
    if on_keypad:
        gather = ctx.gather(response, action=ctx.url(TYPED_PATH, reason=reason, topic=ctx.message_topic,
                                                     attempt=attempt),
                            finish_on_key="#", timeout=TYPED_NUMBER_TIMEOUT_SECONDS)
        _privacy_notice(ctx, gather, attempt)
        ctx.speaker.say(gather, "enter_callback_number")
        if ctx.speech_on:
            ctx.speaker.say(gather, "enter_callback_number_speech")
        response.redirect(ctx.url(ASK_PATH, reason=reason, topic=ctx.message_topic, attempt=attempt + 1, mode=KEYPAD))
    else:
        gather = ctx.gather(response, num_digits=1, timeout=ctx.runtime.settings.ivr.gather_timeout_seconds,
                            action=ctx.url(CONFIRM_CALLER_ID_PATH, reason=reason, topic=ctx.message_topic,
                                           attempt=attempt))
        _privacy_notice(ctx, gather, attempt)
        ctx.speaker.say(gather, "confirm_caller_id", last_digits=spoken_last_digits(ctx.caller.e164))
        response.redirect(ctx.url(ASK_PATH, reason=reason, topic=ctx.message_topic, attempt=attempt + 1))
    return response


def _privacy_notice(ctx: CallContext, gather: Gather, attempt: int) -> None:
    """The short privacy notice, heard once before the number is asked (a key skips it: barge-in)."""
    if attempt == 1 and ctx.arg("mode") != KEYPAD:
        site = ctx.runtime.settings.privacy.spoken_site
        ctx.speaker.say(gather, "privacy_notice", site=site.en if ctx.language == "en" else site.it)


def _give_up_asking(ctx: CallContext, response: VoiceResponse, reason: str, on_keypad: bool) -> VoiceResponse:
    """Out of attempts: a silent caller with a caller ID keeps it; otherwise no number."""
    if not on_keypad and ctx.caller is not None:
        return _confirmed(ctx, response, ctx.caller.e164, "caller_id")
    ctx.speaker.say(response, "no_callback_number")
    return _confirmed(ctx, response, None, "none")


def confirm_caller_id(ctx: CallContext) -> VoiceResponse:
    """1 (or a yes) keeps the caller ID, 2 (or a no) asks for another number."""
    reason = ctx.message_reason
    attempt = ctx.arg_int("attempt", 1, low=1)
    response = VoiceResponse()
    answer = ctx.answer(YES_NO)
    if answer.key == CONFIRM_KEY and ctx.caller is not None:
        return _confirmed(ctx, response, ctx.caller.e164, "caller_id")
    if answer.key == CHANGE_KEY:
        response.redirect(ctx.url(ASK_PATH, reason=reason, topic=ctx.message_topic, attempt=1, mode=KEYPAD))
    else:
        ctx.say_not_valid(response, answer)
        response.redirect(ctx.url(ASK_PATH, reason=reason, topic=ctx.message_topic, attempt=attempt + 1))
    return response


def _typed_number(ctx: CallContext, digits: str) -> CallbackNumber:
    """The number in typed digits (a leading * stands for +); NumberRefused says why not."""
    if digits.startswith(PLUS_ON_KEYPAD):
        digits = "+" + digits[len(PLUS_ON_KEYPAD):]
    return parse_callback_number(digits, own_numbers=ctx.runtime.own_numbers)


def _said_number(ctx: CallContext) -> str:
    """The digits of a number said aloud ("più tre nove ...": +39...), or '' when none were heard."""
    heard = understand_digits(ctx.said, ctx.speaker.prompts)
    return ("+" if heard.plus else "") + heard.digits if heard.digits else ""


def typed(ctx: CallContext) -> VoiceResponse:
    """Check the typed (or said) number; read it back for confirmation or say why it is refused."""
    reason = ctx.message_reason
    attempt = ctx.arg_int("attempt", 1, low=1)
    response = VoiceResponse()
    spoken = not ctx.digits and bool(ctx.said)
    digits = _said_number(ctx) if spoken else ctx.digits
    if spoken and not digits:
        ctx.speaker.say(response, "speech_not_understood")
        response.redirect(ctx.url(ASK_PATH, reason=reason, topic=ctx.message_topic, attempt=attempt + 1, mode=KEYPAD))
        return response
    try:
        number = _typed_number(ctx, digits)
    except NumberRefused as refusal:
        ctx.speaker.say(response, f"number_refused_{refusal.reason}")
        response.redirect(ctx.url(ASK_PATH, reason=reason, topic=ctx.message_topic, attempt=attempt + 1, mode=KEYPAD))
        return response
    gather = ctx.gather(response, num_digits=1, timeout=ctx.runtime.settings.ivr.gather_timeout_seconds,
                        action=ctx.url(CONFIRM_TYPED_PATH, reason=reason, topic=ctx.message_topic, attempt=attempt,
                                       number=number.e164))
    ctx.speaker.say(gather, "confirm_said_number" if spoken else "confirm_typed_number",
                    digits=spoken_digits(number.e164))
    response.redirect(ctx.url(ASK_PATH, reason=reason, topic=ctx.message_topic, attempt=attempt + 1, mode=KEYPAD))
    return response


def confirm_typed(ctx: CallContext) -> VoiceResponse:
    """1 (or a yes) keeps the typed number, anything else asks for it again."""
    reason = ctx.message_reason
    attempt = ctx.arg_int("attempt", 1, low=1)
    response = VoiceResponse()
    if ctx.answer(YES_NO).key == CONFIRM_KEY:
        try:
            number = _typed_number(ctx, ctx.arg("number"))
        except NumberRefused:
            number = None
        if number is not None:
            return _confirmed(ctx, response, number.e164, "keypad")
    response.redirect(ctx.url(ASK_PATH, reason=reason, topic=ctx.message_topic, attempt=attempt + 1, mode=KEYPAD))
    return response


def _confirmed(ctx: CallContext, response: VoiceResponse, number: str | None, source: str) -> VoiceResponse:
    """Store the ticket and the callback entry now, then go on to the recording."""
    code_length = ctx.runtime.settings.tickets.code_length
    code = call_tracking_code(ctx.call_sid, ctx.runtime.auth_token, code_length)
    ctx.write(OpenCallbackRequest(call_sid=ctx.call_sid, callback_number=number, number_source=source,
                                  reason=ctx.message_reason, tracking_code=code, code_length=code_length,
                                  language=ctx.language, topic=ctx.message_topic or Topic.OTHER.value))
    response.redirect(ctx.url(record_message.START_PATH, reason=ctx.message_reason, code=code, number=number))
    return response


ROUTES = {
    ASK_PATH: ask,
    CONFIRM_CALLER_ID_PATH: confirm_caller_id,
    TYPED_PATH: typed,
    CONFIRM_TYPED_PATH: confirm_typed,
}
