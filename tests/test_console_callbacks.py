"""The callback list in the console on both databases: pages, claims, outcomes, recordings, "Chiama"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from access.accounts import Role
from agents.roster import add_agent
from callsim import DialInfo, DialOutcome, FakeTwilioApi, Simulator, WSGITransport
from callsim.audio import silent_wav
from contact_center.services import copy_policy, rest_client, transcriber
from storage.models import AuditEntry, CallbackMessage, CallbackRequest, Ticket
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, LINE_OPEN_AT, make_app, make_settings
from tests.test_console_support import create_account, post_form, sign_in
from voicemail.callbacks import Recording, attach_recording, open_callback_request
from voicemail.recordings import copy_due_recordings

OPERATOR_PHONE = "+390612345678"


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) as api:
        yield api


@pytest.fixture
def console_app(database_url: str, tmp_path: Path, twilio_api: FakeTwilioApi) -> Iterator[Flask]:
    app = make_app(make_settings(database_url, tmp_path / "instance", twilio={"api_base_url": twilio_api.base_url},
                                 console={"page_size": 10}))
    create_account(app, "Olga Operatrice", Role.OPERATOR, phone=OPERATOR_PHONE)
    create_account(app, "Sara Supervisora", Role.SUPERVISOR)
    yield app
    app.extensions["contact_center"].engine.dispose()


@pytest.fixture
def client(console_app: Flask) -> FlaskClient:
    client = console_app.test_client()
    assert sign_in(client, "Olga Operatrice").status_code == 302
    return client


def leave_message(app: Flask, index: int, reason: str = "closed", seconds: int = 12,
                  api: FakeTwilioApi | None = None) -> str:
    """A caller leaves a recorded message from their own number; the call's SID."""
    call_sid = f"CA{index:032x}"
    recording_sid = f"RE{index:032x}"
    with app.extensions["contact_center"].sessions.begin() as session:
        open_callback_request(session, call_sid, f"+39347{index:07d}", "caller_id", reason, now=LINE_OPEN_AT)
        attach_recording(session, call_sid, Recording(recording_sid, f"https://api.twilio.com/x/{recording_sid}",
                                                      seconds), reason, now=LINE_OPEN_AT)
    if api is not None:
        api.add_recording(recording_sid, call_sid, seconds)
    return call_sid


def _entry_of(app: Flask, call_sid: str) -> CallbackRequest:
    with app.extensions["contact_center"].sessions() as session:
        message = session.scalars(select(CallbackMessage).where(CallbackMessage.call_sid == call_sid)).one()
        return session.get(CallbackRequest, message.entry_id)


def _ids_on(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'href="/console/callbacks/(\d+)"', page)]


def test_the_list_pages_through_every_due_entry_in_work_order(console_app: Flask, client: FlaskClient) -> None:
    for index in range(25):
        leave_message(console_app, index, reason="chosen" if index % 2 else "closed")
    first = client.get("/console/callbacks").get_data(as_text=True)
    assert "da richiamare adesso: <strong>25</strong>" in first
    seen, page, pages = [], first, 0
    while True:
        pages += 1
        seen += _ids_on(page)
        following = re.search(r'href="(/console/callbacks\?after=[^"]+)" rel="next"', page)
        if not following:
            break
        page = client.get(following[1].replace("&amp;", "&")).get_data(as_text=True)
    assert pages == 3 and len(seen) == len(set(seen)) == 25
    with console_app.extensions["contact_center"].sessions() as session:
        expected = list(session.scalars(select(CallbackRequest.id).order_by(
            CallbackRequest.priority, CallbackRequest.created_at, CallbackRequest.id)))
    assert seen == expected


