"""The call engine: one inbound call, played verb by verb the way Twilio plays it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import NamedTuple, Protocol
from urllib.parse import urljoin, urlsplit

import phonenumbers

from callsim.model import (
    SAY_INVALID_TEXT,
    SAY_INVALID_VOICE,
    TRANSPORT_ERROR,
    CallError,
    CallLoopError,
    DialInfo,
    DialOutcome,
    DialTarget,
    Event,
    Recording,
    RecordingCallbackMode,
    RequestLog,
    SimulatorError,
    StatusCallbackMode,
    new_sid,
)
from callsim.twiml import UNSUPPORTED_VERBS, Context, Document, Node, TwimlError
from callsim.voices import DEFAULT_LANGUAGE, DEFAULT_VOICE, speech_seconds, voice_problem
from callsim.webhook import Webhooks

STOCK_ERROR_MESSAGE = "We are sorry, an application error has occurred. Goodbye."
DEFAULT_HOLD_MUSIC = "http://com.twilio.music.classical.s3.amazonaws.com/"
MAX_DOCUMENTS_WITHOUT_INPUT = 100
FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
KEYS = "0123456789*#"
PLAY_SECONDS = 5.0  # assumed length of one <Play> of an audio file
DIGIT_SECONDS = 0.5  # one DTMF tone, played or pressed
RING_SECONDS = 5.0  # ringing before a dialled party answers
MAX_QUEUE_SIZE = "100"


class RecordingStore(Protocol):
    """Somewhere recordings live so the app can fetch them (the fake REST API)."""

    def add_recording(self, sid: str, call_sid: str, duration: int) -> None:
        """Make the recording's media and JSON available."""
        ...


@dataclass(frozen=True)
class CallSettings:
    """What a call takes from its simulator; every URL is absolute and public."""

    voice_url: str
    status_callback_url: str | None
    fallback_url: str | None
    account_sid: str
    api_base_url: str
    recording_store: RecordingStore | None
    recording_callback: RecordingCallbackMode
    status_callback: StatusCallbackMode
    next_dial_outcome: Callable[[DialInfo], DialOutcome]


class KeyEntry(NamedTuple):
    """What a <Gather> makes of the keys pressed."""

    digits: str
    finished_on_key: str | None
    timed_out: bool


def collect_digits(keys: str, finish_on_key: str, num_digits: int | None) -> KeyEntry:
    """Apply finishOnKey and numDigits to a key sequence, as Twilio's <Gather> does."""
    digits = ""
    for key in keys:
        if key not in KEYS:
            raise ValueError(f"{key!r} is not a phone key (0-9, * or #)")
        if finish_on_key and key == finish_on_key:
            return KeyEntry(digits, key, False)
        digits += key
        if num_digits is not None and len(digits) == num_digits:
            return KeyEntry(digits, None, False)
    return KeyEntry(digits, None, True)


