"""Tracking codes, ticket statuses, their Italian sentences and the failed-lookup limits."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from enum import StrEnum
from itertools import pairwise, product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tickets.codes import (
    damm_check_digit,
    format_code_for_speech,
    generate_code,
    is_valid_code,
    normalize_code,
)
from tickets.ratelimit import Decision, LookupLimits, is_alert, is_allowed
from tickets.status import (
    Channel,
    InvalidTransition,
    TicketStatus,
    Topic,
    check_transition,
    parse_channel,
    parse_status,
    parse_topic,
)
from tickets.vocabulary import TEMPLATES, label, status_sentence

S = TicketStatus
lengths = st.integers(min_value=6, max_value=12)
codes = st.builds(lambda length, rng: generate_code(length, rng), lengths, st.randoms(use_true_random=False))


def damm_accepts(code: str) -> bool:
    """The bare Damm test: a code with a correct check digit reduces to 0."""
    return damm_check_digit(code) == "0"


# --- Damm check digit -------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "check"), [("572", "4"), ("", "0"), ("0", "0"), ("1", "3"),
                                             ("9", "2")])
def test_damm_known_vectors(body: str, check: str) -> None:
    assert damm_check_digit(body) == check


def test_5724_is_valid_and_its_neighbours_are_not() -> None:
    assert is_valid_code("5724", 4)
    assert not is_valid_code("5723", 4)
    assert not is_valid_code("7524", 4)


@pytest.mark.parametrize("digits", ["57a", "5 7", "٥٧٢", "-1", "²"])
def test_check_digit_refuses_anything_but_ascii_digits(digits: str) -> None:
    with pytest.raises(ValueError, match="only the digits"):
        damm_check_digit(digits)


@given(codes)
def test_every_single_digit_substitution_is_caught(code: str) -> None:
    for position, digit in product(range(len(code)), "0123456789"):
        if digit != code[position]:
            mutated = code[:position] + digit + code[position + 1:]
            assert not damm_accepts(mutated), (code, mutated)
            assert not is_valid_code(mutated, len(code)), (code, mutated)


@given(codes)
def test_every_adjacent_transposition_is_caught(code: str) -> None:
    for position in range(len(code) - 1):
        if code[position] != code[position + 1]:
            swapped = code[:position] + code[position + 1] + code[position] + code[position + 2:]
            assert not damm_accepts(swapped), (code, swapped)
            assert not is_valid_code(swapped, len(code)), (code, swapped)


# --- generated codes --------------------------------------------------------------------------

@given(lengths, st.randoms(use_true_random=False))
def test_generated_codes_validate_have_the_length_and_no_leading_zero(
    length: int, rng: random.Random
) -> None:
    code = generate_code(length, rng)
    assert len(code) == length
    assert code.isascii() and code.isdigit()
    assert code[0] != "0"
    assert is_valid_code(code, length)
    assert not is_valid_code(code, length + 1)
    assert not is_valid_code(code, length - 1)


def test_default_length_is_eight() -> None:
    assert len(generate_code()) == 12


@pytest.mark.parametrize("length", [-1, 0, 1])
def test_a_code_needs_two_digits(length: int) -> None:
    with pytest.raises(ValueError, match="at least 2 digits"):
        generate_code(length)


def chi_square(counts: Counter[str], symbols: str) -> float:
    """Pearson's statistic of `counts` against a uniform distribution over `symbols`."""
    expected = sum(counts.values()) / len(symbols)
    return sum((counts[symbol] - expected) ** 2 / expected for symbol in symbols)


def test_ten_thousand_system_random_codes_look_random() -> None:
    generated = [generate_code(8) for _ in range(10_000)]
    assert all(is_valid_code(code, 8) for code in generated)
    # 10,000 draws among 9*10^6 bodies give about 5.5 collisions; 30 would mean a broken source.
    assert len(generated) - len(set(generated)) < 30
    bodies = [int(code[:-1]) for code in generated]
    steps = Counter(later - earlier for earlier, later in pairwise(bodies))
    assert steps[1] + steps[-1] < 5, "consecutive codes look sequential"
    assert len(steps) > 9_000
    # 99.99th percentiles: 8 degrees of freedom 31.8, 9 degrees 33.7; 45 leaves a wide margin.
    assert chi_square(Counter(code[0] for code in generated), "123456789") < 45
    assert chi_square(Counter("".join(code[1:-1] for code in generated)), "0123456789") < 45
    assert chi_square(Counter(code[-1] for code in generated), "0123456789") < 45


# --- validation, normalization, speech --------------------------------------------------------

@pytest.mark.parametrize("code", ["", "5724 ", " 5724", "57-24", "0572", "٥٧٢٤", "5724\n",
                                  "+5724", "57.4", "0000"])
def test_malformed_codes_are_invalid(code: str) -> None:
    assert not is_valid_code(code, 4)


