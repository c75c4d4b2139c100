"""Step: the caller asked for an operator — the topic, then free operators rung in turn.

`connect` is the step's entry (the main menu's key 1). It asks the topic when the topic menu is
on, reserves the longest-idle free operator for it and `<Dial>`s them; the Dial's action
(`dial_result`) ends the call after a conversation or, after a miss, rings the next free
operator, up to the configured tries, then takes a message ("nessun operatore ha risposto").
Nobody free: the hold queue when it is on, else the message flow ("tutti gli operatori sono
occupati"). The queue's `<Enqueue>` action (`queue_result`) dials the operator the wait
document reserved, or takes a message. The Dial, its action and the Enqueue action live
together because each may lead to the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from agents.queue import join_queue, leave_queue, queued_call
from agents.reservation import Reservation, find_reservation, reservation_token, reserve
from agents.transitions import finish_call, release, release_missed
from contact_center.durable_writes import RecordCallOutcome
from contact_center.prompts import HOME_LANGUAGE
from ivr.flows import agent_leg_status, hold_queue, leave_message, opening_hours, speech_confirm, topic_menu, whisper
from ivr.flows.agent_leg_status import update_presence
from ivr.flows.context import CallContext
from ivr.twiml import url
from tickets.status import Topic, parse_topic

PATH = "/voice/operator"
DIAL_RESULT_PATH = "/voice/operator/dial-result"
QUEUE_RESULT_PATH = "/voice/operator/queue-result"

ANSWERED = frozenset({"completed", "answered"})
CANCELED = "canceled"
MISSED_REASONS = frozenset({"busy", "no-answer", "failed"})
QUEUE_LEFT = "leave"


def connect(ctx: CallContext) -> VoiceResponse:
    """While the line is closed say why and take a message; else the topic, then the best free operator."""
    closed = opening_hours.closed_answer(ctx)
    if closed is not None:
        return closed
    response = VoiceResponse()
    topic = _topic(ctx)
    if topic is None and (ctx.digits or ctx.said or ctx.arg("said")):
        menu = ctx.arg_int("menu", 1, low=1)
        answer = ctx.answer(topic_menu.WORDS)
        if answer.confirm:
            return speech_confirm.ask(ctx, response, answer.heard, yes=ctx.url(PATH, menu=menu, said=answer.key),
                                      no=ctx.url(PATH, menu=menu))
        topic = topic_menu.topic_for_key(answer.key)
        if topic is None:
            if answer.spoken and not answer.key:
                ctx.speaker.say(response, "speech_not_understood")
            return _offer_topics(ctx, response, attempt=menu + 1, invalid=not answer.spoken)
    if topic is None and ctx.runtime.settings.routing.topic_menu:
        return _offer_topics(ctx, response, attempt=ctx.arg_int("menu", 1, low=1), invalid=False)
    return _ring(ctx, response, topic or Topic.OTHER, attempt=1, tried=())


def _offer_topics(ctx: CallContext, response: VoiceResponse, attempt: int, invalid: bool) -> VoiceResponse:
    """The topic menu, posting back here; too many wrong keys reach any free operator."""
    if invalid:
        ctx.speaker.say(response, "invalid_choice")
    if attempt > ctx.runtime.settings.ivr.menu_attempts:
        return _ring(ctx, response, Topic.OTHER, attempt=1, tried=())
    topic_menu.append_menu(ctx, response, action=ctx.url(PATH, menu=attempt),
                           no_choice=ctx.url(PATH, topic=Topic.OTHER.value))
    return response


def _topic(ctx: CallContext) -> Topic | None:
    """The topic carried by our own URL, if any (garbage counts as any topic)."""
    raw = ctx.arg("topic")
    if not raw:
        return None
    try:
        return parse_topic(raw)
    except ValueError:
        return Topic.OTHER


def _tried(ctx: CallContext) -> tuple[int, ...]:
    """The operators already rung for this call, from our own URL."""
    limit = ctx.runtime.settings.routing.max_tries
    return tuple(int(part) for part in ctx.arg("tried").split(",") if part.isdigit())[:limit]


def _ring(ctx: CallContext, response: VoiceResponse, topic: Topic, attempt: int,
          tried: Sequence[int]) -> VoiceResponse:
    """Dial the longest-idle free operator (a newcomer lets callers in line go first); else queue or message."""
    routing = ctx.runtime.settings.routing
    token = reservation_token(ctx.call_sid, attempt)
    now = ctx.runtime.clock()
    with ctx.runtime.sessions.begin() as session:
        overtaking = (attempt == 1 and hold_queue.line_ahead(session, routing, now)
                      and find_reservation(session, token) is None)
        reservation = None if overtaking else reserve(session, token, ctx.call_sid, topic.value,
                                                      routing.presence_policy(), now, exclude=tried,
                                                      **hold_queue.language_preference(ctx))
    if reservation is None:
        return _nobody_free(ctx, response, topic, attempt)
    # Said only now that an operator is reserved: "resta in linea" is never followed by "nessun operatore".
    ctx.speaker.say(response, "connecting" if attempt == 1 else "trying_next_operator")
    _dial(ctx, response, reservation, topic, attempt, (*tried, reservation.agent_id))
    return response


def _nobody_free(ctx: CallContext, response: VoiceResponse, topic: Topic, attempt: int) -> VoiceResponse:
    """The hold queue for a first attempt when configured; otherwise the message flow."""
    if attempt > 1:
        response.redirect(ctx.url(leave_message.PATH, reason="no_answer", topic=topic.value))
        return response
    if ctx.runtime.settings.routing.hold_queue_max_wait_seconds == 0 or not ctx.call_sid:
        response.redirect(ctx.url(leave_message.PATH, reason="all_busy", topic=topic.value))
        return response
    with ctx.runtime.sessions.begin() as session:
        join_queue(session, ctx.call_sid, topic.value, ctx.runtime.clock())
    ctx.speaker.say(response, "queue_intro")
    response.enqueue(hold_queue.QUEUE_NAME, action=ctx.url(QUEUE_RESULT_PATH, topic=topic.value), method="POST",
                     wait_url=ctx.url(hold_queue.WAIT_PATH), wait_url_method="POST")
    return response


def _dial(ctx: CallContext, response: VoiceResponse, reservation: Reservation, topic: Topic, attempt: int,
          tried: Sequence[int]) -> None:
    """`<Dial>` the reserved operator, with the whisper and the leg's status callbacks."""
    settings = ctx.runtime.settings
    dial = response.dial(
        action=ctx.url(DIAL_RESULT_PATH, token=reservation.token, topic=topic.value, attempt=attempt,
                       tried=",".join(str(agent) for agent in tried)),
        method="POST",
        timeout=settings.routing.ring_timeout_seconds,
        time_limit=settings.routing.max_call_seconds,
        caller_id=settings.line.number,
        answer_on_bridge=True,
    )
    leg = {
        "url": url(whisper.PATH, token=reservation.token, topic=topic.value,
                   caller=ctx.caller.last_digits(whisper.SHOWN_DIGITS) if ctx.caller else None,
                   language=ctx.language if ctx.language != HOME_LANGUAGE else None),
        "method": "POST",
        "status_callback": ctx.absolute(url(agent_leg_status.PATH, token=reservation.token)),
        "status_callback_event": agent_leg_status.EVENTS,
        "status_callback_method": "POST",
    }
    if reservation.phone:
        dial.number(reservation.phone, **leg)
    else:
        dial.client(reservation.client_identity, **leg)


