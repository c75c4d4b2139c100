"""Step: record the caller's message, and attach the recording when Twilio reports it."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from ivr.flows.context import CallContext
from ivr.twiml import url

START_PATH = "/voice/message/record"
RECORDED_PATH = "/voice/message/recorded"
RECORDING_STATUS_PATH = "/voice/message/recording-status"

HANGUP = "hangup"
MAX_RECORDING_SECONDS = 4 * 3600


def start(ctx: CallContext) -> VoiceResponse:
    """Instructions, then `<Record>` as configured, reporting to the status callback."""
    config = ctx.runtime.settings.voicemail
    reason = ctx.message_reason
    response = VoiceResponse()
    ctx.speaker.say(response, "record_instructions")
    response.record(
        action=url(RECORDED_PATH, reason=reason),
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
        ctx.write("attach_recording", call_sid=ctx.call_sid, reason=ctx.message_reason,
                  sid=recording_sid, url=ctx.params.get("RecordingUrl", "")[:512],
                  duration_seconds=_duration(ctx), status=status)
    else:
        ctx.write("mark_no_message", call_sid=ctx.call_sid)


def recorded(ctx: CallContext) -> VoiceResponse:
    """The Record action: keep what was recorded, thank the caller (unless they hung up)."""
    _store_recording(ctx, "completed")
    ctx.write("record_call_outcome", call_sid=ctx.call_sid, outcome="message")
    response = VoiceResponse()
    if ctx.digits == HANGUP:
        return response
    ctx.speaker.say(response, "message_saved")
    ctx.speaker.say(response, "goodbye")
    response.hangup()
    return response


def recording_status(ctx: CallContext) -> VoiceResponse:
    """Twilio's recordingStatusCallback: attach the recording idempotently."""
    status = ctx.params.get("RecordingStatus", "completed")
    _store_recording(ctx, status if status in {"completed", "failed", "absent"} else "completed")
    return VoiceResponse()


ROUTES = {START_PATH: start, RECORDED_PATH: recorded, RECORDING_STATUS_PATH: recording_status}
