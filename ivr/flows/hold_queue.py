"""Step: the hold queue's wait document, and the key that leaves it for the message flow.

Twilio re-requests the wait document each time it runs out. On every loop the app checks
whether this caller's turn has come (nobody who waited longer is still waiting for the free
operators) and, if so, reserves the operator and `<Leave>`s the queue: the `<Enqueue>` action
(in the operator step) then dials the reserved operator. Otherwise it says the position and an
estimated wait inside a Gather, so the caller can press 1 at any time to leave a message.
Past the configured longest wait, the caller leaves the queue for the message flow.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from agents.queue import (
    estimate_wait_seconds,
    free_operators,
    join_queue,
    leave_queue,
    mean_handle_seconds,
    position,
    queued_call,
    staffed_operators,
    waiting_callers,
)
from agents.reservation import ANY_TOPIC, reservation_token, reserve
from contact_center.config import RoutingSettings
from contact_center.prompts import HOME_LANGUAGE
from ivr.flows.context import CallContext

WAIT_PATH = "/voice/operator/queue/wait"
CHOICE_PATH = "/voice/operator/queue/choice"
QUEUE_NAME = "operators"
FIRST_ATTEMPT = 1
MESSAGE_KEY = "1"


def language_preference(ctx: CallContext) -> dict[str, Any]:
    """How to choose an operator for this caller's language: speakers of it first, then (configured) anyone."""
    if ctx.language == HOME_LANGUAGE:
        return {}
    return {"language": ctx.language, "any_language": ctx.runtime.settings.routing.language_fallback}


def forget_after(routing: RoutingSettings) -> timedelta:
    """How long a queue entry counts as waiting when Twilio never said how the wait ended."""
    return timedelta(seconds=routing.hold_queue_max_wait_seconds + routing.ring_margin_seconds)


def line_ahead(session: Session, routing: RoutingSettings, now: datetime) -> bool:
    """Whether callers already in line should get the free operators before a new caller does."""
    if routing.hold_queue_max_wait_seconds == 0:
        return False
    return waiting_callers(session, now, forget_after(routing)) >= free_operators(session)


def wait(ctx: CallContext) -> VoiceResponse:
    """One loop of the wait: leave to an operator, leave after the longest wait, or say where we stand."""
    response = VoiceResponse()
    if not ctx.call_sid:
        response.leave()
        return response
    with ctx.runtime.sessions() as session:
        place = _turn_or_place(ctx, session, ctx.runtime.clock())
        session.commit()
        if place is None:
            response.leave()
            return response
        gather = ctx.gather(response, num_digits=1, action=ctx.url(CHOICE_PATH),
                            timeout=ctx.runtime.settings.routing.hold_queue_pause_seconds)
        _say_place(ctx, gather, place, session)
    return response


def _turn_or_place(ctx: CallContext, session: Session, now: datetime) -> int | None:
    """None when the wait is over (an operator is reserved, or the longest wait passed); else the place."""
    routing = ctx.runtime.settings.routing
    entry = queued_call(session, ctx.call_sid) or join_queue(session, ctx.call_sid, ANY_TOPIC, now)
    if entry.outcome is not None:
        return None
    if now - entry.entered_at >= timedelta(seconds=routing.hold_queue_max_wait_seconds):
        leave_queue(session, ctx.call_sid, "timeout", now)
        return None
    place = position(session, entry, now, forget_after(routing))
    if place > free_operators(session):
        return place
    token = reservation_token(ctx.call_sid, FIRST_ATTEMPT)
    if reserve(session, token, ctx.call_sid, entry.topic, routing.presence_policy(), now,
               **language_preference(ctx)) is None:
        return place
    if leave_queue(session, ctx.call_sid, "connected", now) != "connected":
        session.rollback()
    return None


def _say_place(ctx: CallContext, gather: Gather, place: int, session: Session) -> None:
    """Position, estimated wait, and how to leave a message instead."""
    routing = ctx.runtime.settings.routing
    seconds = estimate_wait_seconds(place, staffed_operators(session), mean_handle_seconds(session),
                                    routing.wrap_up_seconds)
    minutes = max(math.ceil(seconds / 60), 1)
    prompts = ctx.speaker.prompts
    ahead = place - 1
    texts = [
        prompts("queue_first_in_line") if ahead == 0 else
        prompts("queue_one_ahead") if ahead == 1 else prompts("queue_many_ahead", ahead=ahead),
        prompts("queue_wait_one_minute") if minutes == 1 else prompts("queue_wait_minutes", minutes=minutes),
        prompts("queue_press_for_message"),
    ]
    ctx.speaker.say_text(gather, " ".join(texts))


def choose(ctx: CallContext) -> VoiceResponse:
    """1 (or "messaggio" said clearly) leaves the queue for the message flow; anything else goes back to waiting.

    An unsure spoken answer is not read back here: it would hold the caller's place hostage to a
    second question; the caller hears it was not understood and keeps their place.
    """
    response = VoiceResponse()
    answer = ctx.answer({MESSAGE_KEY: "message"})
    if answer.key == MESSAGE_KEY and not answer.confirm:
        with ctx.runtime.sessions.begin() as session:
            leave_queue(session, ctx.call_sid, "message", ctx.runtime.clock())
        response.leave()
        return response
    ctx.speaker.say(response, "speech_not_understood" if answer.spoken else "invalid_choice")
    return response


ROUTES = {WAIT_PATH: wait, CHOICE_PATH: choose}
