"""Hostile input on every webhook: never a 5xx, always TwiML Twilio can play, 403 when unsigned.

Property-based (hypothesis). The routes come from `flow_steps()`, so a step added by anyone
is fuzzed too. Forms carry missing, empty, huge, non-ASCII and malformed Twilio parameters,
query strings are garbled, raw bodies are any bytes in any content type, and whole calls are
replayed with callbacks duplicated and out of order. Each test counts the cases it ran and
prints the count; together they run well over 10,000.
"""

from __future__ import annotations

import os
import string
import time
import uuid
from collections.abc import Callable, Iterator
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select, text
from werkzeug.test import EnvironBuilder

from callsim.twiml import Context, TwimlError, parse_document
from ivr.webhooks import flow_steps
from storage.models import Call, CallbackMessage, CallbackRequest
from tests.conftest import AUTH_TOKEN, PUBLIC_ORIGIN, make_app, make_settings, sign

ROUTES = sorted(flow_steps())
NO_TWILIO_API = {"api_base_url": "http://127.0.0.1:9"}  # recording copies fail at once, never leave the machine
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))  # e.g. 10 for a deeper run by hand
MAX_BODY_BYTES = 65536
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                print_blob=True)

TWILIO_KEYS = [
    "CallSid", "AccountSid", "From", "To", "Caller", "Called", "CallStatus", "Direction", "ApiVersion",
    "ForwardedFrom", "CallerName", "FromCountry", "ToCountry", "ParentCallSid", "Digits", "FinishedOnKey",
    "RecordingUrl", "RecordingSid", "RecordingDuration", "RecordingStatus", "RecordingChannels",
    "RecordingSource", "CallDuration", "DialCallStatus", "DialCallSid", "DialCallDuration", "DialBridged",
    "QueueResult", "QueueSid", "QueueTime", "QueuePosition", "ErrorCode", "ErrorUrl", "SpeechResult",
    "Confidence", "SequenceNumber", "Timestamp",
]
QUERY_KEYS = ["reason", "attempt", "mode", "number", "code", "next", "lang", "page", "digits"]
NOTABLE_VALUES = [
    "anonymous", "Anonymous", "+266696687", "+39800840840", "112", "+393471234567", "0612345678",
    "+390612345678#", "hangup", "-1", "0", "1e309", "NaN", "inf", "0x10", "٣", "９", "¹", "½",
    "completed", "in-progress", "failed", "absent", "busy", "no-answer", "canceled", "keypad", "closed",
    "all_busy", "error", "chosen", "\u202e+39347", "<Response/>", "]]>", "&amp;", "%00", "null", "None",
    "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1", "javascript:alert(1)", "\r\n",
    "99999999999999999999999999", "CA" + "0" * 32, "RE" + "f" * 32,
]

hostile_text = st.one_of(
    st.just(""),
    st.sampled_from(NOTABLE_VALUES),
    st.text(max_size=12),
    st.text(alphabet=string.digits + "+*#- ()", max_size=16),
    st.integers().map(str),
)
huge_text = st.builds(lambda char, count: char * count, st.characters(codec="utf-8"), st.integers(500, 40000))
form_keys = st.one_of(st.sampled_from(TWILIO_KEYS), st.text(max_size=10))
TYPICAL_FORM = {"CallSid": "CA" + "1" * 32, "AccountSid": "AC" + "0" * 32, "From": "+393471234567",
                "To": "+39800840840", "CallStatus": "in-progress", "Direction": "inbound", "Digits": "1"}


def _mutated(overrides: dict[str, str], missing: set[str], huge: tuple[str, str] | None) -> dict[str, str]:
    """A typical Twilio form with some parameters missing, others replaced, one maybe huge."""
    form = {key: value for key, value in TYPICAL_FORM.items() if key not in missing}
    form.update(overrides)
    if huge is not None:
        form[huge[0]] = huge[1]
    return form


form_strategy = st.builds(
    _mutated,
    st.dictionaries(form_keys, hostile_text, max_size=5),
    st.sets(st.sampled_from(sorted(TYPICAL_FORM)), max_size=4),
    st.one_of(st.none(), st.none(), st.none(), st.tuples(form_keys, huge_text)),
)
query_strategy = st.one_of(
    st.just(""),
    st.sampled_from(["reason=chosen&attempt=1", "attempt=2&mode=keypad",
                     "reason=closed&attempt=1&number=%2B390612345678", "attempt=-5",
                     "attempt=99999999999999999999", "reason=%00", "number=112", "mode=x&mode=keypad",
                     "reason=error", "attempt=&reason=", "%ZZ=%", "a=1&a=2&a=3"]),
    st.dictionaries(st.one_of(st.sampled_from(QUERY_KEYS), st.text(max_size=6)), hostile_text,
                    max_size=3).map(lambda query: urlencode(query)),
    st.text(alphabet=string.ascii_letters + string.digits + "=&%+;./-_~!$'()*,:@", max_size=30),
)


