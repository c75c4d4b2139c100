"""SMTP with smtplib: one connection per batch, secured as the endpoint says, and what a refusal means."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal, Protocol

from mail.endpoint import SmtpEndpoint

Verdict = Literal["retry", "failed"]


class Transport(Protocol):
    """An open connection that sends one message at a time."""

    def send(self, message: EmailMessage, sender: str, recipient: str) -> None:
        """Hand the message over; raise on refusal (see `judge`)."""

    def close(self) -> None:
        """End the connection politely."""


@dataclass(frozen=True)
class Refusal:
    """Why a mail was not delivered, and whether it may be tried again."""

    verdict: Verdict
    reason: str
    connection_lost: bool = False


class SmtpTransport:
    """An SMTP session: connected, secured (STARTTLS or TLS), authenticated, then one message per `send`."""

    def __init__(self, endpoint: SmtpEndpoint, *, timeout: float, local_hostname: str | None = None,
                 ca_file: str | None = None) -> None:
        self.endpoint = endpoint
        context = ssl.create_default_context(cafile=ca_file or None)
        if endpoint.security == "tls":
            self._smtp: smtplib.SMTP = smtplib.SMTP_SSL(endpoint.host, endpoint.port, timeout=timeout,
                                                       local_hostname=local_hostname, context=context)
        else:
            self._smtp = smtplib.SMTP(endpoint.host, endpoint.port, timeout=timeout, local_hostname=local_hostname)
        try:
            self._smtp.ehlo()
            if endpoint.security == "starttls":
                self._smtp.starttls(context=context)
                self._smtp.ehlo()
            if endpoint.username:
                self._smtp.login(endpoint.username, endpoint.password or "")
        except BaseException:
            self.close()
            raise

    def send(self, message: EmailMessage, sender: str, recipient: str) -> None:
        """Send one message to one recipient (a refused recipient raises SMTPRecipientsRefused)."""
        self._smtp.send_message(message, from_addr=sender, to_addrs=[recipient])

    def close(self) -> None:
        """QUIT, ignoring a connection that is already gone."""
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            self._smtp.close()


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(words.split())}"


def judge(error: BaseException) -> Refusal:
    """What a failure means for the mail: 5xx refuses it for good, 4xx and a lost server mean later.

    A refusal while connecting (greeting, STARTTLS, login) or a dropped connection is the
    server's trouble, not the mail's: every such mail is tried again.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (451, b"recipient refused"))
        return Refusal("failed" if code >= 500 else "retry", _reply(code, text))
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return Refusal("retry", f"connection lost: {error}", connection_lost=True)
    if isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return Refusal("failed" if error.smtp_code >= 500 else "retry", _reply(error.smtp_code, error.smtp_error))
    if isinstance(error, smtplib.SMTPResponseException):
        return Refusal("retry", _reply(error.smtp_code, error.smtp_error), connection_lost=True)
    if isinstance(error, ValueError):
        return Refusal("failed", f"message cannot be written: {error}")
    return Refusal("retry", f"{error.__class__.__name__}: {error}", connection_lost=True)
