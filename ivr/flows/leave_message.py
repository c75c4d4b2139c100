"""Step: the reason-specific opening of the message flow.

Other steps send callers here with `message_url(reason)`. For "closed" they may add when the
line reopens (`reopens_at`): the opening then says it, in the hours engine's own words, with
the weekly schedule from the configuration.
"""

from __future__ import annotations

from datetime import UTC, datetime

from twilio.twiml.voice_response import VoiceResponse

from hours.model import WeeklySchedule
from hours.speech import describe_reopening, describe_schedule
from ivr.flows import callback_number
from ivr.flows.context import CallContext
from ivr.twiml import url
from storage.types import utcnow

PATH = "/voice/message"
REOPENS_FORMAT = "%Y%m%dT%H%M%SZ"
INVITED_REASONS = frozenset({"closed", "all_busy", "no_answer"})


def message_url(reason: str, reopens_at: datetime | None = None) -> str:
    """Where to send a caller who leaves a message, and why (with the reopening, when closed)."""
    reopens = reopens_at.astimezone(UTC).strftime(REOPENS_FORMAT) if reopens_at else None
    return url(PATH, reason=reason, reopens=reopens)


def _reopening(ctx: CallContext) -> datetime | None:
    """The reopening instant another step passed along, if it is a valid future instant."""
    try:
        when = datetime.strptime(ctx.arg("reopens"), REOPENS_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return when if when > utcnow() else None


def _say_hours(ctx: CallContext, response: VoiceResponse) -> None:
    """When the line reopens (if known) and its weekly schedule."""
    line = ctx.runtime.settings.line
    reopens_at = _reopening(ctx)
    if reopens_at is not None:
        ctx.speaker.say_text(response, describe_reopening(reopens_at, utcnow(), timezone=line.timezone))
    weekly = ctx.runtime.settings.hours.weekly.model_dump()
    ctx.speaker.say_text(response, describe_schedule(WeeklySchedule.parse(weekly)))


def start(ctx: CallContext) -> VoiceResponse:
    """Tell the caller why they are leaving a message, then ask for the callback number."""
    reason = ctx.message_reason
    response = VoiceResponse()
    ctx.speaker.say(response, f"message_reason_{reason}")
    if reason == "closed":
        _say_hours(ctx, response)
    if reason in INVITED_REASONS:
        ctx.speaker.say(response, "message_invitation")
    response.redirect(url(callback_number.ASK_PATH, reason=reason))
    return response


ROUTES = {PATH: start}
