"""The configuration of the written channel: outgoing mail (`mail`) and the citizens' form (`written`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mail.endpoint import SmtpEndpoint
from mail.message import check_from

DEFAULT_PRIVACY_NOTICE = (
    "I dati personali inseriti nel modulo sono trattati dal Dipartimento della Protezione Civile "
    "solo per rispondere alla richiesta, ai sensi del Regolamento (UE) 2016/679."
)


class _Section(BaseModel):
    """A strict section, as every section of contact_center.config: unknown keys and wrong types are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class MailSettings(_Section):
    smtp_url: str = ""
    from_address: str = ""
    reply_to: str = ""
    timeout_seconds: int = Field(default=10, ge=1, le=120)
    ca_file: str = ""
    background_sender: bool = True
    poll_seconds: float = Field(default=10.0, gt=0, le=3600)
    batch_size: int = Field(default=20, ge=1, le=500)
    retry_first_seconds: int = Field(default=30, ge=1, le=86400)
    retry_max_seconds: int = Field(default=3600, ge=1, le=86400)
    give_up_hours: int = Field(default=72, ge=1, le=24 * 30)
    notify_status_changes: bool = False

    @field_validator("smtp_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value:
            SmtpEndpoint.parse(value)
        return value.strip()

    @field_validator("from_address", "reply_to")
    @classmethod
    def _address(cls, value: str) -> str:
        return check_from(value) if value.strip() else ""

    @model_validator(mode="after")
    def _sender_needs_an_address(self) -> MailSettings:
        if self.smtp_url and not self.from_address:
            raise ValueError("from_address (MAIL_FROM) is required when smtp_url is set")
        if self.retry_first_seconds > self.retry_max_seconds:
            raise ValueError("retry_first_seconds cannot exceed retry_max_seconds")
        return self

    @property
    def endpoint(self) -> SmtpEndpoint | None:
        """The SMTP server, or None when no mail is sent."""
        return SmtpEndpoint.parse(self.smtp_url) if self.smtp_url else None


class WrittenSettings(_Section):
    privacy_notice: str = DEFAULT_PRIVACY_NOTICE
    privacy_url: str = ""
    max_message_chars: int = Field(default=4000, ge=200, le=5000)
    address_limit: int = Field(default=10, ge=1, le=100_000)
    address_window_seconds: int = Field(default=3600, ge=60, le=7 * 86400)
    recipient_mail_limit: int = Field(default=5, ge=1, le=10_000)
    recipient_window_seconds: int = Field(default=86400, ge=60, le=30 * 86400)

    @field_validator("privacy_notice")
    @classmethod
    def _notice(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the privacy notice cannot be empty: the form asks the citizen to accept it")
        return value.strip()

    @field_validator("privacy_url")
    @classmethod
    def _link(cls, value: str) -> str:
        if value and not value.startswith(("https://", "http://", "/")):
            raise ValueError(f"{value!r} is not an http(s) URL or a path")
        return value
