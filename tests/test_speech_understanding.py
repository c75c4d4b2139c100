"""Understanding what callers say: menu choices and digits, in Italian and in English."""

from __future__ import annotations

import pytest

from contact_center.prompts import load_catalog
from ivr.speech import Answer, Digits, confidence_of, normalise, understand_choice, understand_digits

CATALOG = load_catalog()
IT, EN = CATALOG["it"], CATALOG["en"]
MAIN_MENU = {"1": "operator", "2": "status", "3": "message", "9": "repeat", "8": "language"}


def test_words_are_compared_without_case_accents_or_punctuation() -> None:
    assert normalise("Sì, l'Operatore!") == ["si", "l", "operatore"]
    assert normalise("  È   PIÙ  ") == ["e", "piu"]


@pytest.mark.parametrize(("said", "key"), [
    ("operatore", "1"),
    ("Vorrei parlare con un operatore, per favore", "1"),
    ("lo stato della richiesta", "2"),
    ("messaggio", "3"),
    ("ripeti", "9"),
    ("due", "2"),
    ("premo il 3", "3"),
    ("English please", "8"),
])
def test_italian_menu_words_name_their_key(said: str, key: str) -> None:
    answer = understand_choice(said, 0.9, 0.6, MAIN_MENU, IT)
    assert (answer.key, answer.spoken, answer.confirm) == (key, True, False)


def test_the_choice_read_back_is_the_first_phrase_of_its_list() -> None:
    assert understand_choice("voglio un operatore", 0.9, 0.6, MAIN_MENU, IT).heard == "operatore"
    assert understand_choice("I'd like to speak to someone", 0.9, 0.6, MAIN_MENU, EN).heard == "operator"


def test_low_confidence_or_two_choices_ask_for_confirmation() -> None:
    assert understand_choice("operatore", 0.59, 0.6, MAIN_MENU, IT).confirm
    assert not understand_choice("operatore", 0.6, 0.6, MAIN_MENU, IT).confirm
    both = understand_choice("un messaggio, anzi un operatore", 0.95, 0.6, MAIN_MENU, IT)
    assert (both.key, both.confirm) == ("3", True)  # the first named, read back


def test_nothing_named_is_an_empty_spoken_answer() -> None:
    assert understand_choice("buongiorno", 0.99, 0.6, MAIN_MENU, IT) == Answer("", spoken=True)


def test_a_longer_phrase_beats_a_shorter_one_at_the_same_place() -> None:
    yes_no = {"1": "yes", "2": "no"}
    assert understand_choice("not right", 0.9, 0.6, yes_no, EN).key == "2"
    assert understand_choice("no, non è giusto", 0.9, 0.6, yes_no, IT).key == "2"
    assert understand_choice("sì, è giusto", 0.9, 0.6, yes_no, IT).key == "1"


@pytest.mark.parametrize(("said", "digits"), [
    ("due nove otto uno nove sette zero otto", Digits("29819708")),
    ("2981 9708", Digits("29819708")),
    ("il codice è 29 81 97 08", Digits("29819708")),
    ("due nove otto uno, ehm, nove sette zero otto", Digits("29819708")),
    ("allora aspetti due nove", Digits("29", clean=False)),
    ("più tre nove tre quattro sette", Digits("39347", plus=True)),
])
def test_italian_digits(said: str, digits: Digits) -> None:
    assert understand_digits(said, IT) == digits


@pytest.mark.parametrize(("said", "digits"), [
    ("two double nine eight one seven oh six", Digits("29981706")),
    ("triple seven four", Digits("7774")),
    ("double 7", Digits("77")),
    ("my code is 2981 9708", Digits("29819708")),
    ("plus four four seven nine one one", Digits("447911", plus=True)),
])
def test_english_digits(said: str, digits: Digits) -> None:
    assert understand_digits(said, EN) == digits


@pytest.mark.parametrize(("raw", "value"), [("0.87", 0.87), ("", 0.0), ("x", 0.0), ("nan", 0.0), ("7", 1.0)])
def test_a_garbled_confidence_counts_as_none(raw: str, value: float) -> None:
    assert confidence_of({"Confidence": raw}) == value