def test_a_leading_zero_code_is_invalid_even_with_the_right_check_digit() -> None:
    assert damm_accepts("0000")
    assert not is_valid_code("0000", 4)


@given(st.one_of(st.text(), st.none(), st.integers(), st.binary()), st.integers(-3, 20))
def test_is_valid_code_never_raises(code: object, length: int) -> None:
    assert is_valid_code(code, length) in (True, False)  # type: ignore[arg-type]


@pytest.mark.parametrize(("raw", "expected"), [
    ("1234 5678#", "12345678"), ("1234-5678", "12345678"), (" 12 34 56 78 # ", "12345678"),
    ("12345678", "12345678"), ("1234\t5678##", "12345678"), ("12#34", "12#34"),
])
def test_normalize_code(raw: str, expected: str) -> None:
    assert normalize_code(raw) == expected


@given(codes)
def test_a_normalized_spoken_code_is_the_code(code: str) -> None:
    assert normalize_code(format_code_for_speech(code).replace(",", "") + "#") == code


@pytest.mark.parametrize(("code", "spoken"), [
    ("12345678", "1 2 3 4, 5 6 7 8"), ("123456789", "1 2 3 4, 5 6 7 8, 9"),
    ("1234", "1 2 3 4"), ("123456", "1 2 3 4, 5 6"),
])
def test_format_code_for_speech(code: str, spoken: str) -> None:
    assert format_code_for_speech(code) == spoken


def test_only_digits_are_read_as_a_code() -> None:
    with pytest.raises(ValueError):
        format_code_for_speech("1234abcd")


# --- statuses and transitions -----------------------------------------------------------------

ALLOWED = {
    (S.RECEIVED, S.IN_PROGRESS), (S.RECEIVED, S.WAITING_FOR_CITIZEN),
    (S.RECEIVED, S.FORWARDED), (S.RECEIVED, S.CLOSED),
    (S.IN_PROGRESS, S.WAITING_FOR_CITIZEN), (S.IN_PROGRESS, S.FORWARDED), (S.IN_PROGRESS, S.CLOSED),
    (S.WAITING_FOR_CITIZEN, S.IN_PROGRESS), (S.WAITING_FOR_CITIZEN, S.CLOSED),
    (S.WAITING_FOR_CITIZEN, S.FORWARDED),
    (S.FORWARDED, S.CLOSED), (S.FORWARDED, S.IN_PROGRESS),
    (S.CLOSED, S.IN_PROGRESS),
}


@pytest.mark.parametrize(("current", "new"), list(product(S, S)))
def test_every_transition_is_allowed_or_refused_as_the_table_says(current: S, new: S) -> None:
    institution = "Regione Marche" if new is S.FORWARDED else None
    if (current, new) in ALLOWED:
        check_transition(current, new, institution)
    else:
        with pytest.raises(InvalidTransition, match=f"^cannot move a ticket from {current} to {new}$"):
            check_transition(current, new, institution)


def test_the_refusal_message_names_both_statuses() -> None:
    with pytest.raises(ValueError, match="cannot move a ticket from closed to waiting_for_citizen"):
        check_transition(S.CLOSED, S.WAITING_FOR_CITIZEN)


@pytest.mark.parametrize("name", [None, "", "   "])
def test_forwarding_needs_the_institution_name(name: str | None) -> None:
    with pytest.raises(InvalidTransition, match="name of the competent institution"):
        check_transition(S.IN_PROGRESS, S.FORWARDED, name)


def test_an_institution_is_named_only_when_forwarding() -> None:
    with pytest.raises(InvalidTransition, match="only when forwarding"):
        check_transition(S.RECEIVED, S.CLOSED, "Comune di Roma")
    check_transition(S.RECEIVED, S.CLOSED, "  ")


# --- parsing ----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["in-progress", "in_progress", "IN-PROGRESS", " In_Progress "])
def test_parse_status_accepts_dashes_underscores_any_case(raw: str) -> None:
    assert parse_status(raw) is S.IN_PROGRESS


def test_parse_channel_and_topic() -> None:
    assert parse_channel("Email") is Channel.EMAIL
    assert parse_channel("VOICEMAIL") is Channel.VOICEMAIL
    assert parse_topic("national-service") is Topic.NATIONAL_SERVICE
    assert parse_topic("Other") is Topic.OTHER


@pytest.mark.parametrize(("parse", "raw", "valid"), [
    (parse_status, "open", "received, in_progress, waiting_for_citizen, forwarded, closed"),
    (parse_channel, "pigeon", "phone, voicemail, web, email, fax, letter"),
    (parse_topic, "", "risks, legislation, department, national_service, campaigns, other"),
])
def test_parse_errors_list_the_valid_values(parse: Callable[[str], StrEnum], raw: str, valid: str) -> None:
    with pytest.raises(ValueError, match=f"valid values: {valid}$"):
        parse(raw)


