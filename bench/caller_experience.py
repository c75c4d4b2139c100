"""Caller experience: seconds from the first ring to hearing a request's status. `python bench/caller_experience.py`.

Whole calls through the call simulator (Twilio's timing: speech at 2.5 words a second, 0.5 s a
key, the words then the silence that ends them) against the service on a temporary SQLite file,
at a staffed Wednesday morning. The clock stops at the end of the status sentence. Callers here
listen to every prompt to its end before answering; a caller who barges in (a key or words while
a prompt plays) is faster, which the simulator does not model.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from callsim import Call, Simulator, WSGITransport  # noqa: E402
from contact_center.app import create_app  # noqa: E402
from contact_center.config import settings_from_mapping  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tickets.repository import create_ticket  # noqa: E402
from tickets.status import Channel, Topic  # noqa: E402

STAFFED = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Rome"))  # a Wednesday morning
TOKEN = "bench-auth-token"
ITALIAN_DIGITS = ("zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove")
ENGLISH_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
STATUS_IT = "La richiesta è stata ricevuta"
STATUS_EN = "Your request has been received"


def _words(code: str, digits: tuple[str, ...]) -> str:
    return " ".join(digits[int(digit)] for digit in code)


def _keypad(call: Call, code: str) -> None:
    call.press("2")
    call.press(code + "#")


def _voice_it(call: Call, code: str) -> None:
    call.say("stato della richiesta")
    call.say(_words(code, ITALIAN_DIGITS))


def _voice_it_unsure(call: Call, code: str) -> None:
    call.say("stato della richiesta")
    call.say(_words(code, ITALIAN_DIGITS), confidence=0.4)  # read back: "Hai detto ...? Premi 1 per confermare"
    call.say("sì")


def _voice_en(call: Call, code: str) -> None:
    call.say("request status")
    call.say(_words(code, ENGLISH_DIGITS))


# (who, caller ID, what they do, the status sentence's start, speech on)
CALLERS: tuple[tuple[str, str, Callable[[Call, str], None], str, bool], ...] = (
    ("keypad, Italian (+39)", "+393471234567", _keypad, STATUS_IT, True),
    ("voice, Italian (+39)", "+393471234567", _voice_it, STATUS_IT, True),
    ("voice, Italian, code read back (confidence 0.4)", "+393471234567", _voice_it_unsure, STATUS_IT, True),
    ("keypad, English (+44)", "+447911123456", _keypad, STATUS_EN, True),
    ("voice, English (+44)", "+447911123456", _voice_en, STATUS_EN, True),
    ("keypad, Italian (+39), speech off", "+393471234567", _keypad, STATUS_IT, False),
)


def _simulator(folder: str, speech: bool) -> tuple[Simulator, str]:
    """The service on a fresh SQLite file with one request, and its code."""
    settings = settings_from_mapping({
        "database": {"url": f"sqlite:///{folder}/bench-{speech}.db", "instance_dir": f"{folder}/instance"},
        "twilio": {"auth_token": TOKEN}, "web": {"secret_key": "bench"}, "speech": {"enabled": speech}})
    app = create_app(settings)
    runtime = app.extensions["contact_center"]
    runtime.clock = lambda: STAFFED
    upgrade(runtime.engine)
    with runtime.sessions.begin() as session:
        code = create_ticket(session, channel=Channel.PHONE, topic=Topic.RISKS, now=STAFFED).code
    return Simulator(WSGITransport(app), auth_token=TOKEN, public_base_url="http://localhost"), code


def main() -> None:
    """Print, for each kind of caller, the seconds from the first ring to the end of the status sentence."""
    with tempfile.TemporaryDirectory() as folder:
        lines = {speech: _simulator(folder, speech) for speech in (True, False)}
        print("simulated seconds from the first ring to the end of the status sentence:")
        for name, caller, answer, status, speech in CALLERS:
            simulator, code = lines[speech]
            call = simulator.dial(from_=caller)
            menu_heard = call.clock
            answer(call, code)
            if call.errors:
                raise SystemExit(f"{name}: {call.errors}")
            print(f"  {name:50} {call.heard_by(status):6.1f} s   (welcome and menu: {menu_heard:.1f} s)")


if __name__ == "__main__":
    main()
