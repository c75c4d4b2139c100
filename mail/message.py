"""A stored mail as the MIME message SMTP carries: plain text and HTML alternatives, Italian headers."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from typing import Final

from email_validator import EmailNotValidError, validate_email

FALLBACK_DOMAIN: Final = "contact-center.invalid"


@dataclass(frozen=True)
class Envelope:
    """Who sends: the From address (with its display name) and an optional Reply-To."""

    from_address: str
    reply_to: str | None = None

    @property
    def sender(self) -> str:
        """The bare address for SMTP's MAIL FROM."""
        return parseaddr(self.from_address)[1]


@dataclass(frozen=True)
class MailContent:
    """What one mail says and to whom; stored in the outbox as it is."""

    recipient: str
    subject: str
    text: str
    html: str


def check_address(raw: str) -> str:
    """A single mailbox address, normalized (ValueError if it is not one); no DNS lookup."""
    if any(char in raw for char in "\r\n\0"):
        raise ValueError("an address cannot hold line breaks")
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(str(error)) from None


def check_from(raw: str) -> str:
    """A From value: 'addr@host' or 'Display Name <addr@host>' (ValueError otherwise)."""
    if any(char in raw for char in "\r\n\0"):
        raise ValueError("the From address cannot hold line breaks")
    _name, address = parseaddr(raw)
    if not address:
        raise ValueError(f"{raw!r} is not an e-mail address")
    check_address(address)
    return raw.strip()


def new_message_id(label: str, from_address: str) -> str:
    """A unique Message-ID on the sender's domain: '<label.random@domain>'."""
    domain = parseaddr(from_address)[1].rpartition("@")[2] or FALLBACK_DOMAIN
    safe = "".join(char for char in label if char.isalnum() or char in ".-")[:60]
    return f"<{safe}.{secrets.token_hex(10)}@{domain}>"


def _mailbox(raw: str) -> Address:
    name, address = parseaddr(raw)
    user, _, domain = address.rpartition("@")
    return Address(display_name=name, username=user, domain=domain)


def build_message(content: MailContent, *, envelope: Envelope, message_id: str, created_at: datetime,
                  automatic: bool) -> EmailMessage:
    """The MIME message: From, To, Subject, Date, Message-ID; text/plain and text/html alternatives.

    Header values with a line break are refused by the SMTP policy (ValueError): no header injection.
    """
    message = EmailMessage(policy=SMTP)
    message["From"] = _mailbox(envelope.from_address)
    message["To"] = content.recipient
    if envelope.reply_to:
        message["Reply-To"] = _mailbox(envelope.reply_to)
    message["Subject"] = content.subject
    message["Date"] = format_datetime(created_at)
    message["Message-ID"] = message_id
    message["Content-Language"] = "it"
    if automatic:
        message["Auto-Submitted"] = "auto-generated"
    message.set_content(content.text, charset="utf-8")
    message.add_alternative(content.html, subtype="html", charset="utf-8")
    return message
