"""<Record>: the beep, the caller's message, its action and its recording status callbacks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from callsim.call_state import Cursor, Pending, method_of
from callsim.model import Recording, new_sid
from callsim.twiml import Node

if TYPE_CHECKING:
    from callsim.engine import Engine


class Recorder:
    """Plays <Record> and reports each recording to the app."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.call = engine.call

    def start(self, record: Node, cursor: Cursor) -> None:
        """Beep, then wait for the caller's message."""
        self.call.transcript.append(("record", dict(record.attrs)))
        if record.get_bool("playBeep", True):
            self.call.transcript.append(("beep",))
        pending = Pending("record", cursor, recording_sid=new_sid("RE"))
        self.call.waiting = pending
        recording = self._recording(pending.recording_sid, 0)
        self._status_callback(record, cursor, recording, "in-progress")

    def speak(self, pending: Pending, seconds: int, finish_key: str | None) -> None:
        """The caller speaks `seconds`, then presses `finish_key` (None: falls silent)."""
        record = pending.verb
        max_length = record.get_int("maxLength", 3600)
        finish_keys = record.get("finishOnKey", "1234567890*#") or ""
        reached_max_length = seconds >= max_length
        stopped_by_key = finish_key is not None and finish_key in finish_keys
        stopped_by_key = stopped_by_key and not reached_max_length
        duration = min(seconds, max_length)
        self.call.clock += duration
        if not stopped_by_key and not reached_max_length:
            self.call.clock += record.get_int("timeout", 5)
        key = finish_key if stopped_by_key else None
        self.finish(pending, duration, key, caller_present=True)

    def time_out(self, pending: Pending) -> None:
        """The caller says nothing: an empty recording."""
        self.call.clock += pending.verb.get_int("timeout", 5)
        self.finish(pending, 0, None, caller_present=True)

    def finish(
        self, pending: Pending, duration: int, digits: str | None, caller_present: bool
    ) -> None:
        """Post the <Record> action (and its status callback) for a finished recording."""
        call = self.call
        position = pending.position
        record = pending.verb
        recording = self._recording(pending.recording_sid, duration)
        call.recordings.append(recording)
        if call.settings.recording_store is not None:
            call.settings.recording_store.add_recording(recording.sid, call.sid, duration)
        params = {
            "RecordingUrl": recording.url,
            "RecordingSid": recording.sid,
            "RecordingDuration": str(duration),
        }
        if digits is not None:
            params["Digits"] = digits
        mode = call.settings.recording_callback
        status = {"failed": "failed", "absent": "absent"}.get(mode, "completed")
        if duration == 0:
            status = "absent"
        if mode == "before":
            self._status_callback(record, position, recording, status)
        if caller_present:
            cursor = self.engine.load_action(record, position, params)
        else:
            self.engine.load_ignored(position.action_url(record), method_of(record), params)
            cursor = None
        if mode in ("after", "twice", "failed", "absent"):
            self._status_callback(record, position, recording, status)
        self.engine.run(cursor)

    def _recording(self, sid: str, duration: int) -> Recording:
        settings = self.call.settings
        base = settings.api_base_url.rstrip("/")
        url = f"{base}/2010-04-01/Accounts/{settings.account_sid}/Recordings/{sid}"
        return Recording(sid, url, duration, self.call.sid)

    def _status_callback(
        self, record: Node, cursor: Cursor, recording: Recording, status: str
    ) -> None:
        """Post recordingStatusCallback if the <Record> subscribed to this status."""
        settings = self.call.settings
        url = record.get("recordingStatusCallback")
        events = (record.get("recordingStatusCallbackEvent") or "completed").split()
        event = "completed" if status == "failed" else status
        if url is None or event not in events or settings.recording_callback == "none":
            return
        params = {
            "AccountSid": settings.account_sid,
            "CallSid": self.call.sid,
            "RecordingSid": recording.sid,
            "RecordingUrl": recording.url,
            "RecordingStatus": status,
            "RecordingDuration": str(recording.duration),
            "RecordingChannels": "1",
            "RecordingSource": "RecordVerb",
            "RecordingStartTime": self.call.timestamp(),
            "ErrorCode": "0",
        }
        method = record.get("recordingStatusCallbackMethod", "POST") or "POST"
        duplicate = settings.recording_callback == "twice"
        self.engine.callbacks.notify(cursor.resolve(url), method, params, duplicate)
