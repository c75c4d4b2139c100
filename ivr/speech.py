"""What a caller said, understood: menu choices and digits from Twilio's SpeechResult.

Twilio transcribes; these functions decide. The words each language accepts are prompts data
(`speech.*` in contact_center/prompts/*/speech.yaml): for a menu, phrases per choice; for a code
or a number, the digit words ("due nove", "double seven") and numerals ("298"). An answer is read
back for confirmation when Twilio's Confidence is below the configured threshold, or when it is
ambiguous: two choices named at once, or digits mixed with words that are not fillers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contact_center.prompts import Prompts
from contact_center.speech_settings import SpeechSettings

_PUNCTUATION = re.compile(r"[^\w\s]")
_NUMERAL = re.compile(r"\d+")
KEY_DIGITS = "0123456789"


def normalise(text: str) -> list[str]:
    """Lower-case words without accents or punctuation: "Sì, l'operatore!" -> ["si", "l", "operatore"]."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _PUNCTUATION.sub(" ", plain).split()


def _phrases(prompts: Prompts, name: str) -> list[list[str]]:
    """The normalised phrases of the prompt `speech.<name>` (comma-separated)."""
    return [words for phrase in prompts(f"speech.{name}").split(",") if (words := normalise(phrase))]


def first_phrase(prompts: Prompts, name: str) -> str:
    """The phrase read back for a choice: the first of its list, as written."""
    return prompts(f"speech.{name}").split(",")[0].strip()


def _find(words: Sequence[str], phrase: Sequence[str]) -> int | None:
    """Where `phrase` starts in `words` (whole words), or None."""
    for start in range(len(words) - len(phrase) + 1):
        if list(words[start:start + len(phrase)]) == list(phrase):
            return start
    return None


@dataclass(frozen=True)
class Answer:
    """A caller's answer to a menu: the key it stands for, and whether to read it back first."""

    key: str  # the key pressed or named; "" when nothing was understood
    spoken: bool = False  # the answer came by voice
    confirm: bool = False  # read `heard` back and wait for a yes before acting on it
    heard: str = ""  # what the caller is asked to confirm


def confidence_of(params: Mapping[str, str]) -> float:
    """Twilio's Confidence (0.0-1.0); missing or garbled counts as no confidence."""
    try:
        value = float(params.get("Confidence", ""))
    except ValueError:
        return 0.0
    return min(max(value, 0.0), 1.0) if value == value else 0.0


def understand_choice(said: str, confidence: float, threshold: float, choices: Mapping[str, str],
                      prompts: Prompts) -> Answer:
    """The menu key named in `said` (choices: key -> vocabulary name); the earliest named one wins.

    A key's own digit ("due", "2") names it too. Two keys named at once, or a confidence below
    `threshold`, ask for confirmation; nothing named gives an empty key.
    """
    words = normalise(said)
    found: list[tuple[int, int, str]] = []
    for key, name in choices.items():
        phrases = _phrases(prompts, name)
        if key in KEY_DIGITS:
            phrases += [[key], *_phrases(prompts, f"digit.{key}")]
        starts = [(start, -len(phrase)) for phrase in phrases if (start := _find(words, phrase)) is not None]
        if starts:
            start, longest = min(starts)
            found.append((start, longest, key))
    if not found:
        return Answer("", spoken=True)
    found.sort()
    key = found[0][2]
    named = {entry[2] for entry in found}
    confirm = confidence < threshold or len(named) > 1
    return Answer(key, spoken=True, confirm=confirm, heard=first_phrase(prompts, choices[key]))


@dataclass(frozen=True)
class Digits:
    """Digits said aloud: the digits, a leading "plus", and whether other words came with them."""

    digits: str
    plus: bool = False
    clean: bool = True


def _digit_words(prompts: Prompts) -> dict[str, str]:
    """Each digit word of the language, and the digit it stands for."""
    return {word: digit for digit in KEY_DIGITS for words in _phrases(prompts, f"digit.{digit}") for word in words}


def understand_digits(said: str, prompts: Prompts) -> Digits:
    """The digits in `said`, word by word ("due nove otto", "two double seven", "298 1").

    Fillers ("il codice è") are skipped; any other word marks the digits as not clean.
    """
    digit_words = _digit_words(prompts)
    fillers = {word for phrase in _phrases(prompts, "fillers") for word in phrase}
    multipliers = {**{word: 2 for phrase in _phrases(prompts, "double") for word in phrase},
                   **{word: 3 for phrase in _phrases(prompts, "triple") for word in phrase}}
    plus_words = {word for phrase in _phrases(prompts, "plus") for word in phrase}
    digits, clean, plus, times = "", True, False, 1
    for word in normalise(said):
        if _NUMERAL.fullmatch(word):
            digits += word[0] * (times - 1) + word
        elif word in digit_words:
            digits += digit_words[word] * times
        elif word in multipliers:
            times = multipliers[word]
            continue
        elif word in plus_words and not digits:
            plus = True
        elif word not in fillers:
            clean = False
        times = 1
    return Digits(digits, plus, clean)


def gather_attributes(speech: SpeechSettings, language_tag: str, prompts_language: str) -> dict[str, Any]:
    """The <Gather> attributes that let the caller answer by voice (none when speech is off)."""
    if not speech.enabled:
        return {}
    attributes: dict[str, Any] = {
        "input": "dtmf speech",
        "language": language_tag,
        "speech_timeout": str(speech.timeout),
    }
    hints = getattr(speech.hints, prompts_language, "")
    if hints:
        attributes["hints"] = hints
    if speech.model:
        attributes["speech_model"] = speech.model
    return attributes
