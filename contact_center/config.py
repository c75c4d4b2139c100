"""Configuration: the YAML file, validated, with environment overrides."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from access.throttle import ThrottlePolicy
from agents.presence import PresencePolicy
from contact_center.config_types import E164, Band, LanguageTag, Region, TimeZoneName, check_e164
from contact_center.mail_config import MailSettings, WrittenSettings
from contact_center.privacy_settings import PrivacySettings
from contact_center.speech_settings import SpeechSettings
from hours.model import ClosedDate, LocalHoliday, WeeklySchedule
from tickets.codes import DEFAULT_CODE_LENGTH, OLDER_CODE_LENGTHS
from tickets.ratelimit import LookupLimits
from voicemail.store import S3_SCHEME, parse_s3_url

DEFAULT_CONFIG_PATH = "config.yaml"

ENV_OVERRIDES: dict[str, tuple[str, ...]] = {
    "DATABASE_URL": ("database", "url"),
    "TWILIO_AUTH_TOKEN": ("twilio", "auth_token"),
    "TWILIO_ACCOUNT_SID": ("twilio", "account_sid"),
    "SECRET_KEY": ("web", "secret_key"),
    "PUBLIC_BASE_URL": ("web", "public_base_url"),
    "METRICS_TOKEN": ("operations", "metrics_token"),
    "RECORDINGS_STORE": ("voicemail", "recordings_store"),
    "FALLBACK_BASE_URL": ("web", "fallback_base_url"),
    "SMTP_URL": ("mail", "smtp_url"),
    "MAIL_FROM": ("mail", "from_address"),
}

class ConfigError(Exception):
    """The configuration cannot be used; the message is one line naming the key."""


class Section(BaseModel):
    """A strict configuration section: unknown keys and wrong types are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class LineSettings(Section):
    number: E164 = "+39800840840"
    name: str = "Contact Center del Dipartimento della Protezione Civile"
    timezone: TimeZoneName = "Europe/Rome"
    language: LanguageTag = "it-IT"
    voice: str = "Polly.Bianca"
    english_language: LanguageTag = "en-GB"
    english_voice: str = "Polly.Amy"
    foreign_callers_in_english: bool = True
    home_regions: list[Region] = ["IT", "SM", "VA"]

    @property
    def home_region_set(self) -> frozenset[str]:
        """`home_regions`, as a set (hashable: a key of the caller checks' cache)."""
        return frozenset(self.home_regions)

    def voice_for(self, language: str) -> tuple[str, str]:
        """The Twilio voice and language tag that speak a prompts language ("it" or "en")."""
        if language == "en":
            return self.english_voice, self.english_language
        return self.voice, self.language


class WeeklyHours(Section):
    monday: list[Band] = ["09:00-18:00"]
    tuesday: list[Band] = ["09:00-18:00"]
    wednesday: list[Band] = ["09:00-18:00"]
    thursday: list[Band] = ["09:00-18:00"]
    friday: list[Band] = ["09:00-18:00"]
    saturday: list[Band] = []
    sunday: list[Band] = []

    @model_validator(mode="after")
    def _disjoint(self) -> WeeklyHours:
        WeeklySchedule.parse(self.model_dump())
        return self


def split_name(text: str) -> tuple[str, str | None]:
    """A dated entry and its optional name: "06-29 Santi Pietro e Paolo" -> ("06-29", "Santi Pietro e Paolo")."""
    value, _, name = text.strip().partition(" ")
    return value, name.strip() or None


class HoursSettings(Section):
    weekly: WeeklyHours = WeeklyHours()
    local_holidays: list[str] = ["06-29 Santi Pietro e Paolo"]
    closed_dates: list[str] = []

    @field_validator("local_holidays")
    @classmethod
    def _month_days(cls, values: list[str]) -> list[str]:
        for value in values:
            LocalHoliday.parse(*split_name(value))
        return values

    @field_validator("closed_dates")
    @classmethod
    def _dates(cls, values: list[str]) -> list[str]:
        for value in values:
            ClosedDate.parse(*split_name(value))
        return values

    def local_holiday_list(self) -> tuple[LocalHoliday, ...]:
        """The yearly local holidays, with their names."""
        return tuple(LocalHoliday.parse(*split_name(value)) for value in self.local_holidays)

    def closed_date_list(self) -> tuple[ClosedDate, ...]:
        """The one-off closed dates, with their reasons."""
        return tuple(ClosedDate.parse(*split_name(value)) for value in self.closed_dates)

    def weekly_schedule(self) -> WeeklySchedule:
        """The weekly bands as the opening-hours engine's schedule."""
        return WeeklySchedule.parse(self.weekly.model_dump())


class DatabaseSettings(Section):
    url: str = "sqlite:///instance/contact-center.db"
    instance_dir: str = "instance"


class TwilioSettings(Section):
    account_sid: str = ""
    auth_token: str = ""
    api_base_url: str = ""