def test_filters_by_reason_topic_and_day(console_app: Flask, client: FlaskClient) -> None:
    closed = _entry_of(console_app, leave_message(console_app, 1, reason="closed")).id
    chosen = _entry_of(console_app, leave_message(console_app, 2, reason="chosen")).id
    with console_app.extensions["contact_center"].sessions.begin() as session:
        session.execute(update(Ticket).where(Ticket.call_sid == f"CA{2:032x}").values(topic="risks"))
    assert _ids_on(client.get("/console/callbacks?reason=closed").get_data(as_text=True)) == [closed]
    assert _ids_on(client.get("/console/callbacks?topic=risks").get_data(as_text=True)) == [chosen]
    today = LINE_OPEN_AT.astimezone(ZoneInfo("Europe/Rome")).date()
    assert sorted(_ids_on(client.get(f"/console/callbacks?day={today}").get_data(as_text=True))) == [closed, chosen]
    assert _ids_on(client.get(f"/console/callbacks?day={today - timedelta(days=3)}").get_data(as_text=True)) == []
    for bad in ("view=lost", "reason=x", "topic=y", "day=ieri", "after=1.2"):
        response = client.get(f"/console/callbacks?{bad}")
        assert response.status_code == 302
        assert "Filtro non valido" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_claim_next_then_no_answer_reschedules_then_reached_changes_the_ticket(
        console_app: Flask, client: FlaskClient) -> None:
    call_sid = leave_message(console_app, 7)
    entry_id = _entry_of(console_app, call_sid).id
    claimed = post_form(client, "/console/callbacks/claim", {}, "/console/callbacks")
    assert claimed.headers["Location"] == f"/console/callbacks/{entry_id}"
    page = client.get(claimed.headers["Location"]).get_data(as_text=True)
    assert "in carico a Olga Operatrice" in page and "Esito della chiamata" in page
    entry_page = f"/console/callbacks/{entry_id}"
    post_form(client, f"{entry_page}/outcome", {"outcome": "no_answer", "note": "segreteria"}, entry_page)
    rescheduled = _entry_of(console_app, call_sid)
    assert (rescheduled.status, rescheduled.attempt_count) == ("pending", 1)
    assert rescheduled.next_attempt_at > LINE_OPEN_AT + timedelta(minutes=10)
    page = client.get(entry_page).get_data(as_text=True)
    assert "Nuovo tentativo previsto" in page and "non risponde" in page and "segreteria" in page
    with console_app.extensions["contact_center"].sessions.begin() as session:
        session.execute(update(CallbackRequest).values(next_attempt_at=LINE_OPEN_AT - timedelta(seconds=1)))
    post_form(client, "/console/callbacks/claim", {}, "/console/callbacks")
    post_form(client, f"{entry_page}/outcome", {"outcome": "reached", "ticket_status": "in_progress"}, entry_page)
    assert _entry_of(console_app, call_sid).status == "done"
    with console_app.extensions["contact_center"].sessions() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.call_sid == call_sid)).one()
        assert (ticket.status, ticket.history[-1].changed_by) == ("in_progress", "Olga Operatrice")
        actions = [e.action for e in session.scalars(select(AuditEntry).where(AuditEntry.actor == "Olga Operatrice"))]
    assert actions == ["sign_in", "callback_claim", "callback_outcome", "callback_claim", "callback_outcome"]
    empty = post_form(client, "/console/callbacks/claim", {}, "/console/callbacks")
    assert "Non ci sono richiamate" in client.get(empty.headers["Location"]).get_data(as_text=True)


def test_an_outcome_on_someone_elses_entry_is_refused(console_app: Flask, client: FlaskClient) -> None:
    entry_id = _entry_of(console_app, leave_message(console_app, 3)).id
    supervisor = console_app.test_client()
    sign_in(supervisor, "Sara Supervisora")
    post_form(supervisor, "/console/callbacks/claim", {}, "/console/callbacks")
    entry_page = f"/console/callbacks/{entry_id}"
    refused = post_form(client, f"{entry_page}/outcome", {"outcome": "reached"}, entry_page)
    assert refused.status_code == 409 and "assegnata a Sara Supervisora" in refused.get_data(as_text=True)
    assert _entry_of(console_app, f"CA{3:032x}").status == "claimed"


def test_the_recording_is_fetched_from_twilio_on_the_server_until_copied(
        console_app: Flask, client: FlaskClient, twilio_api: FakeTwilioApi) -> None:
    call_sid = leave_message(console_app, 5, seconds=3, api=twilio_api)
    entry_id = _entry_of(console_app, call_sid).id
    path = f"/console/callbacks/{entry_id}/recordings/{call_sid}"
    assert f'src="{path}"' in client.get(f"/console/callbacks/{entry_id}").get_data(as_text=True)
    fetched = client.get(path)
    assert fetched.status_code == 200 and fetched.mimetype == "audio/wav"
    assert fetched.data == silent_wav(3) and AUTH_TOKEN.encode() not in fetched.data
    assert [request.path.rsplit("/", 1)[-1] for request in twilio_api.requests] == [f"RE{5:032x}.wav"]
    settings = console_app.extensions["contact_center"].settings
    copy_due_recordings(console_app.extensions["contact_center"].sessions, rest_client(settings),
                        copy_policy(settings), transcriber(settings), clock=lambda: LINE_OPEN_AT)
    twilio_api.fail_next(5)
    local = client.get(path)
    assert local.status_code == 200 and local.data == silent_wav(3)
    assert client.get(path, headers={"Range": "bytes=0-99"}).status_code == 206