@given(st.sampled_from([*S, *Channel, *Topic]), st.sampled_from([str.upper, str.lower, str.title]))
def test_every_member_parses_from_its_written_forms(member: StrEnum, case: Callable[[str], str]) -> None:
    parsers: dict[type, Callable[[str], StrEnum]] = {
        S: parse_status, Channel: parse_channel, Topic: parse_topic,
    }
    parse = parsers[type(member)]
    assert parse(case(member.value)) is member
    assert parse(case(member.value.replace("_", "-"))) is member


# --- Italian vocabulary -----------------------------------------------------------------------

@pytest.mark.parametrize(("status", "sentence"), [
    (S.RECEIVED, "La richiesta è stata ricevuta ed è in attesa di lavorazione."),
    (S.IN_PROGRESS, "La richiesta è in lavorazione."),
    (S.WAITING_FOR_CITIZEN, "La richiesta è in attesa di informazioni da parte tua. "
                            "Ti contatteremo al più presto, oppure puoi richiamarci."),
    (S.CLOSED, "La richiesta è stata chiusa."),
])
def test_status_sentences(status: S, sentence: str) -> None:
    assert status_sentence(status) == sentence


def test_a_forwarded_sentence_names_the_institution() -> None:
    assert status_sentence(S.FORWARDED, " Regione Emilia-Romagna ") == (
        "La richiesta è stata inoltrata all'ente competente: Regione Emilia-Romagna."
    )
    assert status_sentence(S.FORWARDED, "Ente {strano}").endswith(": Ente {strano}.")


@pytest.mark.parametrize("name", [None, "", " "])
def test_a_forwarded_sentence_needs_the_institution(name: str | None) -> None:
    with pytest.raises(ValueError, match="institution"):
        status_sentence(S.FORWARDED, name)


def test_templates_override_some_texts_and_keep_the_others() -> None:
    templates = {"status_sentence.forwarded": "Inoltrata a {institution}.", "topic.other": "varie"}
    assert status_sentence(S.FORWARDED, "ANAS", templates) == "Inoltrata a ANAS."
    assert status_sentence(S.CLOSED, templates=templates) == "La richiesta è stata chiusa."
    assert label(Topic.OTHER, templates) == "varie"
    assert label(Topic.RISKS, templates) == "rischi sul territorio e norme di comportamento"


def test_every_status_channel_and_topic_has_an_italian_label_and_nothing_else_does() -> None:
    members = [*S, *Channel, *Topic]
    assert {label(member) for member in members} <= set(TEMPLATES.values())
    assert len({label(member) for member in members}) == len(members)
    expected_keys = {f"{kind}.{member.value}" for kind, enum in
                     (("status", S), ("channel", Channel), ("topic", Topic)) for member in enum}
    expected_keys |= {f"status_sentence.{status.value}" for status in S}
    expected_keys |= {"day.today", "day.yesterday", "day.other_year", "language.it", "language.en"}
    assert set(TEMPLATES) == expected_keys


def test_italian_labels() -> None:
    assert label(S.WAITING_FOR_CITIZEN) == "in attesa di informazioni dal cittadino"
    assert label(Channel.VOICEMAIL) == "segreteria telefonica"
    assert label(Topic.NATIONAL_SERVICE) == (
        "attività e competenze del Servizio nazionale di protezione civile"
    )


# --- failed-lookup limits ---------------------------------------------------------------------

LIMITS = LookupLimits(per_caller=5, per_caller_window_s=600, global_=100, global_window_s=60)


@pytest.mark.parametrize(("by_caller", "decision"), [
    (0, Decision(True)), (4, Decision(True)), (5, Decision(False, "caller")), (50, Decision(False, "caller")),
])
def test_is_allowed(by_caller: int, decision: Decision) -> None:
    assert is_allowed(by_caller, LIMITS) == decision


@given(st.integers(0, 1_000), st.integers(0, 10_000))
def test_only_the_requesters_own_failures_refuse(by_caller: int, overall: int) -> None:
    decision = is_allowed(by_caller, LIMITS)
    assert decision.allowed is (by_caller < LIMITS.per_caller)
    assert (decision.reason is None) is decision.allowed
    assert is_alert(overall, LIMITS) is (overall >= LIMITS.global_)


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        is_allowed(-1, LIMITS)
    with pytest.raises(ValueError, match="negative"):
        is_alert(-1, LIMITS)


@pytest.mark.parametrize("field", ["per_caller", "per_caller_window_s", "global_", "global_window_s"])
def test_limits_must_be_positive(field: str) -> None:
    values = {"per_caller": 5, "per_caller_window_s": 600, "global_": 100, "global_window_s": 60}
    with pytest.raises(ValueError, match=field):
        LookupLimits(**{**values, field: 0})
