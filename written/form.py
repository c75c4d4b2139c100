"""A written request as a citizen or an operator typed it: checked field by field, errors as keys.

The checks never let a line break into a value that could reach a mail header: the e-mail
address is refused (email-validator), the name's whitespace is collapsed; the message keeps its
lines but only ever goes in a ticket, never in a mail.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from mail.message import check_address
from tickets.intake import MAX_EMAIL_CHARS, contact_phone
from tickets.status import Channel, Topic

FIELDS: Final = ("topic", "name", "email", "phone", "message", "consent")
HONEYPOT_FIELD: Final = "sito_web"  # hidden from people; a bot that fills it is refused
TOKEN_FIELD: Final = "token"
MAX_NAME_CHARS: Final = 120
MAX_PHONE_CHARS: Final = 40
CONSENT_VALUES: Final = frozenset({"si", "sì", "on", "1", "true", "yes"})
CONSOLE_CHANNELS: Final = (Channel.PHONE, Channel.EMAIL, Channel.FAX, Channel.LETTER)


@dataclass(frozen=True)
class FormRules:
    """What a form requires: the citizens' form wants an e-mail and the privacy consent."""

    max_message_chars: int
    require_email: bool = True
    require_consent: bool = True


@dataclass(frozen=True)
class WrittenRequest:
    """A checked request: topic, text, and how to reach the writer."""

    topic: Topic
    message: str
    email: str | None = None
    name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class FormCheck:
    """The checked request, or the errors by field (values: error keys of texts.yaml, with their numbers)."""

    request: WrittenRequest | None
    errors: dict[str, tuple[str, dict[str, int]]] = field(default_factory=dict)


def _printable_line(raw: str) -> str:
    """One line: whitespace (line breaks included) collapsed, other control characters dropped."""
    return " ".join("".join(char for char in raw if unicodedata.category(char)[0] != "C" or char.isspace()).split())


def clean_message(raw: str) -> str:
    """The text with its lines (CR LF and CR become LF), tabs kept, other control characters dropped."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(char for char in text if char in "\n\t" or unicodedata.category(char)[0] != "C")
    return kept.strip()


def _topic(raw: str) -> Topic | None:
    try:
        return Topic(raw.strip())
    except ValueError:
        return None


def check_form(fields: Mapping[str, str], rules: FormRules) -> FormCheck:
    """Check every field; the request when all are right, else every error by field."""
    errors: dict[str, tuple[str, dict[str, int]]] = {}
    topic = _topic(fields.get("topic", ""))
    if topic is None:
        errors["topic"] = ("topic.missing", {})
    name = _printable_line(fields.get("name", ""))
    if len(name) > MAX_NAME_CHARS:
        errors["name"] = ("name.too_long", {"max": MAX_NAME_CHARS})
    email = _email(fields.get("email", ""), rules, errors)
    phone = _phone(fields.get("phone", ""), errors)
    message = clean_message(fields.get("message", ""))
    if not message:
        errors["message"] = ("message.missing", {})
    elif len(message) > rules.max_message_chars:
        errors["message"] = ("message.too_long", {"max": rules.max_message_chars})
    if rules.require_consent and fields.get("consent", "").strip().lower() not in CONSENT_VALUES:
        errors["consent"] = ("consent.missing", {})
    if errors or topic is None:
        return FormCheck(None, errors)
    return FormCheck(WrittenRequest(topic=topic, message=message, email=email, name=name or None, phone=phone))


def _email(raw: str, rules: FormRules, errors: dict[str, tuple[str, dict[str, int]]]) -> str | None:
    if not raw.strip():
        if rules.require_email:
            errors["email"] = ("email.missing", {})
        return None
    if len(raw.strip()) > MAX_EMAIL_CHARS:
        errors["email"] = ("email.invalid", {})
        return None
    try:
        return check_address(raw)
    except ValueError:
        errors["email"] = ("email.invalid", {})
        return None


def _phone(raw: str, errors: dict[str, tuple[str, dict[str, int]]]) -> str | None:
    if not raw.strip():
        return None
    if len(raw) > MAX_PHONE_CHARS or "\n" in raw or "\r" in raw:
        errors["phone"] = ("phone.invalid", {})
        return None
    try:
        return contact_phone(raw.strip())
    except ValueError:
        errors["phone"] = ("phone.invalid", {})
        return None


def console_channel(raw: str) -> Channel | None:
    """A channel an operator may enter a request from (phone, e-mail, fax, letter), or None."""
    try:
        channel = Channel(raw.strip())
    except ValueError:
        return None
    return channel if channel in CONSOLE_CHANNELS else None
