"""The data subject of a request: a phone number in every form a caller may have used, an e-mail address."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Final

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

_SEPARATORS: Final = re.compile(r"[\s\-.()/]")


class SubjectError(ValueError):
    """The phone number or address given cannot name anybody; the message says why."""


@dataclass(frozen=True)
class Subject:
    """Whom a request is about: a number in E.164, an e-mail address (lower case), or both."""

    phone: str | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        if self.phone is None and self.email is None:
            raise SubjectError("give a phone number or an e-mail address")

    @property
    def phone_forms(self) -> tuple[str, ...]:
        """The ways the number may be written in free text: E.164, 00-prefixed, national."""
        if self.phone is None:
            return ()
        number = phonenumbers.parse(self.phone)
        national = phonenumbers.national_significant_number(number)
        forms = {self.phone, "00" + self.phone[1:], national,
                 phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL),
                 phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)}
        return tuple(sorted(forms, key=len, reverse=True))

    @property
    def needles(self) -> tuple[str, ...]:
        """Every string whose presence in a text or a file is a trace of the subject."""
        return (*self.phone_forms, *((self.email,) if self.email else ()))

    def describe(self) -> str:
        """A label for the audit log that names nobody: the kind of identifier only."""
        return " + ".join(kind for kind, value in (("telefono", self.phone), ("e-mail", self.email)) if value)

    def key(self, secret: str) -> str:
        """A keyed hash of the subject, so that audit lines of one request can be told apart."""
        return hmac.new(secret.encode(), f"{self.phone}|{self.email}".encode(), hashlib.sha256).hexdigest()[:16]


def normalize_phone(raw: str, default_region: str = "IT") -> str:
    """A number as a caller may have typed it ("333 1234567", "+39 333...", "0039 333...") in E.164."""
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, default_region)
    except NumberParseException:
        raise SubjectError(f"not a phone number: {raw!r}") from None
    if not phonenumbers.is_possible_number(number):
        raise SubjectError(f"not a phone number: {raw!r}")
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    """An e-mail address, trimmed and in lower case (matched case-insensitively)."""
    address = raw.strip().lower()
    if address.count("@") != 1 or not address.split("@")[0] or "." not in address.split("@")[1]:
        raise SubjectError(f"not an e-mail address: {raw!r}")
    return address


def subject(phone: str | None = None, email: str | None = None, default_region: str = "IT") -> Subject:
    """The subject named by a number and/or an address, normalised; SubjectError if neither is usable."""
    return Subject(phone=normalize_phone(phone, default_region) if phone else None,
                   email=normalize_email(email) if email else None)
