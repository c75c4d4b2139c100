"""The `privacy` section of the configuration: the notice callers hear and pages show, and retention per kind."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from privacy.retention import RetentionPolicy


class _Section(BaseModel):
    """Strict like every configuration section: unknown keys and wrong types are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SpokenSite(_Section):
    """The notice's web address as the voice says it, per prompts language."""

    it: str = "protezionecivile punto gov punto it"
    en: str = "protezionecivile dot gov dot it"


class RetentionDays(_Section):
    """Days each kind of personal data is kept (from the closing of its entry or ticket, or from the event).

    Recordings keep their older key, `voicemail.retention_days`.
    """

    callback_numbers: int = Field(default=90, ge=1, le=3650)
    ticket_contacts: int = Field(default=730, ge=1, le=3650)
    ticket_summaries: int = Field(default=730, ge=1, le=3650)
    call_log_numbers: int = Field(default=90, ge=1, le=3650)
    audit_addresses: int = Field(default=365, ge=1, le=3650)
    outbox_mails: int = Field(default=90, ge=1, le=3650)

    def policy(self, recordings_days: int) -> RetentionPolicy:
        """The days as the domain's policy, with the recordings' days (voicemail.retention_days)."""
        return RetentionPolicy(recordings=recordings_days, **self.model_dump())


class PrivacySettings(_Section):
    notice_url: str = "https://www.protezionecivile.gov.it/it/pagina-base/privacy/"
    web_notice: str = ("I dati personali sono trattati dal Dipartimento della Protezione Civile solo per "
                       "rispondere alla richiesta, ai sensi del Regolamento (UE) 2016/679.")
    spoken_site: SpokenSite = SpokenSite()
    retention_days: RetentionDays = RetentionDays()

    @field_validator("notice_url")
    @classmethod
    def _link(cls, value: str) -> str:
        if not value.startswith(("https://", "http://", "/")):
            raise ValueError(f"{value!r} is not an http(s) URL or a path: the notice must link the full text")
        return value

    @field_validator("web_notice")
    @classmethod
    def _text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the privacy notice cannot be empty")
        return value.strip()
