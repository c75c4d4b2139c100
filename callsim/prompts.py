"""<Say>, <Play>, <Pause> and <Gather>: what the caller hears, and the keys they press."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urljoin

from callsim.call_state import CallState, Cursor, Pending
from callsim.model import SAY_INVALID_TEXT, SAY_INVALID_VOICE, Event, SimulatorError
from callsim.twiml import Node
from callsim.voices import DEFAULT_LANGUAGE, DEFAULT_VOICE, speech_seconds, voice_problem

if TYPE_CHECKING:
    from callsim.engine import Engine

KEYS = "0123456789*#"
PLAY_SECONDS = 5.0  # assumed length of one <Play> of an audio file
DIGIT_SECONDS = 0.5  # one DTMF tone, played or pressed
AUTO_SPEECH_END_SECONDS = 1.0  # the silence after speech with speechTimeout="auto"
SPEECH_TIMEOUT_AUTO_WITH_MODEL = 13335  # warning: speechTimeout="auto" together with a speechModel


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


def gather_entry(gather: Node, keys: str) -> KeyEntry:
    """The keys as this <Gather> (its finishOnKey and numDigits) collects them."""
    num_digits = gather.get_int("numDigits", 0) if gather.get("numDigits") is not None else None
    return collect_digits(keys, gather.get("finishOnKey", "#") or "", num_digits)


def play_prompt(call: CallState, verb: Node, transcript: list[Event], url: str) -> bool:
    """Play a Say/Play/Pause into `transcript`; True when it loops forever."""
    if verb.name == "Pause":
        length = verb.get_int("length", 1)
        transcript.append(("pause", length))
        call.clock += length
        return False
    if verb.name == "Say":
        event = _say_event(call, verb, url)
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
        call.clock += seconds
    return loop == 0


def _say_event(call: CallState, say: Node, url: str) -> Event | None:
    """What the caller hears of a <Say>; None (and a 13520 or 13511 warning) when it is skipped."""
    voice = say.get("voice", DEFAULT_VOICE) or DEFAULT_VOICE
    language = say.get("language", DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE
    if not say.text:
        call.error(SAY_INVALID_TEXT, url, "<Say> has no text", warning=True)
        return None
    if problem := voice_problem(voice, language):
        call.error(SAY_INVALID_VOICE, url, f"{problem}: {say.text!r}", warning=True)
        return None
    return ("say", say.text, voice, language)


class Prompts:
    """Plays the prompts and <Gather>, and hands the caller's keys to the Gather's action."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.call = engine.call

    def play(self, verb: Node, cursor: Cursor) -> Cursor | None:
        """Play a Say/Play/Pause; one looping forever is the queue's hold music, or an error."""
        if not play_prompt(self.call, verb, self.call.transcript, cursor.document.url):
            return cursor.next()
        if self.call.queue is None:
            raise SimulatorError(
                f'<{verb.name} loop="0"> outside a <Gather> plays forever ({cursor.document.url})'
            )
        self.call.waiting = Pending("queue", cursor, endless=True)
        return None

    def gather(self, gather: Node, cursor: Cursor) -> None:
        """Play the Gather's prompts, then wait for the caller's keys (or words)."""
        self.call.transcript.append(("gather", dict(gather.attrs)))
        takes_speech = "speech" in (gather.get("input") or "dtmf").split()
        if takes_speech and gather.get("speechTimeout") == "auto" and gather.get("speechModel"):
            self.call.error(SPEECH_TIMEOUT_AUTO_WITH_MODEL, cursor.document.url,
                            "Gather: speechTimeout auto cannot be used with a speechModel", warning=True)
        endless = False
        for prompt in gather.children:
            loops = play_prompt(self.call, prompt, self.call.transcript, cursor.document.url)
            endless = loops or endless
        self.call.waiting = Pending("gather", cursor, endless=endless)

    def press(self, pending: Pending, keys: str) -> None:
        """The caller pressed `keys` at the pending <Gather>."""
        gather = pending.verb
        entry = gather_entry(gather, keys)
        self.call.clock += DIGIT_SECONDS * len(keys)
        if entry.timed_out:
            self.call.clock += gather.get_int("timeout", 5)
        position = pending.position
        if not entry.digits or "dtmf" not in (gather.get("input") or "dtmf").split():
            self.engine.run(self._without_input(gather, position))
            return
        params = {"Digits": entry.digits}
        if entry.finished_on_key:
            params["FinishedOnKey"] = entry.finished_on_key
        self.engine.run(self.engine.load_action(gather, position, params))

    def speak(self, pending: Pending, words: str, confidence: float) -> None:
        """The caller said `words` at the pending <Gather>: its action gets SpeechResult and Confidence."""
        gather = pending.verb
        self.call.transcript.append(("spoken", words))
        timeout = gather.get("speechTimeout", "auto") or "auto"
        end = AUTO_SPEECH_END_SECONDS if timeout == "auto" else float(gather.get_int("speechTimeout", 1))
        self.call.clock += speech_seconds(words) + end
        params = {"SpeechResult": words, "Confidence": f"{confidence:.8f}".rstrip("0").rstrip(".")}
        self.engine.run(self.engine.load_action(gather, pending.position, params))

    def time_out(self, pending: Pending) -> None:
        """The caller pressed nothing: the pending <Gather> times out."""
        if pending.endless:
            raise SimulatorError("the <Gather> prompt loops forever: it never times out")
        gather = pending.verb
        self.call.clock += gather.get_int("timeout", 5)
        self.engine.run(self._without_input(gather, pending.position))

    def _without_input(self, gather: Node, cursor: Cursor) -> Cursor | None:
        if gather.get_bool("actionOnEmptyResult", False):
            return self.engine.load_action(gather, cursor, {"Digits": ""})
        return cursor.next()
