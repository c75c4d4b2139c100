"""The checked value types of the configuration: bands, phone numbers, time zones, regions, languages."""

from __future__ import annotations

import re
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import AfterValidator

_BAND_PATTERN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def _minutes(hours: str, minutes: str, text: str) -> int:
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > 24 * 60:
        raise ValueError(f"{text!r} is not a valid time (HH:MM between 00:00 and 24:00)")
    return value


def _check_band(text: str) -> str:
    match = _BAND_PATTERN.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a band of the form HH:MM-HH:MM")
    start = _minutes(match[1], match[2], text)
    end = _minutes(match[3], match[4], text)
    if start >= end:
        raise ValueError(f"{text!r} ends before it starts")
    return text


def check_e164(text: str) -> str:
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{text!r} is not a phone number in E.164 form (+39...): {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{text!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a known time zone") from None
    return name


Band = Annotated[str, AfterValidator(_check_band)]
E164 = Annotated[str, AfterValidator(check_e164)]
TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]


def _check_region(code: str) -> str:
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{code!r} is not a country code such as IT or SM")
    return code


def _check_language_tag(tag: str) -> str:
    if not re.fullmatch(r"[a-z]{2,3}-[A-Z]{2}", tag):
        raise ValueError(f"{tag!r} is not a language tag such as it-IT or en-GB")
    return tag


Region = Annotated[str, AfterValidator(_check_region)]
LanguageTag = Annotated[str, AfterValidator(_check_language_tag)]
