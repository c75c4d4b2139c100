"""A call's state and transcript: what has happened so far, shared by the engine and the verb players."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import lru_cache
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import phonenumbers

from callsim.model import (
    CallError,
    DialInfo,
    DialOutcome,
    Event,
    Recording,
    RecordingCallbackMode,
    RequestLog,
    SimulatorError,
    StatusCallbackMode,
    new_sid,
)
from callsim.twiml import Document, Node
from callsim.voices import speech_seconds
from callsim.webhook import Webhooks

FINAL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
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


def method_of(verb: Node) -> str:
    """The HTTP method a verb's action or URL is requested with."""
    return verb.get("method", "POST") or "POST"


@dataclass
class Cursor:
    """A position in a document: the verb about to run."""

    document: Document
    index: int = 0

    def verb(self) -> Node | None:
        """The verb at this position, or None at the end of the document."""
        verbs = self.document.verbs
        return verbs[self.index] if self.index < len(verbs) else None

    def next(self) -> Cursor:
        """The position after this verb."""
        return Cursor(self.document, self.index + 1)

    def resolve(self, url: str) -> str:
        """A URL found in the document, resolved like a browser link."""
        return urljoin(self.document.url, url)

    def action_url(self, verb: Node) -> str:
        """The verb's action resolved like a browser link; the current document by default."""
        return self.resolve(verb.get("action") or self.document.url)


@dataclass
class Pending:
    """What the call waits for from the caller; `cursor` points at the waiting verb."""

    kind: str  # "gather", "record" or "queue"
    cursor: Cursor | None
    endless: bool = False  # a prompt loops forever (loop="0"): no timeout will come
    recording_sid: str = ""

    @property
    def position(self) -> Cursor:
        """Where a pending Gather or Record sits (a queue wait may have no position)."""
        assert self.cursor is not None
        return self.cursor

    @property
    def verb(self) -> Node:
        """The pending Gather or Record."""
        verb = self.position.verb()
        assert verb is not None
        return verb


@dataclass
class QueueWait:
    """The caller is in a queue: what to resume when the wait is over."""

    name: str
    sid: str
    enqueue: Node
    enqueue_url: str
    resume: Cursor
    entered_at: float

    def waited(self, clock: float) -> str:
        """QueueTime: whole seconds in the queue at `clock`."""
        return str(round(clock - self.entered_at))

    def params(self, clock: float) -> dict[str, str]:
        """The queue parameters Twilio adds to every request made during the wait."""
        waited = self.waited(clock)
        return {
            "QueueSid": self.sid,
            "QueuePosition": "1",
            "QueueTime": waited,
            "AvgQueueTime": waited,
            "CurrentQueueSize": "1",
            "MaxQueueSize": self.enqueue.get("maxQueueSize", MAX_QUEUE_SIZE) or MAX_QUEUE_SIZE,
        }


class Transcript(list[Event]):
    """What the caller heard and did, in order; `times` keeps the simulated clock of each event."""

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__()
        self._clock = clock
        self.times: list[float] = []

    def append(self, event: Event) -> None:
        """Add an event, noting when it started."""
        self.times.append(self._clock())
        super().append(event)


@lru_cache(maxsize=4096)
def country_of(number: str) -> str:
    """ISO country of an E.164 number ("" when unknown, e.g. a withheld caller); kept for the recent numbers."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(number)) or ""
    except phonenumbers.NumberParseException:
        return ""


class CallState:
    """One call's identity, status, simulated clock and transcript, and what it waits for."""

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
        self.transcript: Transcript = Transcript(lambda: self.clock)
        self.operator_transcript: list[Event] = []
        self.errors: list[CallError] = []
        self.recordings: list[Recording] = []
        self.waiting: Pending | None = None  # what the caller is expected to do next
        self.queue: QueueWait | None = None  # the queue the caller waits in
        self.documents_since_input = 0
        self.input_mark = 0  # where the transcript stood when the caller last acted
        self.started_at = datetime.now(UTC)

    # --- what tests read -------------------------------------------------------------

    @property
    def requests(self) -> list[RequestLog]:
        """Every request sent during the call, in order."""
        return self.webhooks.log

    @property
    def pending(self) -> str | None:
        """What the call waits for: "gather", "record", "queue", or None."""
        return self.waiting.kind if self.waiting else None

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

    def heard_by(self, text: str) -> float:
        """Simulated seconds from the first ring to the end of the first <Say> containing `text`."""
        for event, started in zip(self.transcript, self.transcript.times, strict=True):
            if event[0] == "say" and text in event[1]:
                return started + speech_seconds(event[1])
        raise SimulatorError(f"the caller never heard {text!r}")

    def heard_since_last_input(self) -> str:
        """The <Say> texts heard since the caller last acted."""
        events = self.transcript[self.input_mark :]
        return "\n".join(event[1] for event in events if event[0] == "say")

    def requests_to(self, path: str) -> list[RequestLog]:
        """The requests whose URL path is `path`."""
        return [request for request in self.requests if urlsplit(request.url).path == path]

    # --- bookkeeping ------------------------------------------------------------------

    def expect(self, *kinds: str) -> Pending:
        """What the call waits for, if it is one of `kinds`; else SimulatorError."""
        if self.ended:
            raise SimulatorError(f"the call has ended ({self.status})")
        if self.waiting is None or self.waiting.kind not in kinds:
            waiting = self.pending or "nothing"
            raise SimulatorError(f"the call is not waiting for {' or '.join(kinds)} ({waiting})")
        return self.waiting

    def caller_input(self) -> None:
        """The caller acts: nothing is pending any more, and a new stretch of hearing starts."""
        self.waiting = None
        self.documents_since_input = 0
        self.input_mark = len(self.transcript)

    def error(self, code: int, url: str, detail: str, warning: bool = False) -> None:
        """Log an error (or warning) in the call's debugger."""
        self.errors.append(CallError(code, url, detail, warning))

    def timestamp(self) -> str:
        """The callbacks' Timestamp: the wall-clock start plus the simulated clock."""
        return format_datetime(self.started_at + timedelta(seconds=self.clock))

    def params(self) -> dict[str, str]:
        """The parameters of every request about this call (queue ones while it waits)."""
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
        if self.queue is not None:
            params.update(self.queue.params(self.clock))
        return params