class WebSettings(Section):
    public_base_url: str = ""
    fallback_base_url: str = ""
    secret_key: str = ""
    max_body_bytes: int = Field(default=65536, ge=1024)
    embed_origins: list[str] = Field(default_factory=list)

    @property
    def strict_transport_security(self) -> str | None:
        """The HSTS header every answer carries when the public URL is https (None otherwise)."""
        return "max-age=31536000" if self.public_base_url.startswith("https://") else None

    @field_validator("embed_origins")
    @classmethod
    def _embedders(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d+)?", origin):
                raise ValueError(f"{origin!r} is not an origin (scheme://host[:port])")
        return value

    @field_validator("public_base_url", "fallback_base_url")
    @classmethod
    def _origin(cls, value: str) -> str:
        if value and not re.fullmatch(r"https?://[^/\s]+(/[^\s]*)?", value):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")


class IvrSettings(Section):
    prompts_file: str = ""
    english_prompts_file: str = ""
    gather_timeout_seconds: int = Field(default=6, ge=1, le=60)
    menu_attempts: int = Field(default=3, ge=1, le=10)


class VoicemailSettings(Section):
    max_length_seconds: int = Field(default=180, ge=5, le=3600)
    finish_on_key: str = "#"
    play_beep: bool = True
    trim_silence: bool = True
    silence_timeout_seconds: int = Field(default=5, ge=1, le=60)
    number_attempts: int = Field(default=3, ge=1, le=10)
    recordings_store: str = ""
    recordings_encryption: Literal["bucket-default", "AES256", "aws:kms"] = "bucket-default"
    recordings_kms_key_id: str = ""
    recording_format: Literal["wav", "mp3"] = "wav"
    delete_from_twilio: bool = False
    copy_max_attempts: int = Field(default=8, ge=1, le=100)
    twilio_timeout_seconds: int = Field(default=10, ge=1, le=60)
    transcriber: str = ""
    retention_days: int = Field(default=90, ge=1, le=3650)
    max_attempts: int = Field(default=3, ge=1, le=20)
    retry_delays_minutes: list[int] = [15, 60, 240]
    claim_timeout_minutes: int = Field(default=30, ge=1, le=24 * 60)
    sms_tracking_code: bool = False
    sms_from: str = ""

    @model_validator(mode="before")
    @classmethod
    def _older_name(cls, data: Any) -> Any:
        """`recordings_dir`, the key's older name, still names a local folder (recordings_store wins)."""
        if isinstance(data, dict) and "recordings_dir" in data:
            data = dict(data)
            older = data.pop("recordings_dir")
            data["recordings_store"] = data.get("recordings_store") or older
        return data

    @field_validator("recordings_store")
    @classmethod
    def _store(cls, value: str) -> str:
        if value.startswith(S3_SCHEME):
            parse_s3_url(value)
        elif "://" in value:
            raise ValueError(f"{value!r} is neither a folder nor an s3://BUCKET/PREFIX URL")
        return value

    @field_validator("finish_on_key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9*#]{1,12}", value):
            raise ValueError(f"{value!r} is not a set of keypad keys (0-9, *, #)")
        return value

    @field_validator("retry_delays_minutes")
    @classmethod
    def _delays(cls, values: list[int]) -> list[int]:
        if not values or any(value < 1 for value in values):
            raise ValueError("give at least one delay, each of 1 minute or more")
        return values

    @field_validator("transcriber")
    @classmethod
    def _import_path(cls, value: str) -> str:
        if value and not re.fullmatch(r"[\w.]+:\w+", value):
            raise ValueError(f"{value!r} is not of the form package.module:name")
        return value

    @field_validator("sms_from")
    @classmethod
    def _sender(cls, value: str) -> str:
        return check_e164(value) if value else value

    @model_validator(mode="after")
    def _sms_needs_a_sender(self) -> VoicemailSettings:
        if self.sms_tracking_code and not self.sms_from:
            raise ValueError("sms_from: the sender number is required when sms_tracking_code is true")
        return self


class RoutingSettings(Section):
    ring_timeout_seconds: int = Field(default=20, ge=5, le=120)
    ring_margin_seconds: int = Field(default=15, ge=1, le=300)
    max_tries: int = Field(default=3, ge=1, le=10)
    misses_before_away: int = Field(default=3, ge=1, le=20)
    wrap_up_seconds: int = Field(default=30, ge=0, le=1800)
    max_call_seconds: int = Field(default=3600, ge=60, le=14400)
    topic_menu: bool = True
    hold_queue_max_wait_seconds: int = Field(default=0, ge=0, le=3600)
    hold_queue_pause_seconds: int = Field(default=10, ge=1, le=60)
    language_fallback: bool = True

    def presence_policy(self) -> PresencePolicy:
        """The limits after which operators' presence heals by itself."""
        return PresencePolicy(ring_timeout_seconds=self.ring_timeout_seconds,
                              ring_margin_seconds=self.ring_margin_seconds,
                              max_call_seconds=self.max_call_seconds,
                              wrap_up_seconds=self.wrap_up_seconds,
                              misses_before_away=self.misses_before_away)


