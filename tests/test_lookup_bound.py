"""The README's guessing bound stays true: recomputed from the shipped limits and code length."""

from __future__ import annotations

import math
import re
from itertools import product
from pathlib import Path

from contact_center.config import load_settings
from tickets.codes import is_valid_code

ROOT = Path(__file__).resolve().parents[1]
TICKETS = 1_000_000
DAY_S = 24 * 3600


def _bound_paragraph() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("**The bound.**")
    return " ".join(readme[start:readme.index("\n\n", start)].split())


def _figures() -> dict[str, int]:
    """The figures of the bound, from the shipped configuration."""
    tickets = load_settings(ROOT / "config.yaml", environ={}).tickets
    codes = 9 * 10 ** (tickets.code_length - 2)  # a non-zero first digit, then the check digit is fixed
    guesses = codes // TICKETS
    per_day = tickets.caller_failure_limit * DAY_S // tickets.caller_window_seconds
    return {
        "code_length": tickets.code_length,
        "codes": codes,
        "guesses": guesses,
        "per_day": per_day,
        "requester_days": math.ceil(guesses / per_day),
        "even_chance_days": round(math.log(2) * guesses / per_day, -1),
        "withheld_calls": math.ceil(guesses / tickets.caller_failure_limit),
        "per_10_minutes": guesses * 600 // DAY_S,
        "alert": tickets.global_failure_limit * 600 // tickets.global_window_seconds,
        "given_code": codes // 2,
    }


def test_the_number_of_valid_codes_is_nine_tenths_of_a_power_of_ten() -> None:
    # Counted one by one for short codes: a non-zero first digit and one check digit in ten.
    for length in (3, 4, 5):
        valid = sum(is_valid_code("".join(digits), length) for digits in product("0123456789", repeat=length))
        assert valid == 9 * 10 ** (length - 2)


def test_the_readme_states_the_bound_of_the_shipped_limits() -> None:
    figures = _figures()
    paragraph = _bound_paragraph()
    for stated in (
        f"`tickets.code_length` ({figures['code_length']})",
        f"{figures['codes']:,} codes with a valid check digit",
        f"1 in **{figures['guesses']:,}**",
        f"**{figures['per_day']} guesses a day**",
        f"**{figures['requester_days']} requester-days**",
        f"about {figures['even_chance_days']:.0f} of them",
        f"**{figures['withheld_calls']:,} withheld calls**",
        f"{figures['per_10_minutes']} failures per 10 minutes",
        f"{figures['given_code']:,} guesses",
    ):
        assert stated in paragraph, stated
    # A day of guessing to find one code stays under the alert figure, as the README says.
    assert figures["per_10_minutes"] < figures["alert"]
    threat_model = (ROOT / "README.md").read_text(encoding="utf-8").split("## Threat model and limits")[1]
    assert re.search(rf"one valid code takes {figures['guesses']:,} guesses: {figures['requester_days']} addresses",
                     " ".join(threat_model.split()))


def test_one_valid_code_costs_more_than_a_hundred_requester_days() -> None:
    """The point of the 12 digits: finding any request is not within a few addresses' reach."""
    assert _figures()["requester_days"] >= 100
