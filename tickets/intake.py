"""A new ticket as an operator or an integrator describes it, checked before it is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import phonenumbers
from sqlalchemy.orm import Session

from storage.models import Ticket
from tickets.repository import create_ticket
from tickets.status import Channel, Topic, parse_channel, parse_topic

MAX_SUMMARY_CHARS: Final = 5000
MAX_EMAIL_CHARS: Final = 254
_EMAIL_PATTERN: Final = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


@dataclass(frozen=True)
class NewTicket:
    """A request to record: how it arrived, what about, a short summary and how to reach the citizen."""

    channel: Channel
    topic: Topic
    summary: str
    phone: str | None = None
    email: str | None = None


def contact_phone(raw: str, default_region: str = "IT") -> str:
    """A citizen's phone number in E.164 (ValueError if it is not a valid number)."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        raise ValueError(f"not a phone number: {raw!r}") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def contact_email(raw: str) -> str:
    """A citizen's e-mail address, trimmed (ValueError if it does not look like one)."""
    address = raw.strip()
    if len(address) > MAX_EMAIL_CHARS or not _EMAIL_PATTERN.fullmatch(address):
        raise ValueError(f"not an e-mail address: {raw!r}")
    return address


def new_ticket(channel: str, topic: str, summary: str, phone: str | None = None,
               email: str | None = None) -> NewTicket:
    """The ticket described by these texts, or ValueError naming the first problem."""
    text = summary.strip()
    if not text:
        raise ValueError("the summary is empty")
    if len(text) > MAX_SUMMARY_CHARS:
        raise ValueError(f"the summary is longer than {MAX_SUMMARY_CHARS} characters")
    if any((ord(char) < 32 and char not in "\n\r\t") or ord(char) == 127 for char in text):
        raise ValueError("the summary contains control characters (NUL, ESC...)")
    return NewTicket(
        channel=parse_channel(channel),
        topic=parse_topic(topic),
        summary=text,
        phone=contact_phone(phone) if phone else None,
        email=contact_email(email) if email else None,
    )


def open_ticket(session: Session, ticket: NewTicket, *, now: datetime, created_by: str, code_length: int) -> Ticket:
    """Store the new ticket with a fresh tracking code."""
    return create_ticket(session, now=now, channel=ticket.channel, topic=ticket.topic, summary=ticket.summary,
                         phone=ticket.phone, email=ticket.email, created_by=created_by,
                         code_length=code_length)
