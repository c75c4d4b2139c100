"""Tracking codes: random digits closed by a Damm check digit, easy to type and to read aloud."""

from __future__ import annotations

import random
import secrets
from collections.abc import Collection
from typing import Final

# The order-10 quasigroup of Damm's thesis (2004), weakly totally anti-symmetric with a zero
# diagonal: it catches every single-digit error and every adjacent transposition.
_DAMM_TABLE: Final[tuple[tuple[int, ...], ...]] = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
_DIGITS: Final = "0123456789"
_SPEECH_GROUP: Final = 4
_SYSTEM_RANDOM: Final = secrets.SystemRandom()
# New codes: 12 digits (see the README's bound: 1,000,000 tickets leave one valid code in 90,000
# guesses). Codes of 8 digits, given before, still resolve.
DEFAULT_CODE_LENGTH: Final = 12
OLDER_CODE_LENGTHS: Final = (8,)


def _is_digits(text: str) -> bool:
    """True when every character is an ASCII digit (an empty string included)."""
    return all(char in _DIGITS for char in text)


def damm_check_digit(digits: str) -> str:
    """The Damm check digit of a string of ASCII digits."""
    if not _is_digits(digits):
        raise ValueError(f"only the digits 0-9 have a check digit, got {digits!r}")
    interim = 0
    for char in digits:
        interim = _DAMM_TABLE[interim][int(char)]
    return str(interim)


def is_valid_code(code: str, length: int | Collection[int]) -> bool:
    """True for `length` ASCII digits (or one of the `length`s), no leading zero, ending in the Damm check digit."""
    lengths = (length,) if isinstance(length, int) else length
    return (
        isinstance(code, str)
        and len(code) >= 2
        and len(code) in lengths
        and _is_digits(code)
        and code[0] != "0"
        and damm_check_digit(code[:-1]) == code[-1]
    )


def generate_code(length: int = DEFAULT_CODE_LENGTH, rng: random.Random | None = None) -> str:
    """A new code: a uniform random body not starting with 0, then its check digit."""
    if length < 2:
        raise ValueError(f"a code needs at least 2 digits, got {length}")
    chooser = rng or _SYSTEM_RANDOM
    body = chooser.choice(_DIGITS[1:]) + "".join(chooser.choice(_DIGITS) for _ in range(length - 2))
    return body + damm_check_digit(body)


def normalize_code(raw: str) -> str:
    """The code as typed or dictated, without spaces, dashes and the closing '#'."""
    return "".join(char for char in raw.rstrip().rstrip("#") if not char.isspace() and char != "-")


def format_code_for_speech(code: str) -> str:
    """The digits one by one, with a comma pause every four: '1 2 3 4, 5 6 7 8'."""
    if not _is_digits(code):
        raise ValueError(f"only digits can be read as a code, got {code!r}")
    groups = (code[start:start + _SPEECH_GROUP] for start in range(0, len(code), _SPEECH_GROUP))
    return ", ".join(" ".join(group) for group in groups)


def format_code_for_display(code: str) -> str:
    """The code in groups of four digits, as printed on a page: '1234 5678'."""
    return " ".join(code[start:start + _SPEECH_GROUP] for start in range(0, len(code), _SPEECH_GROUP))