@pytest.fixture(scope="module")
def sqlite_fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for a whole module of cases (SQLite)."""
    folder = tmp_path_factory.mktemp("fuzz-sqlite")
    app = make_app(make_settings(f"sqlite:///{folder / 'fuzz.db'}", folder / "instance", twilio=NO_TWILIO_API))
    yield app
    app.extensions["contact_center"].engine.dispose()


@pytest.fixture(scope="module")
def postgres_fuzz_app(postgres_server_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for a whole module of cases on the session's private PostgreSQL database."""
    engine = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    app = make_app(make_settings(postgres_server_url, tmp_path_factory.mktemp("fuzz-pg") / "instance",
                                 twilio=NO_TWILIO_API))
    yield app
    app.extensions["contact_center"].engine.dispose()


def post(client: FlaskClient, path: str, query: str, form: dict[str, str], signature: str | None = None) -> Any:
    """POST a form to path?query, signed as Twilio signs it (or with the given signature)."""
    url = PUBLIC_ORIGIN + path + (f"?{query}" if query else "")
    headers = {"X-Twilio-Signature": sign(url, form) if signature is None else signature}
    return client.post(path, query_string=query or None, data=form, headers=headers)


def assert_playable(response: Any, path: str) -> None:
    """200 and a TwiML document Twilio's strict parser accepts where such a webhook runs.

    The fuzzer does not know which routes are queue-wait or whisper documents (where <Leave>
    or a bare <Gather> belong): the document must be valid in at least one of Twilio's contexts.
    """
    assert response.status_code == 200, (path, response.status_code, response.data[:300])
    assert response.mimetype == "text/xml"
    body = response.get_data(as_text=True)
    problems = []
    for context in Context:
        try:
            parse_document(PUBLIC_ORIGIN + path, body, context, strict=True)
            return
        except TwimlError as error:
            problems.append(f"{context.value}: {error.code} {error.detail}")
    raise AssertionError(f"{path}: invalid TwiML ({'; '.join(problems)}): {body[:500]}")


def too_large(response: Any) -> bool:
    """Whether the request's body passed the limit (the app must then have answered 413)."""
    return (response.request.content_length or 0) > MAX_BODY_BYTES


def run_cases(count: int, strategy: st.SearchStrategy[Any], check: Callable[[Any], None],
              capsys: pytest.CaptureFixture[str], name: str) -> None:
    """Run `check` on `count` generated cases, then report how many ran."""
    ran = 0
    started = time.perf_counter()
    count = max(1, round(count * SCALE))

    @settings(FUZZ, max_examples=count)
    @given(case=strategy)
    def property_holds(case: Any) -> None:
        nonlocal ran
        ran += 1
        check(case)

    property_holds()
    with capsys.disabled():
        print(f"\n{name}: {ran} generated cases in {time.perf_counter() - started:.1f} s")
    assert ran >= count


