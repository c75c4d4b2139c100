"""Step: record the message, read the tracking code twice, and keep the recording Twilio reports.

The Record action and the recordingStatusCallback may come in either order, or twice: both
attach the recording idempotently. The status callback, when the file is ready, copies it into
the service's own storage (and retries a few earlier failed copies) within a time budget.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from twilio.twiml.voice_response import VoiceResponse

from contact_center.durable import DATABASE_DOWN
from contact_center.durable_writes import AttachRecording, MarkNoMessage, NoteCodeSms, RecordCallOutcome
from contact_center.services import copy_policy, rest_client, transcriber
from ivr.flows.context import CallContext
from ivr.twiml import url
from tickets.codes import format_code_for_speech, is_valid_code
from voicemail.callbacks import LeftByCall, left_by_call
from voicemail.numbers import NumberRefused, parse_callback_number
from voicemail.recordings import copy_due_recordings

log = logging.getLogger(__name__)

START_PATH = "/voice/message/record"
RECORDED_PATH = "/voice/message/recorded"
RECORDING_STATUS_PATH = "/voice/message/recording-status"

HANGUP = "hangup"
MAX_RECORDING_SECONDS = 4 * 3600
COPIES_PER_CALLBACK = 3
COPY_BUDGET_SECONDS = 6.0


def _spoken_key(ctx: CallContext, key: str) -> str:
    """How the prompt names a keypad key."""
    if key == "#":
        return ctx.speaker.prompts("key_hash")
    if key == "*":
        return ctx.speaker.prompts("key_star")
    return ctx.speaker.prompts("key_digit", digit=key)


def start(ctx: CallContext) -> VoiceResponse:
    """Instructions, then `<Record>` as configured, reporting to the status callback."""
    config = ctx.runtime.settings.voicemail
    reason = ctx.message_reason
    response = VoiceResponse()
    ctx.speaker.say(response, "record_instructions", finish_key=_spoken_key(ctx, config.finish_on_key[0]))
    response.record(
        action=ctx.url(RECORDED_PATH, reason=reason, code=ctx.arg("code") or None, number=ctx.arg("number") or None),
        method="POST",
        max_length=config.max_length_seconds,
        finish_on_key=config.finish_on_key,
        play_beep=config.play_beep,
        trim="trim-silence" if config.trim_silence else "do-not-trim",
        timeout=config.silence_timeout_seconds,
        recording_status_callback=url(RECORDING_STATUS_PATH, reason=reason),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
    return response


def _duration(ctx: CallContext) -> int:
    try:
        return min(max(int(ctx.params.get("RecordingDuration", "0")), 0), MAX_RECORDING_SECONDS)
    except ValueError:
        return 0


def _store_recording(ctx: CallContext, status: str) -> None:
    recording_sid = ctx.params.get("RecordingSid", "")[:64]
    if recording_sid or status != "completed":
        ctx.write(AttachRecording(call_sid=ctx.call_sid, reason=ctx.message_reason,
                                  sid=recording_sid, url=ctx.params.get("RecordingUrl", "")[:512],
                                  duration_seconds=_duration(ctx), status=status))
    else:
        ctx.write(MarkNoMessage(call_sid=ctx.call_sid))


@dataclass(frozen=True)
class _Left:
    """What the call left: its tracking code, callback number, and whether the code went by SMS."""

    code: str | None
    number: str | None
    sms_sent: bool


def _what_was_left(ctx: CallContext) -> _Left:
    """Read from the database (one statement, in autocommit); while it is down, from what the call carried."""
    try:
        with ctx.runtime.autocommit.connect() as connection:
            left = left_by_call(connection, ctx.call_sid)
    except DATABASE_DOWN:
        left = LeftByCall(has_message=False, callback_number=None, code_sms_sid=None, tracking_code=None)
    code = left.tracking_code or ctx.arg("code")
    valid_code = code if is_valid_code(code, ctx.runtime.settings.tickets.accepted_code_lengths) else None
    if not left.has_message:
        return _Left(valid_code, ctx.arg("number") or None, sms_sent=False)
    return _Left(valid_code, left.callback_number, sms_sent=left.code_sms_sid is not None)


def _send_code_by_sms(ctx: CallContext, left: _Left) -> bool:
    """Text the code to a mobile callback number, when configured; True if it went (or had gone)."""
    config = ctx.runtime.settings.voicemail
    if not config.sms_tracking_code or left.code is None or left.number is None:
        return False
    if left.sms_sent:
        return True
    try:
        number = parse_callback_number(left.number, own_numbers=ctx.runtime.own_numbers)
    except NumberRefused:
        return False
    if not number.is_mobile:
        return False
    body = ctx.speaker.prompts("sms_tracking_code", code=left.code)
    sms_sid = rest_client(ctx.runtime.settings).send_sms(number.e164, config.sms_from, body)
    if sms_sid is None:
        return False
    ctx.write(NoteCodeSms(call_sid=ctx.call_sid, sms_sid=sms_sid))
    return True


def _closing_promise(reason: str, has_number: bool) -> str:
    """The last sentence before goodbye, agreeing with the promise the caller heard before recording."""
    # A closed line promised a callback when it reopens; the technical-problem apology, one at the
    # number said in the message; without a number, the caller hears how to follow the request up.
    if not has_number and reason != "error":
        return "no_callback_promise"
    return "callback_promise_closed" if reason == "closed" else "callback_promise"


def recorded(ctx: CallContext) -> VoiceResponse:
    """The Record action: keep what was recorded, then the code twice and goodbye."""
    _store_recording(ctx, "completed")
    ctx.write(RecordCallOutcome(call_sid=ctx.call_sid, outcome="message"))
    left = _what_was_left(ctx)
    sms_sent = _send_code_by_sms(ctx, left)
    response = VoiceResponse()
    if ctx.digits == HANGUP:
        return response
    has_message = bool(ctx.params.get("RecordingSid")) and _duration(ctx) > 0
    ctx.speaker.say(response, "message_saved" if has_message else "message_empty")
    if left.code is not None:
        spoken = format_code_for_speech(left.code)
        ctx.speaker.say(response, "tracking_code", code=spoken)
        ctx.speaker.say(response, "tracking_code_repeat", code=spoken)
    if sms_sent:
        ctx.speaker.say(response, "tracking_code_by_sms")
    ctx.speaker.say(response, _closing_promise(ctx.message_reason, bool(left.number)))
    ctx.speaker.say(response, "goodbye")
    response.hangup()
    return response


def _copy_recordings(ctx: CallContext) -> None:
    """Copy this call's recording now, and retry a few earlier failed copies, within a budget."""
    settings = ctx.runtime.settings
    rest = rest_client(settings)
    if not rest.configured:
        return
    try:
        copy_due_recordings(ctx.runtime.sessions, rest, copy_policy(settings),
                            transcriber(settings), first_call_sid=ctx.call_sid,
                            limit=COPIES_PER_CALLBACK, seconds=COPY_BUDGET_SECONDS, clock=ctx.runtime.clock)
    except DATABASE_DOWN as error:
        log.warning("recording copy postponed, database unavailable: %s", error.__class__.__name__)


def recording_status(ctx: CallContext) -> VoiceResponse:
    """Twilio's recordingStatusCallback: attach the recording idempotently, then copy it."""
    status = ctx.params.get("RecordingStatus", "completed")
    status = status if status in {"completed", "failed", "absent"} else "completed"
    _store_recording(ctx, status)
    if status == "completed" and ctx.params.get("RecordingSid"):
        _copy_recordings(ctx)
    return VoiceResponse()


ROUTES = {START_PATH: start, RECORDED_PATH: recorded, RECORDING_STATUS_PATH: recording_status}
