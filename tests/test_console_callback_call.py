"""The "Chiama" call flow: the operator's phone answers, the citizen is dialled from the line's number."""

from __future__ import annotations

from flask import Flask

from callsim import DialInfo, DialOutcome, Simulator, WSGITransport
from contact_center.links import CALLBACK_CALL_PATH as CONNECT_PATH
from contact_center.links import callback_call_signature as signature
from contact_center.links import callback_call_url as connect_url
from storage.models import CallbackRequest
from tests.conftest import AUTH_TOKEN

CITIZEN = "+393471234567"
OPERATOR_PHONE = "+390612345678"
LINE = "+39800840840"


def _entry(app: Flask, status: str = "claimed", number: str | None = CITIZEN) -> int:
    with app.extensions["contact_center"].sessions.begin() as session:
        entry = CallbackRequest(callback_number=number, reason="closed", status=status)
        session.add(entry)
        session.flush()
        return entry.id


def _operator_answers(app: Flask, path: str, outcome: DialOutcome | None = None):
    outcome = outcome or DialOutcome()
    dials: list[DialInfo] = []

    def on_dial(info: DialInfo) -> DialOutcome:
        dials.append(info)
        return outcome

    simulator = Simulator(WSGITransport(app), auth_token=AUTH_TOKEN, public_base_url="http://localhost",
                          voice_url=path, status_callback_url=None, on_dial=on_dial)
    call = simulator.dial(from_=LINE, to=OPERATOR_PHONE, Direction="outbound-api")
    return call, dials


def test_the_operator_hears_whom_they_call_and_the_citizen_sees_the_lines_number(app: Flask) -> None:
    entry_id = _entry(app)
    call, dials = _operator_answers(app, connect_url(AUTH_TOKEN, entry_id, CITIZEN))
    assert call.errors == [] and call.ended
    assert "termina con 45 67" in call.said()
    [dial] = dials
    assert [(target.kind, target.address) for target in dial.targets] == [("Number", CITIZEN)]
    assert dial.attrs["callerId"] == LINE
    assert "La chiamata è terminata" in call.said() and "Registra l'esito" in call.said()


def test_the_operator_hears_when_the_citizen_does_not_answer(app: Flask) -> None:
    entry_id = _entry(app)
    call, _ = _operator_answers(app, connect_url(AUTH_TOKEN, entry_id, CITIZEN), DialOutcome(status="no-answer"))
    assert "non risponde" in call.said() and call.errors == []


def test_a_forged_or_stale_url_dials_nobody(app: Flask) -> None:
    open_entry = _entry(app)
    closed_entry = _entry(app, status="done", number="+393339876543")
    stolen_signature = signature(AUTH_TOKEN, open_entry, CITIZEN)
    forged = f"{CONNECT_PATH}?entry={open_entry}&number=%2B393330000000&sig={stolen_signature}"
    for path in (forged, connect_url("another-token", open_entry, CITIZEN),
                 connect_url(AUTH_TOKEN, closed_entry, "+393339876543"),
                 connect_url(AUTH_TOKEN, open_entry + 99, CITIZEN), f"{CONNECT_PATH}?entry=garbage"):
        call, dials = _operator_answers(app, path)
        assert dials == [] and call.errors == [] and call.ended
        assert "non è più disponibile" in call.said()
