"""Dates in Italian words (what the IVR says after "aggiornata", what the web page writes) and codes on a page."""

from __future__ import annotations

from datetime import date

import pytest

from tickets.codes import format_code_for_display
from tickets.vocabulary import spoken_past_day, written_date

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(("day", "spoken"), [
    (date(2026, 11, 27), "oggi"),
    (date(2026, 11, 26), "ieri"),
    (date(2026, 11, 3), "il 3 novembre"),
    (date(2026, 11, 1), "il primo novembre"),
    (date(2026, 3, 8), "l'8 marzo"),
    (date(2026, 10, 11), "l'11 ottobre"),
    (date(2026, 1, 18), "il 18 gennaio"),
    (date(2026, 12, 31), "il 31 dicembre"),
    (date(2025, 11, 3), "il 3 novembre 2025"),
    (date(2025, 8, 1), "il primo agosto 2025"),
])
def test_spoken_past_days(day: date, spoken: str) -> None:
    assert spoken_past_day(day, TODAY) == spoken


def test_yesterday_across_the_new_year() -> None:
    assert spoken_past_day(date(2026, 12, 31), date(2027, 1, 1)) == "ieri"
    assert spoken_past_day(date(2026, 12, 30), date(2027, 1, 1)) == "il 30 dicembre 2026"


@pytest.mark.parametrize(("day", "written"), [
    (date(2026, 11, 3), "3 novembre 2026"),
    (date(2026, 5, 1), "1º maggio 2026"),
    (date(2027, 2, 28), "28 febbraio 2027"),
])
def test_written_dates(day: date, written: str) -> None:
    assert written_date(day) == written


@pytest.mark.parametrize(("code", "shown"), [("12345674", "1234 5674"), ("1234567", "1234 567"), ("123", "123")])
def test_codes_are_shown_in_groups_of_four(code: str, shown: str) -> None:
    assert format_code_for_display(code) == shown
