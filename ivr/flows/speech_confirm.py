"""Step: a spoken answer read back before it is acted on ("Hai detto 2 9 8 1, 9 7 0 8? Premi 1 per confermare").

A step that heard words with low confidence, or an ambiguous answer, renders `ask` with two
URLs of its own: `yes` (the answer accepted, carried in a `said` argument) and `no` (the question
again). The caller confirms with 1 or a yes, or goes back with 2, a no, or silence.
"""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from ivr.flows.context import CallContext

PATH = "/voice/speech/confirm"
WORDS = {"1": "yes", "2": "no"}
CONFIRM_KEY = "1"
RETRY_KEY = "2"


def ask(ctx: CallContext, response: VoiceResponse, heard: str, yes: str, no: str,
        prompt: str = "speech_confirm") -> VoiceResponse:
    """Read `heard` back in a Gather posting here; silence goes back to `no`."""
    gather = ctx.gather(response, num_digits=1, action=ctx.url(PATH, yes=yes, no=no),
                        timeout=ctx.runtime.settings.ivr.gather_timeout_seconds)
    ctx.speaker.say(gather, prompt, heard=heard, digits=heard)
    response.redirect(no)
    return response


def _own_step(target: str) -> bool:
    """Whether a URL is one of our own voice steps (nothing else is ever redirected to)."""
    return target.startswith("/voice/") and "//" not in target and "\\" not in target


def confirm(ctx: CallContext) -> VoiceResponse:
    """1 or a yes goes on with the answer; 2, a no or anything else asks again."""
    yes, no = ctx.arg("yes"), ctx.arg("no")
    if not (_own_step(yes) and _own_step(no)):
        raise ValueError(f"speech confirmation with foreign targets {yes!r}, {no!r}")
    response = VoiceResponse()
    answer = ctx.answer(WORDS)
    if answer.key == CONFIRM_KEY:
        response.redirect(yes)
    else:
        if answer.key != RETRY_KEY:
            ctx.say_not_valid(response, answer)
        response.redirect(no)
    return response


ROUTES = {PATH: confirm}
