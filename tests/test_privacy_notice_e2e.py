"""The privacy notice (GDPR art. 13): heard before the number is asked and before the beep, short, skippable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from callsim import Call, Simulator, WSGITransport
from callsim.voices import speech_seconds
from tests.conftest import AUTH_TOKEN, make_app, make_settings

NOTICE_IT = ("I dati sono trattati dal Dipartimento della Protezione Civile per richiamarti. "
             "Informativa su protezionecivile punto gov punto it.")
NOTICE_EN = ("The Civil Protection Department uses your data only to call you back. "
             "Notice at protezionecivile dot gov dot it.")
ITALIAN_MOBILE = "+393471234567"
UK_CALLER = "+447911123456"
MAX_NOTICE_SECONDS = 8.0


def dial(app: Flask, from_: str) -> Call:
    return Simulator(WSGITransport(app), auth_token=AUTH_TOKEN, public_base_url="http://localhost").dial(from_=from_)


def events(call: Call) -> list[tuple[Any, ...]]:
    return list(call.transcript)


def index_of_say(call: Call, text: str) -> int:
    [index] = [i for i, event in enumerate(events(call)) if event[0] == "say" and event[1] == text]
    return index


def index_of_beep(call: Call) -> int:
    [index] = [i for i, event in enumerate(events(call)) if event[0] == "beep"]
    return index


def inside_a_gather(call: Call, index: int) -> bool:
    """Whether the <Say> at `index` was played by a <Gather> (a key press cuts it short: barge-in)."""
    before = events(call)[:index]
    kinds = [event[0] for event in reversed(before)]
    for kind in kinds:
        if kind == "gather":
            return True
        if kind != "say":
            return False
    return False


@pytest.mark.parametrize(("caller", "notice", "number_prompt"), [
    (ITALIAN_MOBILE, NOTICE_IT, "Ti richiameremo al numero che termina con 45 67"),
    (UK_CALLER, NOTICE_EN, "We will call you back on the number ending in 34 56"),
])
def test_the_notice_is_heard_before_the_number_is_asked_and_before_the_beep(
        sqlite_app: Flask, caller: str, notice: str, number_prompt: str) -> None:
    call = dial(sqlite_app, caller)
    call.press("3")
    heard = call.heard_since_last_input().splitlines()
    assert heard.index(notice) == heard.index(next(line for line in heard if line.startswith(number_prompt))) - 1
    notice_at = index_of_say(call, notice)
    assert inside_a_gather(call, notice_at)
    call.press("1")
    call.record(seconds=9)
    assert notice_at < index_of_beep(call)
    assert call.said().count(notice) == 1 and call.ended and call.errors == []


@pytest.mark.parametrize("notice", [NOTICE_IT, NOTICE_EN])
def test_the_notice_lasts_less_than_eight_seconds_of_speech(notice: str) -> None:
    assert speech_seconds(notice) < MAX_NOTICE_SECONDS


def test_a_key_pressed_during_the_notice_answers_the_question_that_follows(sqlite_app: Flask) -> None:
    call = dial(sqlite_app, ITALIAN_MOBILE)
    call.press("3")
    assert NOTICE_IT in call.heard_since_last_input()
    call.press("1")  # at the Gather holding the notice: the caller ID is confirmed at once
    assert "dopo il segnale acustico" in call.heard_since_last_input()


def test_a_withheld_caller_hears_the_notice_before_typing_the_number_and_only_once(sqlite_app: Flask) -> None:
    call = dial(sqlite_app, "anonymous")
    call.press("3")
    heard = call.heard_since_last_input().splitlines()
    assert heard.index(NOTICE_IT) < next(i for i, line in enumerate(heard) if line.startswith("Digita il numero"))
    assert inside_a_gather(call, index_of_say(call, NOTICE_IT))
    call.press("12#")  # refused: asked again, without the notice
    assert NOTICE_IT not in call.heard_since_last_input()
    call.press("3471234567#")
    call.press("1")
    call.record(seconds=9)
    assert index_of_say(call, NOTICE_IT) < index_of_beep(call) and call.errors == []


def test_the_address_heard_is_the_configured_one(tmp_path: Path) -> None:
    app = make_app(make_settings(f"sqlite:///{tmp_path / 'cc.db'}", tmp_path / "instance",
                                 privacy={"spoken_site": {"it": "esempio punto it"}}))
    call = dial(app, ITALIAN_MOBILE)
    call.press("3")
    assert ("I dati sono trattati dal Dipartimento della Protezione Civile per richiamarti. "
            "Informativa su esempio punto it.") in call.heard_since_last_input().splitlines()
    app.extensions["contact_center"].engine.dispose()