def country_of(number: str) -> str:
    """ISO country of an E.164 number ("" when unknown, e.g. a withheld caller)."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or ""
    except phonenumbers.NumberParseException:
        return ""


def dial_targets(dial: Node) -> tuple[DialTarget, ...]:
    """The parties a <Dial> rings: its number text, or its nouns."""
    if dial.text:
        return (DialTarget("Number", dial.text),)
    return tuple(_target(noun) for noun in dial.children)


def _target(noun: Node) -> DialTarget:
    if noun.name == "Client":
        identities = [child.text for child in noun.children if child.name == "Identity"]
        return DialTarget("Client", "client:" + (noun.text or "".join(identities)), noun.attrs)
    return DialTarget(noun.name, noun.text, noun.attrs)


@dataclass
class _Cursor:
    """A position in a document: the verb about to run."""

    document: Document
    index: int = 0

    def verb(self) -> Node | None:
        """The verb at this position, or None at the end of the document."""
        verbs = self.document.verbs
        return verbs[self.index] if self.index < len(verbs) else None

    def next(self) -> _Cursor:
        """The position after this verb."""
        return _Cursor(self.document, self.index + 1)


@dataclass
class _Pending:
    """What the call waits for from the caller; `cursor` points at the waiting verb."""

    kind: str  # "gather", "record" or "queue"
    cursor: _Cursor | None
    endless: bool = False  # a prompt loops forever (loop="0"): no timeout will come
    recording_sid: str = ""


@dataclass
class _QueueWait:
    """The caller is in a queue: what to resume when the wait is over."""

    name: str
    sid: str
    enqueue: Node
    enqueue_url: str
    resume: _Cursor
    entered_at: float


@dataclass
class _Leg:
    """A child call leg created by <Dial>."""

    target: DialTarget
    params: dict[str, str]
    sequence: int = 0


@dataclass
class _Connection:
    """How a <Dial> ended, as its action reports it."""

    status: str
    leg: _Leg
    duration: int = 0
    bridged: bool = False


class Call:
    """One simulated inbound call; drive it with press/silence/record/hang_up."""

    def __init__(
        self,
        settings: CallSettings,
        webhooks: Webhooks,
        from_: str,
        to: str,
        extra_params: dict[str, str],
    ) -> None:
        self.settings = settings
        self.webhooks = webhooks
        self.from_ = from_
        self.to = to
        self.extra_params = extra_params
        self.sid = new_sid("CA")
        self.status = "ringing"
        self.clock = 0.0  # simulated seconds since the call started
        self.transcript: list[Event] = []
        self.operator_transcript: list[Event] = []
        self.errors: list[CallError] = []
        self.recordings: list[Recording] = []
        self._pending: _Pending | None = None
        self._queue: _QueueWait | None = None
        self._documents_since_input = 0
        self._input_mark = 0
        self._status_callback_sent = False
        self._started_at = datetime.now(UTC)

    # --- what tests read -------------------------------------------------------------

    @property
    def requests(self) -> list[RequestLog]:
        """Every request sent during the call, in order."""
        return self.webhooks.log

    @property
    def pending(self) -> str | None:
        """What the call waits for: "gather", "record", "queue", or None."""
        return self._pending.kind if self._pending else None

    @property
    def ended(self) -> bool:
        """Whether the call is over."""
        return self.status in FINAL_STATUSES

    @property
    def duration(self) -> int:
        """CallDuration in seconds of simulated time (0 for a call never answered)."""
        return round(self.clock) if self.status in ("completed", "in-progress") else 0

    def said(self) -> str:
        """Every <Say> text the caller heard, one per line."""
        return "\n".join(event[1] for event in self.transcript if event[0] == "say")

    def heard_since_last_input(self) -> str:
        """The <Say> texts heard since the caller last acted."""
        events = self.transcript[self._input_mark :]
        return "\n".join(event[1] for event in events if event[0] == "say")

    def requests_to(self, path: str) -> list[RequestLog]:
        """The requests whose URL path is `path`."""
        return [request for request in self.requests if urlsplit(request.url).path == path]

    # --- what the caller does ---------------------------------------------------------

    def start(self) -> None:
        """Ring the app's Voice URL and play until the caller is needed."""
        cursor = self._load(self.settings.voice_url)
        if not self.ended:
            self.status = "in-progress"
        self._run(cursor)

    def press(self, keys: str) -> None:
        """Answer the pending <Gather> with keys, e.g. "123#"."""
        pending = self._expect("gather")
        gather = self._verb(pending)
        self._caller_input()
        entry = collect_digits(
            keys, gather.get("finishOnKey", "#") or "", _optional_int(gather, "numDigits")
        )
        self.clock += DIGIT_SECONDS * len(keys)
        if entry.timed_out:
            self.clock += gather.get_int("timeout", 5)
        position = self._position(pending)
        if not entry.digits or "dtmf" not in (gather.get("input") or "dtmf").split():
            self._run(self._gather_without_input(gather, position))
            return
        params = {"Digits": entry.digits}
        if entry.finished_on_key:
            params["FinishedOnKey"] = entry.finished_on_key
        self._run(self._load_action(gather, position, params))

    def silence(self) -> None:
        """Do nothing: the pending <Gather> times out, or the <Record> hears nothing."""
        pending = self._expect("gather", "record")
        verb = self._verb(pending)
        self._caller_input()
        if pending.kind == "record":
            self.clock += verb.get_int("timeout", 5)
            self._finish_recording(pending, 0, None, caller_present=True)
            return
        if pending.endless:
            raise SimulatorError("the <Gather> prompt loops forever: it never times out")
        self.clock += verb.get_int("timeout", 5)
        self._run(self._gather_without_input(verb, self._position(pending)))

    def record(self, seconds: int = 12, finish_key: str | None = "#") -> None:
        """Speak for `seconds` then press `finish_key` (None: stop talking, let it time out)."""
        if finish_key is not None and (len(finish_key) != 1 or finish_key not in KEYS):
            raise ValueError(f"{finish_key!r} is not a single phone key")
        pending = self._expect("record")
        verb = self._verb(pending)
        self._caller_input()
        max_length = verb.get_int("maxLength", 3600)
        finish_keys = verb.get("finishOnKey", "1234567890*#") or ""
        reached_max_length = seconds >= max_length
        stopped_by_key = finish_key is not None and finish_key in finish_keys
        stopped_by_key = stopped_by_key and not reached_max_length
        duration = min(seconds, max_length)
        self.clock += duration
        if not stopped_by_key and not reached_max_length:
            self.clock += verb.get_int("timeout", 5)
        key = finish_key if stopped_by_key else None
        self._finish_recording(pending, duration, key, caller_present=True)

    def hang_up(self, recorded_seconds: int = 5) -> None:
        """The caller hangs up now (a pending <Record> keeps `recorded_seconds` of audio)."""
        pending = self._expect("gather", "record", "queue")
        self._caller_input()
        self.transcript.append(("hangup",))
        duration = 0
        if pending.kind == "record":
            duration = min(recorded_seconds, self._verb(pending).get_int("maxLength", 3600))
            self.clock += duration
        self.status = "completed"
        if self.settings.status_callback == "before":
            self._post_final_status()
        if pending.kind == "record":
            self._finish_recording(pending, duration, "hangup", caller_present=False)
        elif self._queue is not None:
            self._leave_queue("hangup", run_action=False)
        self._end("completed")

    def advance_queue(self, seconds: float) -> None:
        """Wait `seconds` more in the queue, re-requesting the wait document as Twilio does."""
        self._expect("queue")
        self._documents_since_input = 0
        until = self.clock + seconds
        while self._pending is not None and self._pending.kind == "queue" and self.clock < until:
            if self._pending.endless:
                self.clock = until
                return
            before = self.clock
            self._pending = None
            self._run(self._load_wait_document())
            if self.pending == "queue" and self.clock == before:
                raise CallLoopError("the wait document takes no time: Twilio would spin on it")

    def bridge_from_queue(self, talk_seconds: int = 30) -> None:
        """An operator takes the queued caller, talks `talk_seconds`, then hangs up."""
        if self.ended or self._queue is None:
            raise SimulatorError("the caller is not waiting in a queue")
        self._caller_input()
        self.transcript.append(("bridged", talk_seconds))
        self.clock += talk_seconds
        self._run(self._leave_queue("bridged"))

    # --- the engine -------------------------------------------------------------------

    def _run(self, cursor: _Cursor | None) -> None:
        while cursor is not None and not self.ended:
            verb = cursor.verb()
            if verb is None:
                self._document_finished()
                return
            if verb.name in UNSUPPORTED_VERBS:
                raise SimulatorError(f"<{verb.name}> is not simulated ({cursor.document.url})")
            cursor = self._handlers()[verb.name](verb, cursor)

    def _handlers(self) -> dict[str, Callable[[Node, _Cursor], _Cursor | None]]:
        return {
            "Say": self._prompt_verb,
            "Play": self._prompt_verb,
            "Pause": self._prompt_verb,
            "Gather": self._gather,
            "Record": self._record,
            "Dial": self._dial,
            "Enqueue": self._enqueue,
            "Redirect": self._redirect,
            "Leave": self._leave,
            "Hangup": self._hangup,
            "Reject": self._reject,
            "Sms": self._ignore_message,
            "Message": self._ignore_message,
        }

    def _document_finished(self) -> None:
        """The document has no more verbs: the call ends, or the queue wait starts over."""
        if self._queue is not None:
            self._pending = _Pending("queue", None)  # Twilio will re-request the wait URL
        else:
            self._end("completed")

    def _prompt_verb(self, verb: Node, cursor: _Cursor) -> _Cursor | None:
        if not self._prompt(verb, self.transcript, cursor.document.url):
            return cursor.next()
        if self._queue is None:
            raise SimulatorError(
                f'<{verb.name} loop="0"> outside a <Gather> plays forever ({cursor.document.url})'
            )
        self._pending = _Pending("queue", cursor, endless=True)
        return None

    def _prompt(self, verb: Node, transcript: list[Event], url: str) -> bool:
        """Play a Say/Play/Pause into `transcript`; True when it loops forever."""
        if verb.name == "Pause":
            length = verb.get_int("length", 1)
            transcript.append(("pause", length))
            self.clock += length
            return False
        if verb.name == "Say":
            event = self._say_event(verb, url)
            if event is None:
                return False
            seconds = speech_seconds(verb.text)
        elif verb.text:
            event, seconds = ("play", urljoin(url, verb.text)), PLAY_SECONDS
        else:
            digits = verb.get("digits") or ""
            event, seconds = ("digits", digits), DIGIT_SECONDS * len(digits)
        loop = verb.get_int("loop", 1)
        for _ in range(max(loop, 1)):
            transcript.append(event)
            self.clock += seconds
        return loop == 0

    def _say_event(self, say: Node, url: str) -> Event | None:
        voice = say.get("voice", DEFAULT_VOICE) or DEFAULT_VOICE
        language = say.get("language", DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE
        if not say.text:
            self._error(SAY_INVALID_TEXT, url, "<Say> has no text", warning=True)
            return None
        if problem := voice_problem(voice, language):
            self._error(SAY_INVALID_VOICE, url, f"{problem}: {say.text!r}", warning=True)
            return None
        return ("say", say.text, voice, language)

    def _gather(self, gather: Node, cursor: _Cursor) -> None:
        self.transcript.append(("gather", dict(gather.attrs)))
        endless = False
        for prompt in gather.children:
            endless = self._prompt(prompt, self.transcript, cursor.document.url) or endless
        self._pending = _Pending("gather", cursor, endless=endless)

    def _gather_without_input(self, gather: Node, cursor: _Cursor) -> _Cursor | None:
        if gather.get_bool("actionOnEmptyResult", False):
            return self._load_action(gather, cursor, {"Digits": ""})
        return cursor.next()

    def _record(self, record: Node, cursor: _Cursor) -> None:
        self.transcript.append(("record", dict(record.attrs)))
        if record.get_bool("playBeep", True):
            self.transcript.append(("beep",))
        pending = _Pending("record", cursor, recording_sid=new_sid("RE"))
        self._pending = pending
        recording = self._recording(pending.recording_sid, 0)
        self._recording_callback(record, cursor, recording, "in-progress")

    def _finish_recording(
        self, pending: _Pending, duration: int, digits: str | None, caller_present: bool
    ) -> None:
        """Post the <Record> action (and its status callback) for a finished recording."""
        position = self._position(pending)
        record = self._verb(pending)
        recording = self._recording(pending.recording_sid, duration)
        self.recordings.append(recording)
        if self.settings.recording_store is not None:
            self.settings.recording_store.add_recording(recording.sid, self.sid, duration)
        params = {
            "RecordingUrl": recording.url,
            "RecordingSid": recording.sid,
            "RecordingDuration": str(duration),
        }
        if digits is not None:
            params["Digits"] = digits
        mode = self.settings.recording_callback
        status = {"failed": "failed", "absent": "absent"}.get(mode, "completed")
        if duration == 0:
            status = "absent"
        if mode == "before":
            self._recording_callback(record, position, recording, status)
        if caller_present:
            cursor = self._load_action(record, position, params)
        else:
            self._load_ignored(self._action_url(record, position), _method(record), params)
            cursor = None
        if mode in ("after", "twice", "failed", "absent"):
            self._recording_callback(record, position, recording, status)
        self._run(cursor)

    def _recording(self, sid: str, duration: int) -> Recording:
        base = self.settings.api_base_url.rstrip("/")
        url = f"{base}/2010-04-01/Accounts/{self.settings.account_sid}/Recordings/{sid}"
        return Recording(sid, url, duration, self.sid)

    def _recording_callback(
        self, record: Node, cursor: _Cursor, recording: Recording, status: str
    ) -> None:
        """Post recordingStatusCallback if the <Record> subscribed to this status."""
        url = record.get("recordingStatusCallback")
        events = (record.get("recordingStatusCallbackEvent") or "completed").split()
        event = "completed" if status == "failed" else status
        if url is None or event not in events or self.settings.recording_callback == "none":
            return
        params = {
            "AccountSid": self.settings.account_sid,
            "CallSid": self.sid,
            "RecordingSid": recording.sid,
            "RecordingUrl": recording.url,
            "RecordingStatus": status,
            "RecordingDuration": str(recording.duration),
            "RecordingChannels": "1",
            "RecordingSource": "RecordVerb",
            "RecordingStartTime": self._timestamp(),
            "ErrorCode": "0",
        }
        method = record.get("recordingStatusCallbackMethod", "POST") or "POST"
        duplicate = self.settings.recording_callback == "twice"
        self._notify(urljoin(cursor.document.url, url), method, params, duplicate)

    # --- <Dial> -----------------------------------------------------------------------

    def _dial(self, dial: Node, cursor: _Cursor) -> _Cursor | None:
        targets = dial_targets(dial)
        self.transcript.append(("dial", [target.address for target in targets]))
        outcome = self.settings.next_dial_outcome(DialInfo(self.sid, targets, dial.attrs))
        if outcome.answered_by_index >= len(targets):
            raise SimulatorError(
                f"answered_by_index {outcome.answered_by_index} but the <Dial> rings "
                f"{len(targets)} target(s)"
            )
        legs = [self._new_leg(target, dial) for target in targets]
        for leg in legs:
            self._leg_event(leg, "initiated", "initiated", cursor)
            if outcome.status != "failed":
                self._leg_event(leg, "ringing", "ringing", cursor)
        connection = self._connect(dial, legs, outcome, cursor)
        for leg in legs:
            status: str
            if outcome.status != "completed":
                status, duration = outcome.status, 0
            elif leg is connection.leg:
                status, duration = "completed", connection.duration
            else:
                status, duration = "canceled", 0  # another target answered first
            self._leg_event(leg, "completed", status, cursor, {"CallDuration": str(duration)})
        if dial.get("action") is None:
            return cursor.next()
        params = {
            "DialCallStatus": connection.status,
            "DialCallSid": connection.leg.params["CallSid"],
            "DialCallDuration": str(connection.duration),
            "DialBridged": "true" if connection.bridged else "false",
        }
        return self._load_action(dial, cursor, params)

    def _new_leg(self, target: DialTarget, dial: Node) -> _Leg:
        caller_id = dial.get("callerId") or self.from_
        return _Leg(
            target,
            {
                "AccountSid": self.settings.account_sid,
                "ApiVersion": "2010-04-01",
                "CallSid": new_sid("CA"),
                "ParentCallSid": self.sid,
                "Direction": "outbound-dial",
                "From": caller_id,
                "Caller": caller_id,
                "To": target.address,
                "Called": target.address,
                "CallStatus": "in-progress",
            },
        )

    def _connect(
        self, dial: Node, legs: list[_Leg], outcome: DialOutcome, cursor: _Cursor
    ) -> _Connection:
        """Ring, run the whisper on the answering leg, bridge; report how it ended."""
        leg = legs[outcome.answered_by_index]
        if outcome.status != "completed":
            ring = dial.get_int("timeout", 30) if outcome.status == "no-answer" else 1
            self.clock += ring
            return _Connection(outcome.status, leg)
        self.clock += RING_SECONDS
        self._leg_event(leg, "answered", "in-progress", cursor)
        answered_at = self.clock
        whisper = leg.target.attrs.get("url")
        verdict = "accepted"
        if whisper is not None:
            verdict = self._whisper(urljoin(cursor.document.url, whisper), leg, outcome)
        if verdict != "accepted":
            status = "no-answer" if verdict == "refused" else "failed"
            return _Connection(status, leg, round(self.clock - answered_at))
        talk = min(outcome.talk_seconds, dial.get_int("timeLimit", 14400))
        self.clock += talk
        return _Connection("completed", leg, round(self.clock - answered_at), bridged=True)

    def _whisper(self, url: str, leg: _Leg, outcome: DialOutcome) -> str:
        """Run the callee's whisper document: "accepted", "refused" (hung up) or "failed"."""
        keys = list(outcome.whisper_keys)
        method = leg.target.attrs.get("method", "POST")
        extra: dict[str, str] = {}
        while True:
            self._count_document()
            request = self.webhooks.send(method, url, {**leg.params, **extra})
            try:
                document = self._document(request, Context.WHISPER, url)
            except TwimlError as error:
                self._error(error.code, url, error.detail)
                return "failed"
            step = self._run_whisper(document, keys)
            if isinstance(step, str):
                return step
            url, method, extra = step

    def _run_whisper(
        self, document: Document, keys: list[str]
    ) -> str | tuple[str, str, dict[str, str]]:
        """Play a whisper document: a verdict, or the (url, method, params) to fetch next."""
        heard = self.operator_transcript
        for verb in document.verbs:
            if verb.name in ("Say", "Play", "Pause"):
                if self._prompt(verb, heard, document.url):
                    raise SimulatorError(f"the whisper at {document.url} plays forever")
            elif verb.name == "Gather":
                heard.append(("gather", dict(verb.attrs)))
                for prompt in verb.children:
                    self._prompt(prompt, heard, document.url)
                entry = collect_digits(
                    keys.pop(0) if keys else "",
                    verb.get("finishOnKey", "#") or "",
                    _optional_int(verb, "numDigits"),
                )
                if entry.digits or verb.get_bool("actionOnEmptyResult", False):
                    action = urljoin(document.url, verb.get("action") or document.url)
                    return action, _method(verb), {"Digits": entry.digits}
                self.clock += verb.get_int("timeout", 5)
            elif verb.name == "Redirect":
                return urljoin(document.url, verb.text), _method(verb), {}
            else:  # <Hangup> or <Reject>: the callee refuses the call
                heard.append(("hangup",))
                return "refused"
        return "accepted"

    def _leg_event(
        self,
        leg: _Leg,
        event: str,
        call_status: str,
        cursor: _Cursor,
        extra: dict[str, str] | None = None,
    ) -> None:
        """Post a child leg's statusCallback if it subscribed to `event`."""
        url = leg.target.attrs.get("statusCallback")
        events = (leg.target.attrs.get("statusCallbackEvent") or "completed").split()
        if url is None or event not in events:
            return
        params = {
            **leg.params,
            "CallStatus": call_status,
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(leg.sequence),
            "Timestamp": self._timestamp(),
            **(extra or {}),
        }
        leg.sequence += 1
        method = leg.target.attrs.get("statusCallbackMethod", "POST")
        self._notify(urljoin(cursor.document.url, url), method, params)

    # --- <Enqueue> and the queue ------------------------------------------------------

    def _enqueue(self, enqueue: Node, cursor: _Cursor) -> _Cursor | None:
        if enqueue.get("workflowSid"):
            raise SimulatorError("<Enqueue workflowSid> (TaskRouter) is not simulated")
        self.transcript.append(("enqueue", enqueue.text))
        self._queue = _QueueWait(
            enqueue.text,
            new_sid("QU"),
            enqueue,
            cursor.document.url,
            cursor.next(),
            self.clock,
        )
        return self._load_wait_document()

    def _load_wait_document(self) -> _Cursor | None:
        assert self._queue is not None
        wait_url = self._queue.enqueue.get("waitUrl")
        if wait_url is None:  # Twilio's default hold music, forever
            self.transcript.append(("play", DEFAULT_HOLD_MUSIC))
            self._pending = _Pending("queue", None, endless=True)
            return None
        method = self._queue.enqueue.get("waitUrlMethod", "POST") or "POST"
        return self._load(urljoin(self._queue.enqueue_url, wait_url), method)

    def _queue_params(self) -> dict[str, str]:
        assert self._queue is not None
        waited = str(round(self.clock - self._queue.entered_at))
        return {
            "QueueSid": self._queue.sid,
            "QueuePosition": "1",
            "QueueTime": waited,
            "AvgQueueTime": waited,
            "CurrentQueueSize": "1",
            "MaxQueueSize": self._queue.enqueue.get("maxQueueSize", MAX_QUEUE_SIZE)
            or MAX_QUEUE_SIZE,
        }

    def _leave_queue(self, result: str, run_action: bool = True) -> _Cursor | None:
        """Take the caller out of the queue and post the <Enqueue> action with QueueResult."""
        assert self._queue is not None
        queue = self._queue
        params = {
            "QueueResult": result,
            "QueueSid": queue.sid,
            "QueueTime": str(round(self.clock - queue.entered_at)),
        }
        self._queue = None
        self._pending = None
        action = queue.enqueue.get("action")
        if action is None:
            return queue.resume if run_action else None
        url, method = urljoin(queue.enqueue_url, action), _method(queue.enqueue)
        if run_action:
            return self._load(url, method, params)
        self._load_ignored(url, method, params)
        return None

    def _leave(self, leave: Node, cursor: _Cursor) -> _Cursor | None:
        self.transcript.append(("leave",))
        return self._leave_queue("leave")

    # --- the other verbs --------------------------------------------------------------

    def _redirect(self, redirect: Node, cursor: _Cursor) -> _Cursor | None:
        url = urljoin(cursor.document.url, redirect.text)
        self.transcript.append(("redirect", url))
        if self._queue is not None:  # out of the queue; the Redirect takes over the call
            self._leave_queue("redirected", run_action=False)
        return self._load(url, _method(redirect))

    def _hangup(self, hangup: Node, cursor: _Cursor) -> None:
        self.transcript.append(("hangup",))
        if self._queue is not None:
            self._leave_queue("hangup", run_action=False)
        self._end("completed")

    def _reject(self, reject: Node, cursor: _Cursor) -> None:
        reason = reject.get("reason", "rejected") or "rejected"
        self.transcript.append(("reject", reason))
        self._end("busy" if reason == "busy" else "no-answer")

    def _ignore_message(self, message: Node, cursor: _Cursor) -> _Cursor:
        self.transcript.append(("note", f"<{message.name}> ignored: no text messages in a call"))
        return cursor.next()

    # --- requests ---------------------------------------------------------------------

    def _params(self) -> dict[str, str]:
        params = {
            "AccountSid": self.settings.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.sid,
            "CallStatus": self.status,
            "Direction": "inbound",
            "From": self.from_,
            "To": self.to,
            "Caller": self.from_,
            "Called": self.to,
            "ForwardedFrom": "",
            "CallerName": "",
            **{f"{side}{part}": "" for side in ("From", "To") for part in ("City", "State", "Zip")},
            "FromCountry": country_of(self.from_),
            "ToCountry": country_of(self.to),
            **self.extra_params,
        }
        if self._queue is not None:
            params.update(self._queue_params())
        return params

    def _load(
        self, url: str, method: str = "POST", extra: dict[str, str] | None = None
    ) -> _Cursor | None:
        """Fetch the call's next document; on failure, the fallback or the stock goodbye."""
        self._count_document()
        params = {**self._params(), **(extra or {})}
        request = self.webhooks.send(method, url, params)
        context = Context.QUEUE_WAIT if self._queue is not None else Context.CALL
        try:
            return _Cursor(self._document(request, context, url))
        except TwimlError as error:
            self._error(error.code, url, error.detail)
            if self._queue is not None:
                return self._leave_queue("error")
            return self._fall_back(params, error.code, url)

    def _fall_back(self, params: dict[str, str], code: int, failed_url: str) -> _Cursor | None:
        fallback_url = self.settings.fallback_url
        if fallback_url is not None:
            details = {"ErrorCode": str(code), "ErrorUrl": failed_url}
            request = self.webhooks.send("POST", fallback_url, {**params, **details})
            try:
                return _Cursor(self._document(request, Context.CALL, fallback_url))
            except TwimlError as error:
                self._error(error.code, fallback_url, error.detail)
        self.transcript.append(("say", STOCK_ERROR_MESSAGE, "woman", "en-US"))
        self._end("completed")
        return None

    def _load_ignored(self, url: str, method: str, extra: dict[str, str]) -> None:
        """Request a document after the caller hung up: checked, never played."""
        request = self.webhooks.send(method, url, {**self._params(), **extra})
        try:
            self._document(request, Context.CALL, url)
        except TwimlError as error:
            self._error(error.code, url, error.detail)

    def _load_action(self, verb: Node, cursor: _Cursor, params: dict[str, str]) -> _Cursor | None:
        return self._load(self._action_url(verb, cursor), _method(verb), params)

    @staticmethod
    def _action_url(verb: Node, cursor: _Cursor) -> str:
        """The verb's action resolved like a browser link; the current document by default."""
        return urljoin(cursor.document.url, verb.get("action") or cursor.document.url)

    def _document(self, request: RequestLog, context: Context, url: str) -> Document:
        document = self.webhooks.document(request, context, url)
        for warning in document.warnings:
            self._error(12200, url, warning, warning=True)
        return document

    def _notify(
        self, url: str, method: str, params: dict[str, str], duplicate: bool = False
    ) -> None:
        """Post a callback whose answer Twilio ignores; a failure is still logged (11200)."""
        request = self.webhooks.send(method, url, params)
        deliveries = [request, self.webhooks.resend(request)] if duplicate else [request]
        for delivery in deliveries:
            if problem := self.webhooks.delivery_problem(delivery):
                self._error(TRANSPORT_ERROR, url, problem)

    def _end(self, status: str) -> None:
        self.status = status
        self._pending = None
        self._post_final_status()

    def _post_final_status(self) -> None:
        url = self.settings.status_callback_url
        mode = self.settings.status_callback
        if self._status_callback_sent or url is None or mode == "none":
            return
        self._status_callback_sent = True
        params = {
            **self._params(),
            "CallStatus": self.status,
            "CallDuration": str(self.duration),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": "0",
            "Timestamp": self._timestamp(),
        }
        self._notify(url, "POST", params, duplicate=mode == "twice")

    # --- bookkeeping ------------------------------------------------------------------

    def _expect(self, *kinds: str) -> _Pending:
        if self.ended:
            raise SimulatorError(f"the call has ended ({self.status})")
        if self._pending is None or self._pending.kind not in kinds:
            waiting = self.pending or "nothing"
            raise SimulatorError(f"the call is not waiting for {' or '.join(kinds)} ({waiting})")
        return self._pending

    @staticmethod
    def _position(pending: _Pending) -> _Cursor:
        """Where a pending Gather or Record sits (a queue wait may have no position)."""
        assert pending.cursor is not None
        return pending.cursor

    def _verb(self, pending: _Pending) -> Node:
        verb = self._position(pending).verb()
        assert verb is not None
        return verb

    def _caller_input(self) -> None:
        self._pending = None
        self._documents_since_input = 0
        self._input_mark = len(self.transcript)

    def _count_document(self) -> None:
        self._documents_since_input += 1
        if self._documents_since_input > MAX_DOCUMENTS_WITHOUT_INPUT:
            self._end("failed")
            raise CallLoopError(
                f"more than {MAX_DOCUMENTS_WITHOUT_INPUT} documents without caller input"
            )

    def _error(self, code: int, url: str, detail: str, warning: bool = False) -> None:
        self.errors.append(CallError(code, url, detail, warning))

    def _timestamp(self) -> str:
        return format_datetime(self._started_at + timedelta(seconds=self.clock))


def _method(verb: Node) -> str:
    return verb.get("method", "POST") or "POST"


def _optional_int(verb: Node, attr: str) -> int | None:
    return verb.get_int(attr, 0) if verb.get(attr) is not None else None