def test_signed_hostile_forms_always_get_playable_twiml(sqlite_fuzz_app: Flask,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    client = sqlite_fuzz_app.test_client()

    def check(case: tuple[str, str, dict[str, str]]) -> None:
        path, query, form = case
        response = post(client, path, query, form)
        if too_large(response):
            assert response.status_code == 413
        else:
            assert_playable(response, path)

    run_cases(5200, st.tuples(st.sampled_from(ROUTES), query_strategy, form_strategy), check, capsys,
              "hostile forms (SQLite)")


def test_signed_hostile_forms_on_postgresql(postgres_fuzz_app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    client = postgres_fuzz_app.test_client()

    def check(case: tuple[str, str, dict[str, str]]) -> None:
        path, query, form = case
        response = post(client, path, query, form)
        if too_large(response):
            assert response.status_code == 413
        else:
            assert_playable(response, path)

    run_cases(1000, st.tuples(st.sampled_from(ROUTES), query_strategy, form_strategy), check, capsys,
              "hostile forms (PostgreSQL)")


CONTENT_TYPES = ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=latin-1",
                 "multipart/form-data; boundary=xyz", "text/plain", "application/json", "text/xml", ""]


def test_any_raw_body_in_any_content_type_is_answered(sqlite_fuzz_app: Flask,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    client = sqlite_fuzz_app.test_client()

    def check(case: tuple[str, str, bytes]) -> None:
        path, content_type, body = case
        # Sign what the app will read from this body, whatever that is.
        environ = EnvironBuilder(path=path, method="POST", data=body, content_type=content_type).get_environ()
        params = Flask.request_class(environ).form  # every value of a repeated name is signed
        response = client.post(path, data=body, content_type=content_type,
                               headers={"X-Twilio-Signature": sign(PUBLIC_ORIGIN + path, params)})
        assert_playable(response, path)

    raw = st.one_of(st.binary(max_size=400),
                    st.lists(st.sampled_from([b"CallSid=CA1", b"&", b"=", b"%", b"%FF", b"%zz", b"+", b"Digits=",
                                              b"From=%2B39347", b"\xff\xfe", b"\x00", b";", b"--xyz\r\n",
                                              b'Content-Disposition: form-data; name="Digits"\r\n\r\n1\r\n',
                                              b"--xyz--"]), max_size=20).map(b"".join))
    run_cases(1700, st.tuples(st.sampled_from(ROUTES), st.sampled_from(CONTENT_TYPES), raw), check, capsys,
              "raw bodies")


def test_wrong_or_missing_signatures_are_refused(sqlite_fuzz_app: Flask, capsys: pytest.CaptureFixture[str]) -> None:
    client = sqlite_fuzz_app.test_client()

    def check(case: tuple[str, str, dict[str, str], str]) -> None:
        path, query, form, signature = case
        url = PUBLIC_ORIGIN + path + (f"?{query}" if query else "")
        if signature == sign(url, form):
            signature = sign(url, form, token="not-the-auth-token")
        response = post(client, path, query, form, signature=signature)
        assert response.status_code == (413 if too_large(response) else 403)

    signatures = st.one_of(st.just(""), st.text(alphabet=string.ascii_letters + string.digits + "+/=", max_size=40),
                           st.text(max_size=40).filter(lambda value: "\n" not in value and "\r" not in value))
    run_cases(1800, st.tuples(st.sampled_from(ROUTES), query_strategy, form_strategy, signatures), check, capsys,
              "wrong signatures")


CALLER = "+393471234567"
CALL_STEPS: list[tuple[str, dict[str, str]]] = [
    ("/voice/incoming", {}),
    ("/voice/menu/choice?attempt=1", {"Digits": "3"}),
    ("/voice/message?reason=chosen", {}),
    ("/voice/message/number?reason=chosen", {}),
    ("/voice/message/number/confirm?reason=chosen&attempt=1", {"Digits": "1"}),
    ("/voice/message/number/typed?reason=chosen&attempt=1", {"Digits": "0612345678"}),
    ("/voice/message/number/typed/confirm?reason=chosen&attempt=1&number=%2B390612345678", {"Digits": "1"}),
    ("/voice/message/record?reason=chosen", {}),
    ("/voice/message/recorded?reason=chosen", {"RecordingSid": "RE1", "RecordingUrl": "https://api.twilio.com/r1",
                                                "RecordingDuration": "12", "Digits": "#"}),
    ("/voice/message/recorded?reason=chosen", {"RecordingSid": "RE1", "RecordingUrl": "https://api.twilio.com/r1",
                                                "RecordingDuration": "12", "Digits": "hangup"}),
    ("/voice/message/recording-status?reason=chosen", {"RecordingSid": "RE1", "RecordingStatus": "completed",
                                                       "RecordingUrl": "https://api.twilio.com/r1",
                                                       "RecordingDuration": "12"}),
    ("/voice/message/recording-status?reason=chosen", {"RecordingSid": "RE2", "RecordingStatus": "absent",
                                                       "RecordingDuration": "0"}),
    ("/voice/fallback", {"ErrorCode": "11200", "ErrorUrl": "https://cc.example/voice/incoming"}),
    ("/voice/fallback/recorded", {"RecordingSid": "RE3", "RecordingUrl": "https://api.twilio.com/r3",
                                  "RecordingDuration": "8", "Digits": "#"}),
    ("/voice/message/recording-status?reason=error", {"RecordingSid": "RE3", "RecordingStatus": "completed",
                                                      "RecordingUrl": "https://api.twilio.com/r3",
                                                      "RecordingDuration": "8"}),
    ("/voice/status", {"CallStatus": "completed", "CallDuration": "95"}),
    ("/voice/status", {"CallStatus": "ringing"}),
    ("/voice/status", {"CallStatus": "completed", "CallDuration": "bogus"}),
]
RECORDS_A_MESSAGE = {8, 9, 10, 13, 14}
ABSENT_RECORDING = 11


def test_duplicated_and_out_of_order_callbacks_lose_nothing(sqlite_fuzz_app: Flask,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    client = sqlite_fuzz_app.test_client()
    sessions = sqlite_fuzz_app.extensions["contact_center"].sessions

    def check(case: tuple[list[int], str]) -> None:
        order, caller = case
        call_sid = "CA" + uuid.uuid4().hex
        for index in order:
            path_and_query, extra = CALL_STEPS[index]
            path, _, query = path_and_query.partition("?")
            form = {"CallSid": call_sid, "AccountSid": "AC" + "0" * 32, "From": caller, "To": "+39800840840",
                    "CallStatus": "in-progress", **extra}
            assert_playable(post(client, path, query, form), path)
        with sessions() as session:
            messages = session.scalars(select(CallbackMessage).where(CallbackMessage.call_sid == call_sid)).all()
            calls = session.scalars(select(Call).where(Call.call_sid == call_sid)).all()
            listed = session.get(CallbackRequest, messages[0].entry_id) if messages and messages[0].entry_id else None
        assert len(messages) <= 1 and len(calls) <= 1
        steps = set(order)
        confirmed = {4, 13} if caller == CALLER else set()
        if steps & (confirmed | {6}):
            assert messages and messages[0].callback_number is not None, order
            assert listed is not None and listed.callback_number == messages[0].callback_number, order
        if steps & RECORDS_A_MESSAGE and ABSENT_RECORDING not in steps:  # Twilio's "absent" wins
            assert messages and messages[0].message_status == "recorded" and messages[0].recording_sid, order
        if 15 in steps:
            assert calls and calls[0].final_status == "completed", order

    orders = st.lists(st.integers(0, len(CALL_STEPS) - 1), min_size=1, max_size=10)
    run_cases(500, st.tuples(orders, st.sampled_from([CALLER, "anonymous", ""])), check, capsys,
              "duplicated and out-of-order callbacks (calls)")


def test_oversized_bodies_are_refused_before_the_form_is_read(sqlite_fuzz_app: Flask) -> None:
    client = sqlite_fuzz_app.test_client()
    form = {"CallSid": "CA1", "Digits": "1" * (MAX_BODY_BYTES + 10)}
    assert post(client, "/voice/menu/choice", "", form).status_code == 413


class CountingStream(BytesIO):
    """A request body that remembers how much of it was read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk

    def readinto(self, buffer: Any) -> int:
        count = super().readinto(buffer)
        self.consumed += count
        return count


@pytest.mark.parametrize("size", [1000, MAX_BODY_BYTES, MAX_BODY_BYTES + 1, 5 * MAX_BODY_BYTES])
def test_a_chunked_body_is_refused_past_the_limit(sqlite_fuzz_app: Flask, size: int) -> None:
    """Without Content-Length (chunked, as gunicorn hands it over) the limit holds, not a truncation."""
    form = {"CallSid": "CA" + "5" * 32, "Digits": "3", "Pad": ""}
    form["Pad"] = "x" * (size - len(urlencode(form)))
    body = CountingStream(urlencode(form).encode())
    assert len(body.getvalue()) == size
    response = sqlite_fuzz_app.test_client().post(
        "/voice/menu/choice", input_stream=body, content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": sign(PUBLIC_ORIGIN + "/voice/menu/choice", form),
                 "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True})
    if size > MAX_BODY_BYTES:
        assert response.status_code == 413
        assert body.consumed == MAX_BODY_BYTES + 1
    else:
        assert_playable(response, "/voice/menu/choice")


def test_the_fuzzer_signs_as_twilio_does(sqlite_fuzz_app: Flask) -> None:
    client = sqlite_fuzz_app.test_client()
    form = {"CallSid": "CA" + "2" * 32, "From": CALLER}
    assert post(client, "/voice/incoming", "", form).status_code == 200
    assert post(client, "/voice/incoming", "", form, signature=sign(PUBLIC_ORIGIN + "/voice/incoming", form,
                                                                      token=AUTH_TOKEN + "x")).status_code == 403
