"""What a flow step knows about the call it is answering."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import Gather, VoiceResponse

from contact_center.durable import DATABASE_DOWN
from contact_center.durable_writes import DurableWrite
from contact_center.prompts import HOME_LANGUAGE, other_language
from contact_center.runtime import Runtime
from ivr.speech import Answer, confidence_of, gather_attributes, understand_choice
from ivr.twiml import LANGUAGE_ARG, Speaker, url
from tickets.status import Topic
from voicemail.callbacks import REASONS
from voicemail.numbers import CallbackNumber, usable_caller_id

_TOPICS = frozenset(topic.value for topic in Topic)
WRONG_KEY_PRESSED = "1"  # a menu URL's `invalid` argument: some earlier attempt was a wrong key, not silence


def invalid_arg(invalid: bool) -> str | None:
    """A menu URL's `invalid` argument (left out until a wrong key is pressed)."""
    return WRONG_KEY_PRESSED if invalid else None


@dataclass
class CallContext:
    """One webhook request of one call: Twilio's parameters, our query arguments, services."""

    runtime: Runtime
    params: Mapping[str, str]
    args: Mapping[str, str]
    speaker: Speaker
    origin: str = ""
    language: str = HOME_LANGUAGE  # the caller's: it travels in our URLs (`lang`), left out for the home one
    _session: Session | None = field(default=None, repr=False)

    def url(self, path: str, **query: Any) -> str:
        """An action URL of this call: `twiml.url` carrying the call's language on."""
        if LANGUAGE_ARG not in query and self.language != HOME_LANGUAGE:
            query[LANGUAGE_ARG] = self.language
        return url(path, **query)

    def speaker_in(self, language: str) -> Speaker:
        """A speaker of another language (the language offer, the whisper, announcements)."""
        return Speaker(self.runtime.settings, self.runtime.prompts_in(language))

    @property
    def other_language(self) -> str:
        """The language this caller is offered instead of theirs."""
        return other_language(self.language)

    def gather(self, node: VoiceResponse, **attributes: Any) -> Gather:
        """A <Gather> that takes keys and, with speech on, the caller's voice in the call's language."""
        speech = gather_attributes(self.runtime.settings.speech, self.speaker.language, self.language)
        return node.gather(**speech, **attributes)

    @property
    def speech_on(self) -> bool:
        """Whether callers may answer menus by voice."""
        return self.runtime.settings.speech.enabled

    @property
    def said(self) -> str:
        """What the caller said (Twilio's SpeechResult), or ''."""
        return self.params.get("SpeechResult", "").strip()[:500]

    @property
    def confidence(self) -> float:
        """Twilio's confidence in `said`, 0.0-1.0."""
        return confidence_of(self.params)

    def answer(self, choices: Mapping[str, str]) -> Answer:
        """The caller's answer to a menu: keys, a choice they confirmed earlier (`said`), or words.

        `choices` maps each key of the menu to the name of its words (`speech.<name>` prompts).
        """
        if self.digits:
            return Answer(self.digits)
        confirmed = self.arg("said")
        if confirmed in choices:
            return Answer(confirmed, spoken=True)
        if not self.said:
            return Answer("")
        return understand_choice(self.said, self.confidence, self.runtime.settings.speech.confidence_threshold,
                                 choices, self.speaker.prompts)

    def say_not_valid(self, node: VoiceResponse, answer: Answer) -> None:
        """"La scelta non è valida", or for words that named nothing "Non abbiamo capito la risposta"."""
        self.speaker.say(node, "speech_not_understood" if answer.spoken and not answer.key else "invalid_choice")

    def absolute(self, relative: str) -> str:
        """`relative` (a path and query from twiml.url) on the public origin Twilio reaches us at.

        Actions may stay relative (Twilio resolves them against the document's URL); status
        callbacks of a dialled leg are given absolute, as Twilio's REST API requires of callbacks.
        """
        return f"{self.origin}{relative}" if self.origin else relative

    @property
    def call_sid(self) -> str:
        """Twilio's identifier of the call (empty when Twilio did not send one)."""
        return self.params.get("CallSid", "")[:64]

    @property
    def digits(self) -> str:
        """The keys the caller pressed, or '' for no input."""
        return self.params.get("Digits", "").strip()

    @cached_property
    def caller(self) -> CallbackNumber | None:
        """The caller ID, when it is a number we may call back."""
        return usable_caller_id(self.params.get("From", ""), own_numbers=self.runtime.own_numbers)

    @property
    def session(self) -> Session:
        """A database session for this request, opened on first use."""
        if self._session is None:
            self._session = self.runtime.sessions()
        return self._session

    def close(self) -> None:
        """Release the request's session, if one was opened, even if its connection died."""
        session, self._session = self._session, None
        if session is not None:
            # The rollback on a dead connection may fail: the pool drops that connection.
            with suppress(*DATABASE_DOWN):
                session.close()

    def write(self, write: DurableWrite) -> bool:
        """A write the call must not lose: database now, or the journal while it is down."""
        return self.runtime.writer.apply(write, self.runtime.clock())

    @property
    def message_reason(self) -> str:
        """Why the caller is leaving a message (an unknown value counts as the caller's choice)."""
        reason = self.args.get("reason", "chosen")
        return reason if reason in REASONS else "chosen"

    @property
    def message_topic(self) -> str | None:
        """The topic the caller chose before leaving a message (our own URL carries it), if any."""
        topic = self.args.get("topic", "")
        return topic if topic in _TOPICS else None

    @property
    def wrong_key_pressed(self) -> bool:
        """Whether an earlier attempt at this menu was a wrong key rather than silence (our own URL says)."""
        return self.args.get("invalid") == WRONG_KEY_PRESSED

    def arg(self, name: str, default: str = "") -> str:
        """A query argument of our own action URL."""
        return self.args.get(name, default)

    def arg_int(self, name: str, default: int, low: int = 0, high: int = 1000) -> int:
        """An integer query argument, clamped to [low, high]; garbage gives the default."""
        try:
            value = int(self.args.get(name, default))
        except (TypeError, ValueError):
            return default
        return min(max(value, low), high)
