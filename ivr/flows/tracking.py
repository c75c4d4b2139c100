"""Step: the caller types a tracking code and hears the request's status (main menu, key 2).

A wrong check digit is caught before any lookup; wrong, unknown and missing codes count as
failed attempts in the call (`failures` in the action URLs), and after `tickets.call_attempts`
of them, or when the failed-lookup limits refuse the caller, an operator or a message is offered.
Only the code, the status and the date of its last change are ever read out.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from twilio.twiml.voice_response import Gather, VoiceResponse

from contact_center.durable_writes import RecordCallOutcome
from ivr.flows import leave_message, operator, speech_confirm
from ivr.flows.context import CallContext, invalid_arg
from ivr.speech import Answer, understand_digits
from tickets.codes import format_code_for_speech, is_valid_code
from tickets.lookups import (
    LookupResult,
    Requester,
    StatusView,
    check_limits,
    look_up,
    lookup_session,
    status_view,
)
from tickets.vocabulary import spoken_past_day, status_sentence

LOG = logging.getLogger(__name__)
ASK_PATH = "/voice/tracking"
CODE_PATH = "/voice/tracking/code"
RESULT_PATH = "/voice/tracking/result"
OPTIONS_PATH = "/voice/tracking/options"
NEXT_PATH = "/voice/tracking/next"

ANOTHER_CODE_KEY = "1"
OPERATOR_KEY = "2"
MESSAGE_KEY = "3"
REPEAT_KEY = "9"
CODE_TIMEOUT_SECONDS = 10
MAX_SAID_DIGITS = 32
RESULT_WORDS = {ANOTHER_CODE_KEY: "another_code", OPERATOR_KEY: "operator", MESSAGE_KEY: "message",
                REPEAT_KEY: "repeat"}
ALTERNATIVE_WORDS = {OPERATOR_KEY: "operator", MESSAGE_KEY: "message", REPEAT_KEY: "repeat"}


def _requester(ctx: CallContext) -> Requester:
    """The caller, as the failed-lookup limits count them."""
    return Requester.phone(ctx.caller.e164 if ctx.caller else None, ctx.runtime.secret_key,
                           ctx.call_sid)


def ask(ctx: CallContext) -> VoiceResponse:
    """Ask for the code, unless the call has used its attempts or the caller is refused."""
    failures = ctx.arg_int("failures", 0)
    response = VoiceResponse()
    if failures >= ctx.runtime.settings.tickets.call_attempts:
        ctx.speaker.say(response, "tracking_not_found")
        return _offer_alternatives(ctx, response, attempt=1)
    with lookup_session(ctx.runtime.sessions) as session:
        refusal = check_limits(session, _requester(ctx).key, ctx.runtime.settings.tickets.lookup_limits(),
                               now=ctx.runtime.clock())
    if refusal is not None:
        ctx.speaker.say(response, "tracking_rate_limited")
        return _offer_alternatives(ctx, response, attempt=1)
    gather = ctx.gather(response, action=ctx.url(CODE_PATH, failures=failures), finish_on_key="#",
                        timeout=CODE_TIMEOUT_SECONDS)
    ctx.speaker.say(gather, "tracking_enter_code", length=str(ctx.runtime.settings.tickets.code_length))
    if ctx.speech_on:
        ctx.speaker.say(gather, "tracking_enter_code_speech")
    response.redirect(ctx.url(CODE_PATH, failures=failures))
    return response


def _confirmed_code(ctx: CallContext) -> str:
    """A code said aloud that the caller confirmed (our own URL's `said`), digits only."""
    said = ctx.arg("said")
    return said if said.isdigit() and len(said) <= MAX_SAID_DIGITS else ""


def check(ctx: CallContext) -> VoiceResponse:
    """Look the typed (or said) code up and say the status, or why not and ask again.

    A code said with low confidence, or among other words, is read back before the lookup.
    """
    failures = ctx.arg_int("failures", 0)
    response = VoiceResponse()
    code = ctx.digits or _confirmed_code(ctx)
    if not code and ctx.said:
        heard = understand_digits(ctx.said, ctx.speaker.prompts)
        digits = heard.digits[:MAX_SAID_DIGITS]
        if not digits:
            ctx.speaker.say(response, "speech_not_understood")
            response.redirect(ctx.url(ASK_PATH, failures=failures + 1))
            return response
        if not heard.clean or ctx.confidence < ctx.runtime.settings.speech.confidence_threshold:
            return speech_confirm.ask(ctx, response, format_code_for_speech(digits),
                                      yes=ctx.url(CODE_PATH, failures=failures, said=digits),
                                      no=ctx.url(ASK_PATH, failures=failures))
        code = digits
    if not code:
        ctx.speaker.say(response, "tracking_no_code")
        response.redirect(ctx.url(ASK_PATH, failures=failures + 1))
        return response
    settings = ctx.runtime.settings.tickets
    with lookup_session(ctx.runtime.sessions) as session:
        result = look_up(session, code, _requester(ctx), settings.lookup_limits(), settings.accepted_code_lengths,
                         now=ctx.runtime.clock())
    if result.alert:
        # Everybody's failures past the alert figure: logged and slowed down like the web, never refused.
        LOG.warning("tracking-code lookups: failures over the global alert figure", extra={"channel": "ivr"})
        if settings.alert_delay_ms > 0:  # the web's delay, in whole seconds of silence before the answer
            response.pause(length=-(-settings.alert_delay_ms // 1000))
    return _answer(ctx, response, result, failures)


def _answer(ctx: CallContext, response: VoiceResponse, result: LookupResult, failures: int) -> VoiceResponse:
    """The spoken outcome of a lookup."""
    if result.view is not None:
        ctx.write(RecordCallOutcome(call_sid=ctx.call_sid, outcome="self_service"))
        _offer_options(ctx, response, result.view, failures, attempt=1)
        return response
    if result.outcome == "refused":
        ctx.speaker.say(response, "tracking_rate_limited")
        return _offer_alternatives(ctx, response, attempt=1)
    ctx.speaker.say(response, "tracking_invalid_code" if result.outcome == "invalid" else "tracking_unknown_code")
    response.redirect(ctx.url(ASK_PATH, failures=failures + 1))
    return response


def repeat_result(ctx: CallContext) -> VoiceResponse:
    """Say again the status of the code found earlier in this call."""
    code = ctx.arg("code")
    failures = ctx.arg_int("failures", 0)
    response = VoiceResponse()
    view = None
    if is_valid_code(code, ctx.runtime.settings.tickets.accepted_code_lengths):
        with lookup_session(ctx.runtime.sessions) as session:
            view = status_view(session, code)
    if view is None:
        ctx.speaker.say(response, "tracking_unknown_code")
        response.redirect(ctx.url(ASK_PATH, failures=failures))
        return response
    _offer_options(ctx, response, view, failures, attempt=1)
    return response


def _say_status(ctx: CallContext, node: Gather, view: StatusView) -> None:
    """The code digit by digit, the status sentence and the day of the last change."""
    zone = ZoneInfo(ctx.runtime.settings.line.timezone)
    today = ctx.runtime.clock().astimezone(zone).date()
    words = ctx.speaker.prompts.group("tickets.")
    ctx.speaker.say(node, "tracking_read_back", code=format_code_for_speech(view.code))
    ctx.speaker.say_text(node, status_sentence(view.status, view.forwarded_to, words))
    when = spoken_past_day(view.updated_at.astimezone(zone).date(), today, words, ctx.speaker.prompts.group("hours."))
    ctx.speaker.say(node, "tracking_updated", when=when)


def _offer_options(ctx: CallContext, response: VoiceResponse, view: StatusView | None, failures: int,
                   attempt: int, code: str = "") -> None:
    """After a result (said first when given): another code, an operator, a message, repeat."""
    code = view.code if view is not None else code
    gather = ctx.gather(response, num_digits=1, timeout=ctx.runtime.settings.ivr.gather_timeout_seconds,
                        action=ctx.url(NEXT_PATH, code=code, failures=failures, attempt=attempt))
    if view is not None:
        _say_status(ctx, gather, view)
    ctx.speaker.say(gather, "tracking_result_menu")
    response.redirect(ctx.url(OPTIONS_PATH, code=code, failures=failures, attempt=attempt + 1))


def _offer_alternatives(ctx: CallContext, response: VoiceResponse, attempt: int,
                        invalid: bool = False) -> VoiceResponse:
    """Instead of another code: an operator or a message (`invalid`: a wrong key was pressed before)."""
    gather = ctx.gather(response, num_digits=1, timeout=ctx.runtime.settings.ivr.gather_timeout_seconds,
                        action=ctx.url(NEXT_PATH, attempt=attempt, invalid=invalid_arg(invalid)))
    ctx.speaker.say(gather, "tracking_alternatives_menu")
    response.redirect(ctx.url(OPTIONS_PATH, attempt=attempt + 1, invalid=invalid_arg(invalid)))
    return response


def options(ctx: CallContext) -> VoiceResponse:
    """The options again; when they run out, goodbye after a result, else say why and take a message."""
    code = ctx.arg("code")
    failures = ctx.arg_int("failures", 0)
    attempt = ctx.arg_int("attempt", 1, low=1)
    response = VoiceResponse()
    if attempt > ctx.runtime.settings.ivr.menu_attempts:
        if code:
            ctx.speaker.say(response, "goodbye")
            response.hangup()
        else:
            ctx.speaker.say(response, "no_valid_choice" if ctx.wrong_key_pressed else "no_choice")
            response.redirect(ctx.url(leave_message.PATH, reason="no_choice"))
        return response
    if code:
        _offer_options(ctx, response, None, failures, attempt, code=code)
        return response
    return _offer_alternatives(ctx, response, attempt, ctx.wrong_key_pressed)


def _confirm_choice(ctx: CallContext, response: VoiceResponse, answer: Answer, code: str, failures: int,
                    attempt: int) -> VoiceResponse:
    """Read an unsure spoken choice back: yes acts on it, no offers the options again."""
    flag = invalid_arg(ctx.wrong_key_pressed)
    query = {"code": code or None, "failures": failures, "attempt": attempt, "invalid": flag}
    return speech_confirm.ask(ctx, response, answer.heard, yes=ctx.url(NEXT_PATH, **query, said=answer.key),
                              no=ctx.url(OPTIONS_PATH, **query))


def choose(ctx: CallContext) -> VoiceResponse:
    """Act on the key pressed (or the choice said) after a result or in the alternatives."""
    code = ctx.arg("code")
    failures = ctx.arg_int("failures", 0)
    attempt = ctx.arg_int("attempt", 1, low=1)
    response = VoiceResponse()
    answer = ctx.answer(RESULT_WORDS if code else ALTERNATIVE_WORDS)
    if answer.confirm:
        return _confirm_choice(ctx, response, answer, code, failures, attempt)
    if answer.key == OPERATOR_KEY:
        response.redirect(ctx.url(operator.PATH))
    elif answer.key == MESSAGE_KEY:
        response.redirect(ctx.url(leave_message.PATH, reason="chosen"))
    elif answer.key == ANOTHER_CODE_KEY and code:
        response.redirect(ctx.url(ASK_PATH, failures=failures))
    elif answer.key == REPEAT_KEY and code:
        response.redirect(ctx.url(RESULT_PATH, code=code, failures=failures))
    elif answer.key == REPEAT_KEY:
        response.redirect(ctx.url(OPTIONS_PATH, attempt=attempt, invalid=invalid_arg(ctx.wrong_key_pressed)))
    elif code:
        ctx.say_not_valid(response, answer)
        response.redirect(ctx.url(OPTIONS_PATH, code=code, failures=failures, attempt=attempt + 1))
    else:
        if attempt < ctx.runtime.settings.ivr.menu_attempts:  # the last wrong key: `options` says "no valid choice"
            ctx.say_not_valid(response, answer)
        response.redirect(ctx.url(OPTIONS_PATH, failures=failures, attempt=attempt + 1, invalid=invalid_arg(True)))
    return response


ROUTES = {
    ASK_PATH: ask,
    CODE_PATH: check,
    RESULT_PATH: repeat_result,
    OPTIONS_PATH: options,
    NEXT_PATH: choose,
}
