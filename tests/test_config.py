"""The configuration: the shipped file works, a broken one stops with one line naming the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from contact_center.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "config.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_is_the_real_line() -> None:
    settings = load_settings(SHIPPED, environ={})
    assert settings.line.number == "+39800840840"
    assert settings.line.timezone == "Europe/Rome"
    assert settings.hours.weekly.monday == ["09:00-18:00"]
    assert settings.hours.weekly.saturday == []
    assert settings.development.skip_signature_check is False
    assert settings.line.voice_for("en") == ("Polly.Amy", "en-GB")
    assert settings.line.voice_for("it") == ("Polly.Bianca", "it-IT")
    speech = settings.speech
    assert (speech.enabled, speech.timeout, settings.routing.language_fallback) == (True, "auto", True)


def test_every_shipped_key_has_a_comment() -> None:
    for line in SHIPPED.read_text("utf-8").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and not stripped.endswith(":"):
            if stripped.split(":")[0] in {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}:
                continue
            assert "#" in stripped, f"no comment on {stripped!r}"


@pytest.mark.parametrize(("text", "message"), [
    ("line:\n  numbr: '+39800840840'\n", "line.numbr: unknown key"),
    ("ivr:\n  menu_attempts: 'three'\n", "ivr.menu_attempts: Input should be a valid integer"),
    ("hours:\n  weekly:\n    monday: ['09:00-25:00']\n", "hours.weekly.monday.0: '09:00-25:00' is not a valid time"),
    ("hours:\n  weekly:\n    monday: ['18:00-09:00']\n", "hours.weekly.monday.0: '18:00-09:00' ends before it starts"),
    ("line:\n  number: '+39 123'\n", "line.number: '+39 123' is not a valid phone number"),
    ("line:\n  timezone: Europe/Roma\n", "line.timezone: 'Europe/Roma' is not a known time zone"),
    ("voicemail:\n  play_beep: 'yes'\n", "voicemail.play_beep: Input should be a valid boolean"),
    ("line: [1, 2]\n", "line: Input should be a valid dictionary"),
    ("line:\n  number: '+39800840840'\n bad indent\n", "config.yaml: "),
    ("- a list\n", "the file must hold a mapping of sections"),
    ("line:\n  home_regions: ['ITA']\n", "line.home_regions.0: 'ITA' is not a country code such as IT or SM"),
    ("line:\n  english_language: english\n", "line.english_language: 'english' is not a language tag"),
    ("speech:\n  model: phone_call\n", "speech: timeout: 'auto' cannot be used with a speech model"),
    ("speech:\n  timeout: 0\n", "speech.timeout: 0 is neither 'auto' nor a number of seconds from 1 to 60"),
    ("speech:\n  confidence_threshold: 1.5\n", "speech.confidence_threshold: Input should be less than or equal to 1"),
    ("speech:\n  hints:\n    fr: 'bonjour'\n", "speech.hints.fr: unknown key"),
    ("speech:\n  hints:\n    it: '" + "a" * 101 + "'\n", "a hint is at most 100 characters"),
])
def test_a_broken_file_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(write(tmp_path, text), environ={})
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "web:\n  public_base_url: 'https://file.example'\n")
    settings = load_settings(path, environ={
        "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1/test",
        "TWILIO_AUTH_TOKEN": "tok",
        "TWILIO_ACCOUNT_SID": "AC123",
        "SECRET_KEY": "s3cret",
        "PUBLIC_BASE_URL": "https://cc.example.org/",
    })
    assert settings.database.url.startswith("postgresql+psycopg://")
    assert settings.twilio.auth_token == "tok"
    assert settings.twilio.account_sid == "AC123"
    assert settings.web.secret_key == "s3cret"
    assert settings.web.public_base_url == "https://cc.example.org"


def test_config_path_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "line:\n  voice: Polly.Adriano\n")
    assert load_settings(environ={"CONTACT_CENTER_CONFIG": str(path)}).line.voice == "Polly.Adriano"


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_settings(tmp_path / "nope.yaml", environ={})


@pytest.mark.parametrize("text", [
    "lines:\n  number: '+39800840840'\n",
    "hours:\n  weekly:\n    friday: ['25:00-26:00']\n",
    "ivr:\n  gather_timeout_seconds: 'six'\n",
])
def test_the_program_stops_with_one_line_and_no_traceback(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    result = subprocess.run([sys.executable, "-c", "from contact_center.cli import main; main()", "--config", str(path),
                             "callbacks", "list"], capture_output=True, text=True, cwd=tmp_path,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("contact-center: configuration error:")
    assert "Traceback" not in result.stderr


def test_wsgi_entry_refuses_a_broken_file_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "database:\n  urll: x\n")
    result = subprocess.run([sys.executable, "-c", "import wsgi"], capture_output=True, text=True, cwd=tmp_path,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "CONTACT_CENTER_CONFIG": str(path)})
    assert result.returncode == 2
    assert result.stderr.strip() == f"contact-center: configuration error: {path}: database.urll: unknown key"
