"""Transcription of messages: a pluggable step, off unless a transcriber is configured.

Twilio's own transcription understands English only, so the service never relies on it. A
transcriber is any object with `transcribe(audio_path, language) -> str | None`; the
configuration names it as "package.module:name" (a class or factory called with no arguments).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Protocol, cast


class TranscriberError(ValueError):
    """The configured transcriber cannot be loaded."""


class Transcriber(Protocol):
    """Turns a recorded message into text."""

    def transcribe(self, audio_path: Path, language: str) -> str | None:
        """The text of the recording at `audio_path`, or None when there is none."""
        ...


class NoTranscription:
    """The default: messages are kept as audio only."""

    def transcribe(self, audio_path: Path, language: str) -> str | None:
        """No text."""
        return None


def load_transcriber(spec: str) -> Transcriber:
    """The transcriber named by `spec` ("package.module:name"), or NoTranscription for ""."""
    if not spec:
        return NoTranscription()
    module_name, _, attribute = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise TranscriberError(f"voicemail.transcriber: cannot load {spec!r} ({error})") from None
    transcriber = factory()
    if not callable(getattr(transcriber, "transcribe", None)):
        raise TranscriberError(f"voicemail.transcriber: {spec!r} has no transcribe(audio_path, language)")
    return cast(Transcriber, transcriber)