def test_the_recording_proxy_refuses_a_signed_out_user_and_other_entries(
        console_app: Flask, client: FlaskClient, twilio_api: FakeTwilioApi) -> None:
    call_sid = leave_message(console_app, 6, api=twilio_api)
    other = _entry_of(console_app, leave_message(console_app, 8, api=twilio_api)).id
    entry_id = _entry_of(console_app, call_sid).id
    anonymous = console_app.test_client().get(f"/console/callbacks/{entry_id}/recordings/{call_sid}")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/console/login")
    assert client.get(f"/console/callbacks/{other}/recordings/{call_sid}").status_code == 404
    assert client.get(f"/console/callbacks/{entry_id}/recordings/../../etc/passwd").status_code == 404
    twilio_api.fail_next(1, status=503)
    unavailable = client.get(f"/console/callbacks/{entry_id}/recordings/{call_sid}")
    assert unavailable.status_code == 502 and twilio_api.requests == [twilio_api.requests[0]]


def test_chiama_rings_the_operator_then_dials_the_citizen_from_the_lines_number(
        console_app: Flask, client: FlaskClient, twilio_api: FakeTwilioApi) -> None:
    call_sid = leave_message(console_app, 9)
    entry = _entry_of(console_app, call_sid)
    entry_page = f"/console/callbacks/{entry.id}"
    post_form(client, f"{entry_page}/call", {}, entry_page)
    assert "Prendi in carico" in client.get(entry_page).get_data(as_text=True) and twilio_api.calls == []
    post_form(client, "/console/callbacks/claim", {}, "/console/callbacks")
    post_form(client, f"{entry_page}/call", {}, entry_page)
    assert "Sta squillando il tuo telefono" in client.get(entry_page).get_data(as_text=True)
    [created] = twilio_api.calls
    assert (created.params["To"], created.params["From"]) == (OPERATOR_PHONE, "+39800840840")
    assert created.params["Url"].startswith("http://localhost/voice/callback-call?entry=")
    dials: list[DialInfo] = []
    simulator = Simulator(WSGITransport(console_app), auth_token=AUTH_TOKEN, public_base_url="http://localhost",
                          voice_url=created.params["Url"], status_callback_url=None,
                          on_dial=lambda info: dials.append(info) or DialOutcome())
    operator_leg = simulator.dial(from_="+39800840840", to=OPERATOR_PHONE, Direction="outbound-api")
    assert operator_leg.errors == [] and [t.address for t in dials[0].targets] == [entry.callback_number]
    assert dials[0].attrs["callerId"] == "+39800840840"


def test_chiama_says_why_when_twilio_refuses(console_app: Flask, client: FlaskClient,
                                            twilio_api: FakeTwilioApi) -> None:
    entry_id = _entry_of(console_app, leave_message(console_app, 4)).id
    entry_page = f"/console/callbacks/{entry_id}"
    post_form(client, "/console/callbacks/claim", {}, "/console/callbacks")
    twilio_api.fail_next(1, status=400)
    post_form(client, f"{entry_page}/call", {}, entry_page)
    assert "Chiamata non avviata: Twilio ha rifiutato la chiamata" in client.get(entry_page).get_data(as_text=True)


def test_chiama_rings_the_roster_phone_of_an_account_without_one(console_app: Flask,
                                                                twilio_api: FakeTwilioApi) -> None:
    create_account(console_app, "Rita Roster", Role.OPERATOR)
    client = console_app.test_client()
    sign_in(client, "Rita Roster")
    entry_id = _entry_of(console_app, leave_message(console_app, 11)).id
    entry_page = f"/console/callbacks/{entry_id}"
    post_form(client, "/console/callbacks/claim", {}, "/console/callbacks")
    post_form(client, f"{entry_page}/call", {}, entry_page)
    assert "il tuo account non ha un telefono" in client.get(entry_page).get_data(as_text=True).lower()
    with console_app.extensions["contact_center"].sessions.begin() as session:
        add_agent(session, "Rita Roster", phone="+390698765432", now=LINE_OPEN_AT)
    post_form(client, f"{entry_page}/call", {}, entry_page)
    assert [created.params["To"] for created in twilio_api.calls] == ["+390698765432"]
