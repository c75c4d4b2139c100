"""The Simulator (Twilio's side of a phone number) and scripted caller steps."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from callsim.call import Call
from callsim.call_state import CallSettings, RecordingStore
from callsim.model import (
    DialInfo,
    DialOutcome,
    RecordingCallbackMode,
    SignatureMode,
    StatusCallbackMode,
    new_sid,
)
from callsim.transport import Transport
from callsim.webhook import Webhooks

TWILIO_API_BASE = "https://api.twilio.com"


class Simulator:
    """Plays Twilio's part for calls to one phone number whose webhooks point at the app."""

    def __init__(
        self,
        transport: Transport,
        auth_token: str,
        public_base_url: str | None = None,
        voice_url: str = "/voice/incoming",
        status_callback_url: str | None = "/voice/status",
        fallback_url: str | None = "/voice/fallback",
        *,
        account_sid: str | None = None,
        api_base_url: str = TWILIO_API_BASE,
        recording_store: RecordingStore | None = None,
        signature: SignatureMode = "valid",
        strict: bool = True,
        recording_callback: RecordingCallbackMode = "after",
        status_callback: StatusCallbackMode = "after",
        dial_outcomes: Iterable[DialOutcome] = (),
        on_dial: Callable[[DialInfo], DialOutcome] | None = None,
    ) -> None:
        self.transport = transport
        self.auth_token = auth_token
        self.public_base_url = public_base_url or transport.base_url
        self.account_sid = account_sid or new_sid("AC")
        self.voice_url = self._public(voice_url)
        self.status_callback_url = (
            self._public(status_callback_url) if status_callback_url else None
        )
        self.fallback_url = self._public(fallback_url) if fallback_url else None
        self.api_base_url = api_base_url
        self.recording_store = recording_store
        self.signature = signature
        self.strict = strict
        self.recording_callback = recording_callback
        self.status_callback = status_callback
        self.dial_outcomes: deque[DialOutcome] = deque(dial_outcomes)
        self.on_dial = on_dial

    def dial(
        self,
        from_: str = "+393471234567",
        to: str = "+39800840840",
        *,
        script: Iterable[Step] = (),
        recording_callback: RecordingCallbackMode | None = None,
        status_callback: StatusCallbackMode | None = None,
        **extra_params: str,
    ) -> Call:
        """Place a call to the app, play it until the caller is needed, then run `script`."""
        settings = CallSettings(
            voice_url=self.voice_url,
            status_callback_url=self.status_callback_url,
            fallback_url=self.fallback_url,
            account_sid=self.account_sid,
            api_base_url=self.api_base_url,
            recording_store=self.recording_store,
            recording_callback=recording_callback or self.recording_callback,
            status_callback=status_callback or self.status_callback,
            next_dial_outcome=self.next_dial_outcome,
        )
        webhooks = Webhooks(self.transport, self.auth_token, self.signature, self.strict)
        call = Call(settings, webhooks, from_, to, extra_params)
        call.start()
        for step in script:
            step(call)
        return call

    def next_dial_outcome(self, dial: DialInfo) -> DialOutcome:
        """The scripted outcome, else `on_dial`'s answer, else an answered 30 s call."""
        if self.dial_outcomes:
            return self.dial_outcomes.popleft()
        if self.on_dial is not None:
            return self.on_dial(dial)
        return DialOutcome()

    def _public(self, url: str) -> str:
        return urljoin(self.public_base_url + "/", url)


@dataclass(frozen=True)
class Step:
    """One caller action in a scripted call, e.g. `press("3")`."""

    action: str
    args: tuple[Any, ...] = ()

    def __call__(self, call: Call) -> None:
        """Perform the action on `call`."""
        getattr(call, self.action)(*self.args)


def press(keys: str) -> Step:
    """Press keys at the pending <Gather>."""
    return Step("press", (keys,))


def silence() -> Step:
    """Let the pending <Gather> or <Record> time out."""
    return Step("silence")


def record(seconds: int = 12, finish_key: str | None = "#") -> Step:
    """Leave a message at the pending <Record>."""
    return Step("record", (seconds, finish_key))


def hang_up(recorded_seconds: int = 5) -> Step:
    """Hang up now."""
    return Step("hang_up", (recorded_seconds,))


def advance_queue(seconds: float) -> Step:
    """Wait longer in the queue."""
    return Step("advance_queue", (seconds,))


def bridge_from_queue(talk_seconds: int = 30) -> Step:
    """An operator takes the queued call."""
    return Step("bridge_from_queue", (talk_seconds,))
