"""One simulated inbound call: what the caller does, played by the engine the way Twilio plays it.

The call's state and transcript are in call_state.py; the engine (engine.py) runs the documents
with one player per verb family: prompts.py (Say, Play, Pause, Gather), recording.py (Record),
dialing.py (Dial and its whisper), queueing.py (Enqueue, Leave); callbacks.py posts the callbacks.
"""

from __future__ import annotations

from callsim.call_state import CallSettings, CallState
from callsim.engine import Engine
from callsim.model import SimulatorError
from callsim.prompts import KEYS
from callsim.webhook import Webhooks


class Call(CallState):
    """One simulated inbound call; drive it with press/say/silence/record/hang_up."""

    def __init__(
        self,
        settings: CallSettings,
        webhooks: Webhooks,
        from_: str,
        to: str,
        extra_params: dict[str, str],
    ) -> None:
        super().__init__(settings, webhooks, from_, to, extra_params)
        self._engine = Engine(self)

    def start(self) -> None:
        """Ring the app's Voice URL and play until the caller is needed."""
        self._engine.start()

    def press(self, keys: str) -> None:
        """Answer the pending <Gather> with keys, e.g. "123#"."""
        pending = self.expect("gather")
        self.caller_input()
        self._engine.prompts.press(pending, keys)

    def say(self, words: str, confidence: float = 0.92) -> None:
        """Answer the pending <Gather> by voice: Twilio posts SpeechResult and Confidence to its action.

        Refused (SimulatorError) when the Gather does not take speech (its input lacks "speech").
        """
        if not words.strip():
            raise ValueError("say some words (silence() lets the Gather time out)")
        if not 0.0 <= confidence <= 1.0:
            raise ValueError(f"a confidence is between 0 and 1, got {confidence}")
        pending = self.expect("gather")
        accepted = (pending.verb.get("input") or "dtmf").split()
        if "speech" not in accepted:
            raise SimulatorError(f'the <Gather> does not accept speech (input="{" ".join(accepted)}")')
        self.caller_input()
        self._engine.prompts.speak(pending, words, confidence)

    def silence(self) -> None:
        """Do nothing: the pending <Gather> times out, or the <Record> hears nothing."""
        pending = self.expect("gather", "record")
        self.caller_input()
        if pending.kind == "record":
            self._engine.recorder.time_out(pending)
        else:
            self._engine.prompts.time_out(pending)

    def record(self, seconds: int = 12, finish_key: str | None = "#") -> None:
        """Speak for `seconds` then press `finish_key` (None: stop talking, let it time out)."""
        if finish_key is not None and (len(finish_key) != 1 or finish_key not in KEYS):
            raise ValueError(f"{finish_key!r} is not a single phone key")
        pending = self.expect("record")
        self.caller_input()
        self._engine.recorder.speak(pending, seconds, finish_key)

    def hang_up(self, recorded_seconds: int = 5) -> None:
        """The caller hangs up now (a pending <Record> keeps `recorded_seconds` of audio)."""
        pending = self.expect("gather", "record", "queue")
        self.caller_input()
        self.transcript.append(("hangup",))
        recorded = 0
        if pending.kind == "record":
            recorded = min(recorded_seconds, pending.verb.get_int("maxLength", 3600))
            self.clock += recorded
        self.status = "completed"
        if self.settings.status_callback == "before":
            self._engine.callbacks.final_status()
        if pending.kind == "record":
            self._engine.recorder.finish(pending, recorded, "hangup", caller_present=False)
        elif self.queue is not None:
            self._engine.queueing.leave("hangup", run_action=False)
        self._engine.end("completed")

    def advance_queue(self, seconds: float) -> None:
        """Wait `seconds` more in the queue, re-requesting the wait document as Twilio does."""
        self.expect("queue")
        self._engine.queueing.advance(seconds)

    def bridge_from_queue(self, talk_seconds: int = 30) -> None:
        """An operator takes the queued caller, talks `talk_seconds`, then hangs up."""
        if self.ended or self.queue is None:
            raise SimulatorError("the caller is not waiting in a queue")
        self.caller_input()
        self._engine.queueing.bridge(talk_seconds)
