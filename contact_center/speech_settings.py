"""The `speech` section of the configuration: callers may answer menus by voice."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Section(BaseModel):
    """Strict like every configuration section: unknown keys and wrong types are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SpeechHints(_Section):
    it: str = "operatore, stato della richiesta, messaggio, ripeti"
    en: str = "operator, request status, message, repeat"

    @field_validator("it", "en")
    @classmethod
    def _phrases(cls, value: str) -> str:
        for phrase in value.split(","):
            if len(phrase.strip()) > 100:
                raise ValueError(f"{phrase.strip()[:30]!r}...: a hint is at most 100 characters")
        return value


class SpeechSettings(_Section):
    enabled: bool = True
    model: str = ""
    timeout: str | int = "auto"
    confidence_threshold: float = Field(default=0.6, ge=0.0, le=1.0)
    hints: SpeechHints = SpeechHints()

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: str | int) -> str | int:
        if value != "auto" and not (isinstance(value, int) and 1 <= value <= 60):
            raise ValueError(f"{value!r} is neither 'auto' nor a number of seconds from 1 to 60")
        return value

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        if value and not re.fullmatch(r"[\w.:/-]{1,80}", value):
            raise ValueError(f"{value!r} is not a Twilio speechModel name")
        return value

    @model_validator(mode="after")
    def _auto_needs_no_model(self) -> SpeechSettings:
        if self.model and self.timeout == "auto":
            raise ValueError("timeout: 'auto' cannot be used with a speech model (Twilio warning 13335); "
                             "give the seconds of silence that end speech")
        return self
