"""Which <Say> voices speak which languages, and how long speech takes."""

from __future__ import annotations

DEFAULT_VOICE = "man"
DEFAULT_LANGUAGE = "en-US"
WORDS_PER_SECOND = 2.5

_BASIC = frozenset({"en-US", "en-GB", "es-ES", "fr-FR", "de-DE"})
_ALICE = frozenset(
    {"da-DK", "de-DE", "en-AU", "en-CA", "en-GB", "en-IN", "en-US", "ca-ES", "es-ES", "es-MX",
     "fi-FI", "fr-CA", "fr-FR", "it-IT", "ja-JP", "ko-KR", "nb-NO", "nl-NL", "pl-PL", "pt-BR",
     "pt-PT", "ru-RU", "sv-SE", "zh-CN", "zh-HK", "zh-TW"}
)
_CLASSIC_VOICES = {"man": _BASIC, "woman": _BASIC, "alice": _ALICE}
_POLLY_LANGUAGES = {
    **dict.fromkeys(("Bianca", "Carla", "Giorgio", "Adriano"), "it-IT"),
    **dict.fromkeys(("Joanna", "Matthew", "Kendra", "Joey", "Salli", "Kimberly", "Ivy"), "en-US"),
    **dict.fromkeys(("Amy", "Brian", "Emma", "Arthur"), "en-GB"),
    **dict.fromkeys(("Lucia", "Conchita", "Enrique", "Sergio"), "es-ES"),
    **dict.fromkeys(("Celine", "Lea", "Mathieu", "Remi"), "fr-FR"),
    **dict.fromkeys(("Marlene", "Vicki", "Hans", "Daniel"), "de-DE"),
}


def voice_problem(voice: str, language: str) -> str | None:
    """Why Twilio would refuse this voice for this language (error 13511), or None."""
    if voice in _CLASSIC_VOICES:
        speaks = language in _CLASSIC_VOICES[voice]
    elif voice.startswith("Google."):
        speaks = voice.removeprefix("Google.").startswith(language + "-")
    elif voice.startswith("Polly."):
        name = voice.removeprefix("Polly.").split("-")[0]
        speaks = _POLLY_LANGUAGES.get(name, language) == language  # unknown voices pass
    else:
        return f"unknown voice {voice!r}"
    return None if speaks else f"voice {voice!r} cannot speak language {language!r}"


def speech_seconds(text: str) -> float:
    """How long a text takes to say, at about 2.5 words a second (at least one second)."""
    return max(1.0, len(text.split()) / WORDS_PER_SECOND)
