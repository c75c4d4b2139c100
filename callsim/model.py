"""The simulator's records and options: what tests read and what they script."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

TRANSPORT_ERROR = 11200  # HTTP error status, timeout, no response, wrong content type
SAY_INVALID_VOICE = 13511  # warning: the voice cannot speak the language; the <Say> is skipped
SAY_INVALID_TEXT = 13520  # warning: empty <Say>; it is skipped

DialStatus = Literal["completed", "busy", "no-answer", "failed", "canceled"]
DIAL_STATUSES: tuple[str, ...] = ("completed", "busy", "no-answer", "failed", "canceled")
RecordingCallbackMode = Literal["after", "before", "twice", "none", "failed", "absent"]
StatusCallbackMode = Literal["after", "before", "twice", "none"]
SignatureMode = Literal["valid", "wrong", "absent"]

# A transcript event: ("say", text, voice, language), ("play", url), ("pause", seconds), ...
Event = tuple[Any, ...]


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


class SimulatorError(Exception):
    """The test asked for something the call cannot do, or TwiML the simulator cannot play."""


class CallLoopError(SimulatorError):
    """More than 100 documents without caller input: the app is looping."""


@dataclass(frozen=True)
class CallError:
    """An error or warning Twilio would log in its debugger for this call."""

    code: int
    url: str
    detail: str
    warning: bool = False


@dataclass(frozen=True)
class RequestLog:
    """One request the simulator sent and what came back (status None: no response)."""

    method: str
    url: str
    params: Mapping[str, str]
    headers: Mapping[str, str]
    status: int | None
    content_type: str
    body: str
    elapsed_ms: float
    sent_at: float = 0.0  # time.perf_counter() when it was sent: where in a run a slow answer came


@dataclass(frozen=True)
class Recording:
    """A recording made by a <Record> verb."""

    sid: str
    url: str
    duration: int
    call_sid: str


@dataclass(frozen=True)
class DialTarget:
    """One party a <Dial> rings: kind is Number, Client, Sip, Queue or Conference."""

    kind: str
    address: str
    attrs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DialInfo:
    """What a <Dial> asks for, handed to `on_dial`."""

    call_sid: str
    targets: tuple[DialTarget, ...]
    attrs: Mapping[str, str]


@dataclass(frozen=True)
class DialOutcome:
    """How a <Dial> ends; `whisper_keys` are pressed at successive whisper <Gather>s."""

    status: DialStatus = "completed"
    answered_by_index: int = 0
    talk_seconds: int = 30
    whisper_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in DIAL_STATUSES:
            raise ValueError(f"unknown dial status {self.status!r}; use one of {DIAL_STATUSES}")
        if self.talk_seconds < 0 or self.answered_by_index < 0:
            raise ValueError("talk_seconds and answered_by_index cannot be negative")