def dial_result(ctx: CallContext) -> VoiceResponse:
    """The Dial's action: goodbye after a conversation; after a miss, the next operator or a message."""
    token = ctx.arg("token")
    status = ctx.params.get("DialCallStatus", "")
    response = VoiceResponse()
    if status in ANSWERED:
        update_presence(ctx, finish_call, token, ctx.runtime.clock())
        ctx.write(RecordCallOutcome(call_sid=ctx.call_sid, outcome="operator"))
        ctx.speaker.say(response, "goodbye")
        response.hangup()
        return response
    if status == CANCELED:
        update_presence(ctx, release, token, ctx.runtime.clock(), CANCELED)
        response.hangup()
        return response
    policy = ctx.runtime.settings.routing.presence_policy()
    reason = status if status in MISSED_REASONS else "failed"
    update_presence(ctx, release_missed, token, ctx.runtime.clock(), policy, reason)
    attempt = ctx.arg_int("attempt", 1, low=1)
    if attempt >= ctx.runtime.settings.routing.max_tries:
        response.redirect(ctx.url(leave_message.PATH, reason="no_answer", topic=ctx.message_topic))
        return response
    return _ring(ctx, response, _topic(ctx) or Topic.OTHER, attempt + 1, _tried(ctx))


def queue_result(ctx: CallContext) -> VoiceResponse:
    """The Enqueue action: dial the operator reserved for this caller, or take a message."""
    response = VoiceResponse()
    now = ctx.runtime.clock()
    token = reservation_token(ctx.call_sid, hold_queue.FIRST_ATTEMPT)
    with ctx.runtime.sessions.begin() as session:
        outcome = _queue_outcome(ctx, session, now)
        reservation = find_reservation(session, token) if outcome == "connected" else None
    if reservation is not None:
        ctx.speaker.say(response, "connecting")
        _dial(ctx, response, reservation, _topic(ctx) or Topic.OTHER, hold_queue.FIRST_ATTEMPT,
              (reservation.agent_id,))
        return response
    update_presence(ctx, release, token, now, "left_queue")
    if outcome in ("hangup", "bridged"):
        return response
    if outcome == "timeout":
        ctx.speaker.say(response, "queue_timeout")
    response.redirect(ctx.url(leave_message.PATH, reason="chosen" if outcome == "message" else "all_busy",
                              topic=ctx.message_topic))
    return response


def _queue_outcome(ctx: CallContext, session: Session, now: datetime) -> str:
    """How the caller's wait ended: as the wait document decided, or as Twilio ended it."""
    result = ctx.params.get("QueueResult", "")
    entry = queued_call(session, ctx.call_sid)
    if result == QUEUE_LEFT and entry is not None and entry.outcome is not None:
        return entry.outcome
    ended = result if result in ("hangup", "bridged") else "failed"
    return leave_queue(session, ctx.call_sid, ended, now) or ended


ROUTES = {PATH: connect, DIAL_RESULT_PATH: dial_result, QUEUE_RESULT_PATH: queue_result}