class TicketsSettings(Section):
    code_length: int = Field(default=DEFAULT_CODE_LENGTH, ge=6, le=16)
    older_code_lengths: list[Annotated[int, Field(ge=6, le=16)]] = Field(
        default_factory=lambda: list(OLDER_CODE_LENGTHS))
    call_attempts: int = Field(default=3, ge=1, le=10)
    caller_failure_limit: int = Field(default=10, ge=1)
    caller_window_seconds: int = Field(default=3600, ge=1)
    global_failure_limit: int = Field(default=1000, ge=1)
    global_window_seconds: int = Field(default=600, ge=1)
    alert_delay_ms: int = Field(default=500, ge=0, le=5000)
    trusted_proxy_hops: int = Field(default=0, ge=0, le=5)

    @property
    def accepted_code_lengths(self) -> tuple[int, ...]:
        """The lengths a code may have when it is looked up: new codes' first, then older codes'."""
        return (self.code_length, *sorted(set(self.older_code_lengths) - {self.code_length}))

    def lookup_limits(self) -> LookupLimits:
        """The failed-lookup limits of the tickets domain."""
        return LookupLimits(per_caller=self.caller_failure_limit, per_caller_window_s=self.caller_window_seconds,
                            global_=self.global_failure_limit, global_window_s=self.global_window_seconds)


class ConsoleSettings(Section):
    secure_cookies: Literal["auto", "always", "never"] = "auto"
    session_hours: int = Field(default=10, ge=1, le=7 * 24)
    lockout_attempts: int = Field(default=5, ge=1, le=100)
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    min_password_length: int = Field(default=12, ge=8, le=128)
    page_size: int = Field(default=50, ge=10, le=500)
    callback_target_hours: int = Field(default=24, ge=1, le=14 * 24)
    operator_ring_seconds: int = Field(default=25, ge=5, le=120)


    def throttle_policy(self) -> ThrottlePolicy:
        """Sign-in delays: free failures per (name, address), four times as many per address."""
        return ThrottlePolicy(per_account_address=self.lockout_attempts, per_address=4 * self.lockout_attempts,
                              max_delay=timedelta(minutes=self.lockout_minutes))


class OperationsSettings(Section):
    metrics_token: str = ""
    replay_interval_seconds: float = Field(default=2.0, gt=0, le=300)
    log_format: Literal["json", "text"] = "json"


class DevelopmentSettings(Section):
    skip_signature_check: bool = False


class Settings(Section):
    """The whole configuration of the service."""

    line: LineSettings = LineSettings()
    hours: HoursSettings = HoursSettings()
    database: DatabaseSettings = DatabaseSettings()
    twilio: TwilioSettings = TwilioSettings()
    web: WebSettings = WebSettings()
    ivr: IvrSettings = IvrSettings()
    speech: SpeechSettings = SpeechSettings()
    voicemail: VoicemailSettings = VoicemailSettings()
    routing: RoutingSettings = RoutingSettings()
    tickets: TicketsSettings = TicketsSettings()
    console: ConsoleSettings = ConsoleSettings()
    operations: OperationsSettings = OperationsSettings()
    mail: MailSettings = MailSettings()
    written: WrittenSettings = WrittenSettings()
    privacy: PrivacySettings = PrivacySettings()
    development: DevelopmentSettings = DevelopmentSettings()


def _describe(error: dict[str, Any]) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{key}: unknown key"
    message = error["msg"].removeprefix("Value error, ")
    if kind.endswith("_type"):
        message = f"{message}, got {type(error['input']).__name__} {error['input']!r}"
    return f"{key}: {message}"


def _apply_env(data: dict[str, Any], environ: os._Environ[str] | dict[str, str]) -> None:
    for variable, (section, key) in ENV_OVERRIDES.items():
        value = environ.get(variable)
        if value:
            block = data.setdefault(section, {})
            if not isinstance(block, dict):
                raise ConfigError(f"{section}: expected a mapping of keys")
            block[key] = value


def settings_from_mapping(data: dict[str, Any] | None, origin: str = "configuration") -> Settings:
    """Validate a configuration mapping; raise ConfigError with one line naming the key."""
    try:
        return Settings.model_validate(data or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        more = len(exc.errors()) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(f"{origin}: {_describe(first)}{suffix}") from None


def load_settings(path: str | os.PathLike[str] | None = None,
                  environ: dict[str, str] | None = None) -> Settings:
    """Read the YAML file named by the argument or CONTACT_CENTER_CONFIG, with env overrides."""
    env = os.environ if environ is None else environ
    config_path = Path(path or env.get("CONTACT_CENTER_CONFIG") or DEFAULT_CONFIG_PATH)
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{config_path}: configuration file not found") from None
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot read the configuration file ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(f"{config_path}: {problem}{where}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{config_path}: the file must hold a mapping of sections")
    _apply_env(data, env)
    return settings_from_mapping(data, origin=str(config_path))
