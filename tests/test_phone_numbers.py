"""Callback numbers from the caller ID or the keypad: what is accepted, what is refused and why."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

from voicemail.numbers import (
    TWILIO_WITHHELD_PLACEHOLDERS,
    CallbackNumber,
    NumberRefused,
    caller_region,
    is_home_caller,
    parse_callback_number,
    spoken_digits,
    spoken_last_digits,
    usable_caller_id,
)

OWN = frozenset({"+39800840840"})
MOBILE_IT = CallbackNumber("+393471234567", is_mobile=True)
FIXED_ROME = CallbackNumber("+390612345678", is_mobile=False)


@pytest.mark.parametrize(("raw", "expected"), [
    ("+393471234567", MOBILE_IT),
    ("00393471234567", MOBILE_IT),
    ("3471234567", MOBILE_IT),
    ("393471234567", MOBILE_IT),
    (" +39 347 123 4567 ", MOBILE_IT),
    ("3471234567#", MOBILE_IT),
    ("0612345678", FIXED_ROME),
    ("+390612345678", FIXED_ROME),
    ("0039 06 1234 5678", FIXED_ROME),
    ("0669821", CallbackNumber("+390669821", is_mobile=False)),
    ("00447400123456", CallbackNumber("+447400123456", is_mobile=True)),
    ("+44 116 496 0123", CallbackNumber("+441164960123", is_mobile=False)),
    ("004930123456", CallbackNumber("+4930123456", is_mobile=False)),
    ("0033612345678", CallbackNumber("+33612345678", is_mobile=True)),
    ("+12015550123", CallbackNumber("+12015550123", is_mobile=True)),
    ("800123456", CallbackNumber("+39800123456", is_mobile=False)),
    ("848123456", CallbackNumber("+39848123456", is_mobile=False)),
    ("+18005550199", CallbackNumber("+18005550199", is_mobile=False)),
])
def test_accepted_forms(raw: str, expected: CallbackNumber) -> None:
    assert parse_callback_number(raw, own_numbers=OWN) == expected


@pytest.mark.parametrize(("raw", "reason"), [
    *[(raw, "withheld") for raw in [
        "anonymous", "Anonymous", "RESTRICTED", "unknown", "private", "unavailable", "blocked",
        "", "   ", "+266696687", " +266 696 687 ", "+7378742833", "+2562533", "+8656696",
        "+86282452253",
    ]],
    *[(raw, "invalid") for raw in [
        "abc", "+", "1", "tel", "0000000000", "+882345678901", "+3930123456789", "347123456789012",
    ]],
    *[(raw, "premium_rate") for raw in ["899123456", "+39899123456", "892123", "+979123456789"]],
    *[(raw, "short_or_emergency") for raw in [
        "112", "113", "115", "118", "1515", "1530", "+39112", "0039112", "4123", "0612", "00",
        "0033", "116000", "+44999", "0033112",
    ]],
    *[(raw, "own_number") for raw in ["+39800840840", "800840840", "0039800840840", "800 840 840"]],
    *[(raw, "not_dialable") for raw in [
        "client:alice", "sip:operator@example.com", "+611800123456", "+39 347 123 4567 ext. 5",
    ]],
])
def test_refusals(raw: str, reason: str) -> None:
    with pytest.raises(NumberRefused) as refused:
        parse_callback_number(raw, own_numbers=OWN)
    assert refused.value.reason == reason
    assert str(refused.value)


def test_the_line_is_refused_only_when_it_is_declared_as_its_own() -> None:
    assert parse_callback_number("800840840").e164 == "+39800840840"


def test_a_refusal_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="premium-rate"):
        parse_callback_number("899123456")


@pytest.mark.parametrize(("placeholder", "word"), [
    ("+266696687", "ANONYMOUS"), ("+7378742833", "RESTRICTED"), ("+2562533", "BLOCKED"),
    ("+8656696", "UNKNOWN"), ("+86282452253", "UNAVAILABLE"),
])
def test_twilio_placeholders_spell_their_word_on_a_keypad(placeholder: str, word: str) -> None:
    assert placeholder in TWILIO_WITHHELD_PLACEHOLDERS
    assert phonenumbers.convert_alpha_characters_in_number(word) == placeholder[1:]


# --- properties --------------------------------------------------------------------------------

phone_like = st.from_regex(r"\A[+0-9 #*()\-.]{0,24}\Z")
anything = st.one_of(st.text(), phone_like)
plausible = st.from_regex(
    r"\A(3[1-9][0-9]{8}|0[1-9][0-9]{5,9}|00(33[1-9][0-9]{8}|44[127][0-9]{9}|49[1-9][0-9]{8,10}"
    r"|1[2-9][0-9]{9}))\Z"
)


def accepted(raw: str) -> CallbackNumber:
    """The accepted number, or the example skipped."""
    try:
        return parse_callback_number(raw)
    except NumberRefused:
        reject()


@given(anything)
def test_any_text_is_accepted_or_refused_with_a_known_reason(raw: str) -> None:
    try:
        number = parse_callback_number(raw, own_numbers=OWN)
    except NumberRefused as refused:
        assert refused.reason in {"withheld", "invalid", "premium_rate", "short_or_emergency",
                                  "own_number", "not_dialable"}
    else:
        assert number.e164.startswith("+") and number.e164[1:].isdigit()


@given(plausible)
def test_accepted_numbers_round_trip_through_e164_and_what_the_ivr_reads_back(raw: str) -> None:
    number = accepted(raw)
    assert parse_callback_number(number.e164) == number
    assert parse_callback_number("00" + number.e164[1:]) == number
    typed_back = spoken_digits(number.e164).replace(", ", "").replace(" ", "")
    assert parse_callback_number(typed_back) == number
    assert phonenumbers.is_valid_number(phonenumbers.parse(number.e164))


@given(anything)
def test_usable_caller_id_never_raises(raw: str) -> None:
    number = usable_caller_id(raw, OWN)
    assert number is None or isinstance(number, CallbackNumber)


@pytest.mark.parametrize("raw", [None, "", "anonymous", "+266696687", "+39800840840", "112", "garbage"])
def test_unusable_caller_ids(raw: str | None) -> None:
    assert usable_caller_id(raw, OWN) is None


def test_a_usable_caller_id() -> None:
    assert usable_caller_id("+393471234567", OWN) == MOBILE_IT


# --- reading numbers back ------------------------------------------------------------------------

@pytest.mark.parametrize(("number", "spoken"), [
    ("+393471234567", "3 4 7, 1 2 3, 4 5 6 7"),
    ("3471234567", "3 4 7, 1 2 3, 4 5 6 7"),
    ("+390612345678", "0 6, 1 2 3 4, 5 6 7 8"),
    ("+447400123456", "0 0 4 4, 7 4 0 0, 1 2 3 4 5 6"),
    ("4123", "4 1 2 3"),
    ("41234", "4 1 2, 3 4"),
    ("123456", "1 2 3, 4 5 6"),
    ("", ""),
])
def test_spoken_digits(number: str, spoken: str) -> None:
    assert spoken_digits(number) == spoken


@pytest.mark.parametrize(("number", "n", "spoken"), [
    ("+393471234567", 4, "45 67"), ("+393471234567", 3, "5 67"), ("+393471234567", 6, "23 45 67"),
    ("+393471234567", 2, "67"), ("12", 4, "12"),
])
def test_spoken_last_digits(number: str, n: int, spoken: str) -> None:
    assert spoken_last_digits(number, n) == spoken


def test_last_digits() -> None:
    assert MOBILE_IT.last_digits() == "4567"
    assert MOBILE_IT.last_digits(2) == "67"
    assert MOBILE_IT.last_digits(20) == "393471234567"
    with pytest.raises(ValueError):
        MOBILE_IT.last_digits(0)
    with pytest.raises(ValueError):
        spoken_last_digits("+393471234567", 0)


@given(plausible, st.integers(1, 8))
def test_spoken_last_digits_are_the_last_digits(raw: str, n: int) -> None:
    number = accepted(raw)
    assert spoken_last_digits(number.e164, n).replace(" ", "") == number.last_digits(n)


HOMES = st.sampled_from([frozenset({"IT", "SM", "VA"}), frozenset({"IT"}), frozenset({"VA"}), frozenset({"GB"}),
                         frozenset({"CA"}), frozenset({"US", "CA"}), frozenset()])
CALLER_IDS = st.one_of(
    anything,
    st.builds(lambda code, digits: f"+{code}{digits}",
              st.sampled_from([1, 7, 39, 44, 378, 379, 800, 808, 882, 979, 999]),
              st.text(alphabet="0123456789", min_size=0, max_size=12)),
    st.sampled_from(["+393471234567", "+390669812345", "+14165550123", "+12025550123", "+447911123456",
                     "+37805492345", "anonymous", "", "+266696687", "sip:a@b", "+80012345678"]))


@given(CALLER_IDS, HOMES)
def test_a_home_caller_is_one_whose_region_is_at_home_or_unknown(raw: str, home: frozenset[str]) -> None:
    """The calling code's shortcut decides as the number's own region does."""
    region = caller_region(raw)
    assert is_home_caller(raw, home) == (region is None or region in home)


@pytest.mark.parametrize(("raw", "home", "expected"), [
    ("+393471234567", frozenset({"IT", "SM", "VA"}), True),
    ("+447911123456", frozenset({"IT", "SM", "VA"}), False),
    ("+14165550123", frozenset({"CA"}), True),  # Toronto: +1 is shared, its own region decides
    ("+12025550123", frozenset({"CA"}), False),  # Washington
    ("anonymous", frozenset({"IT"}), True),
])
def test_home_callers(raw: str, home: frozenset[str], expected: bool) -> None:
    assert is_home_caller(raw, home) is expected
