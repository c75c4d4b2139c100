"""Step: the operator's leg reports its progress, and the operator's presence follows it.

answered -> on call; completed -> wrap-up; busy, no-answer, failed -> released (a miss);
canceled (the caller hung up first) -> released with no miss. Every change is keyed by the
reservation token, so repeated, late or out-of-order callbacks change nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from twilio.twiml.voice_response import VoiceResponse

from agents.transitions import finish_call, mark_answered, release, release_missed
from contact_center.durable import DATABASE_DOWN
from ivr.flows.context import CallContext

log = logging.getLogger(__name__)

PATH = "/voice/operator/leg-status"
MISSED_STATUSES = frozenset({"busy", "no-answer", "failed"})
EVENTS = "initiated ringing answered completed"

T = TypeVar("T")


def update_presence(ctx: CallContext, change: Callable[..., T], *arguments: Any) -> T | None:
    """Apply a presence change in its own transaction; while the database is down, skip it.

    Presence heals by itself once the database is back, and the call must go on meanwhile.
    """
    try:
        with ctx.runtime.sessions.begin() as session:
            return change(session, *arguments)
    except DATABASE_DOWN as error:
        log.warning("presence not updated for call %s (%s): database unavailable",
                    ctx.call_sid, error.__class__.__name__)
        return None


def update(ctx: CallContext) -> VoiceResponse:
    """Move the operator holding the leg's reservation as the leg's status says."""
    token = ctx.arg("token")
    status = ctx.params.get("CallStatus", "")
    if not token:
        return VoiceResponse()
    if status == "in-progress":
        update_presence(ctx, mark_answered, token, ctx.runtime.clock())
    elif status == "completed":
        update_presence(ctx, finish_call, token, ctx.runtime.clock())
    elif status in MISSED_STATUSES:
        policy = ctx.runtime.settings.routing.presence_policy()
        update_presence(ctx, release_missed, token, ctx.runtime.clock(), policy, status)
    elif status == "canceled":
        update_presence(ctx, release, token, ctx.runtime.clock(), "canceled")
    return VoiceResponse()


ROUTES = {PATH: update}
