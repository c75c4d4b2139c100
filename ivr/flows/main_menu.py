"""Step 2: the main menu, inside a Gather so the caller can press a key (or say what they want) at any time.

Key 8 (or "english" / "italiano") switches the call between Italian and English: the offer is said
in the other language's voice, right after the emergency notice and at the end of each repeated
menu, and the choice holds for the rest of the call.
"""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

from contact_center.durable_writes import RecordCallLanguage
from contact_center.prompts import HOME_LANGUAGE
from ivr.flows import leave_message, operator, speech_confirm, tracking
from ivr.flows.context import CallContext, invalid_arg
from ivr.twiml import LANGUAGE_ARG

MENU_PATH = "/voice/menu"
CHOICE_PATH = "/voice/menu/choice"
LANGUAGE_PATH = "/voice/menu/language"

REPEAT_KEY = "9"
LANGUAGE_KEY = "8"
CHOICES = {
    "1": lambda: (operator.PATH, {}),
    "2": lambda: (tracking.ASK_PATH, {}),
    "3": lambda: (leave_message.PATH, {"reason": "chosen"}),
}
WORDS = {"1": "operator", "2": "status", "3": "message", "9": "repeat", LANGUAGE_KEY: "language"}


def offer_language(ctx: CallContext, node: VoiceResponse | Gather) -> None:
    """"For English, press 8" in the English voice (to an English caller, the Italian offer)."""
    ctx.speaker_in(ctx.other_language).say(node, "language_offer")


def announce(ctx: CallContext, node: VoiceResponse, text: str) -> None:
    """A crisis announcement (written in the line's language) said to this caller."""
    if ctx.language == HOME_LANGUAGE:
        ctx.speaker.say(node, "announcement", text=text)
        return
    ctx.speaker.say(node, "announcement_other_language")
    ctx.speaker_in(HOME_LANGUAGE).say_text(node, text)


def append_menu(ctx: CallContext, response: VoiceResponse, attempt: int, invalid: bool = False, *,
                language_offer: bool = True) -> None:
    """The menu prompt in a Gather, then a redirect that counts a silent attempt (`invalid` carried on).

    The menu ends with the language offer (`language_offer` False: the call's first menu, whose
    offer came right after the emergency notice, and the menu right after a switch).
    """
    flag = invalid_arg(invalid)
    gather = ctx.gather(response, num_digits=1, action=ctx.url(CHOICE_PATH, attempt=attempt, invalid=flag),
                        timeout=ctx.runtime.settings.ivr.gather_timeout_seconds)
    ctx.speaker.say(gather, "main_menu")
    if ctx.speech_on:
        ctx.speaker.say(gather, "main_menu_speech")
    if language_offer:
        offer_language(ctx, gather)
    response.redirect(ctx.url(MENU_PATH, attempt=attempt + 1, invalid=flag))


def offer(ctx: CallContext) -> VoiceResponse:
    """Say the menu again, or after too many silent or wrong attempts say which and take a message."""
    attempt = ctx.arg_int("attempt", 1, low=1)
    invalid = ctx.wrong_key_pressed
    response = VoiceResponse()
    if attempt > ctx.runtime.settings.ivr.menu_attempts:
        ctx.speaker.say(response, "no_valid_choice" if invalid else "no_choice")
        response.redirect(ctx.url(leave_message.PATH, reason="no_choice"))
        return response
    append_menu(ctx, response, attempt, invalid)
    return response


def choose(ctx: CallContext) -> VoiceResponse:
    """Act on the key the caller pressed, or on what they said (read back first when unsure)."""
    attempt = ctx.arg_int("attempt", 1, low=1)
    flag = invalid_arg(ctx.wrong_key_pressed)
    response = VoiceResponse()
    answer = ctx.answer(WORDS)
    if answer.confirm:
        return speech_confirm.ask(ctx, response, answer.heard,
                                  yes=ctx.url(CHOICE_PATH, attempt=attempt, invalid=flag, said=answer.key),
                                  no=ctx.url(MENU_PATH, attempt=attempt, invalid=flag))
    choice = CHOICES.get(answer.key)
    if choice is not None:
        path, query = choice()
        response.redirect(ctx.url(path, **query))
    elif answer.key == REPEAT_KEY:
        response.redirect(ctx.url(MENU_PATH, attempt=attempt, invalid=flag))
    elif answer.key == LANGUAGE_KEY:
        response.redirect(ctx.url(LANGUAGE_PATH, **{LANGUAGE_ARG: ctx.other_language}))
    else:
        if attempt < ctx.runtime.settings.ivr.menu_attempts:  # the last wrong key: `offer` says "no valid choice"
            ctx.say_not_valid(response, answer)
        response.redirect(ctx.url(MENU_PATH, attempt=attempt + 1, invalid=invalid_arg(True)))
    return response


def switch_language(ctx: CallContext) -> VoiceResponse:
    """The caller chose the other language (our URL carries it): the emergency notice and the menu in it."""
    ctx.write(RecordCallLanguage(call_sid=ctx.call_sid, language=ctx.language))
    response = VoiceResponse()
    ctx.speaker.say(response, "not_emergency")
    append_menu(ctx, response, attempt=1, language_offer=False)
    return response


ROUTES = {MENU_PATH: offer, CHOICE_PATH: choose, LANGUAGE_PATH: switch_language}
