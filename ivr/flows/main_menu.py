"""Step 2: the main menu, inside a Gather so the caller can press a key at any time."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from ivr.flows import leave_message, operator, tracking
from ivr.flows.context import CallContext, invalid_arg
from ivr.twiml import url

MENU_PATH = "/voice/menu"
CHOICE_PATH = "/voice/menu/choice"

REPEAT_KEY = "9"
CHOICES = {
    "1": lambda: url(operator.PATH),
    "2": lambda: url(tracking.ASK_PATH),
    "3": lambda: url(leave_message.PATH, reason="chosen"),
}


def append_menu(ctx: CallContext, response: VoiceResponse, attempt: int, invalid: bool = False) -> None:
    """The menu prompt in a Gather, then a redirect that counts a silent attempt (`invalid` carried on)."""
    flag = invalid_arg(invalid)
    gather = response.gather(num_digits=1, action=url(CHOICE_PATH, attempt=attempt, invalid=flag),
                             timeout=ctx.runtime.settings.ivr.gather_timeout_seconds)
    ctx.speaker.say(gather, "main_menu")
    response.redirect(url(MENU_PATH, attempt=attempt + 1, invalid=flag))


def offer(ctx: CallContext) -> VoiceResponse:
    """Say the menu again, or after too many silent or wrong attempts say which and take a message."""
    attempt = ctx.arg_int("attempt", 1, low=1)
    invalid = ctx.wrong_key_pressed
    response = VoiceResponse()
    if attempt > ctx.runtime.settings.ivr.menu_attempts:
        ctx.speaker.say(response, "no_valid_choice" if invalid else "no_choice")
        response.redirect(url(leave_message.PATH, reason="no_choice"))
        return response
    append_menu(ctx, response, attempt, invalid)
    return response


def choose(ctx: CallContext) -> VoiceResponse:
    """Act on the key the caller pressed."""
    attempt = ctx.arg_int("attempt", 1, low=1)
    response = VoiceResponse()
    choice = CHOICES.get(ctx.digits)
    if choice is not None:
        response.redirect(choice())
    elif ctx.digits == REPEAT_KEY:
        response.redirect(url(MENU_PATH, attempt=attempt, invalid=invalid_arg(ctx.wrong_key_pressed)))
    else:
        if attempt < ctx.runtime.settings.ivr.menu_attempts:  # the last wrong key: `offer` says "no valid choice"
            ctx.speaker.say(response, "invalid_choice")
        response.redirect(url(MENU_PATH, attempt=attempt + 1, invalid=invalid_arg(True)))
    return response


ROUTES = {MENU_PATH: offer, CHOICE_PATH: choose}
