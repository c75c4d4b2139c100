"""Step 2: the main menu, inside a Gather so the caller can press a key at any time."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from ivr.flows import leave_message, operator, tracking
from ivr.flows.context import CallContext
from ivr.twiml import url

MENU_PATH = "/voice/menu"
CHOICE_PATH = "/voice/menu/choice"

REPEAT_KEY = "9"
CHOICES = {
    "1": lambda: url(operator.PATH),
    "2": lambda: url(tracking.ASK_PATH),
    "3": lambda: url(leave_message.PATH, reason="chosen"),
}


def append_menu(ctx: CallContext, response: VoiceResponse, attempt: int) -> None:
    """The menu prompt in a Gather, then a redirect that counts a silent attempt."""
    gather = response.gather(num_digits=1, action=url(CHOICE_PATH, attempt=attempt),
                             timeout=ctx.runtime.settings.ivr.gather_timeout_seconds)
    ctx.speaker.say(gather, "main_menu")
    response.redirect(url(MENU_PATH, attempt=attempt + 1))


def offer(ctx: CallContext) -> VoiceResponse:
    """Say the menu again, or after too many silent attempts take a message."""
    attempt = ctx.arg_int("attempt", 1, low=1)
    response = VoiceResponse()
    if attempt > ctx.runtime.settings.ivr.menu_attempts:
        ctx.speaker.say(response, "no_choice")
        response.redirect(url(leave_message.PATH, reason="no_choice"))
        return response
    append_menu(ctx, response, attempt)
    return response


def choose(ctx: CallContext) -> VoiceResponse:
    """Act on the key the caller pressed."""
    attempt = ctx.arg_int("attempt", 1, low=1)
    response = VoiceResponse()
    choice = CHOICES.get(ctx.digits)
    if choice is not None:
        response.redirect(choice())
    elif ctx.digits == REPEAT_KEY:
        response.redirect(url(MENU_PATH, attempt=attempt))
    else:
        ctx.speaker.say(response, "invalid_choice")
        response.redirect(url(MENU_PATH, attempt=attempt + 1))
    return response


ROUTES = {MENU_PATH: offer, CHOICE_PATH: choose}
