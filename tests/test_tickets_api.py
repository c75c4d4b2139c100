"""The integrators' tickets API: bearer tokens, JSON shapes, and a JSON error for every refusal."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from access.tokens import create_token, revoke_token, verify_token
from storage.models import ApiToken
from tests.conftest import LINE_OPEN_AT
from tickets.codes import damm_check_digit


@pytest.fixture
def token(app: Flask) -> str:
    with app.extensions["contact_center"].sessions.begin() as session:
        return create_token(session, "sito-web", now=LINE_OPEN_AT, scopes=("tickets:read", "tickets:write"))[1]


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _create(client: FlaskClient, token: str, **body: Any) -> Any:
    payload = {"channel": "email", "topic": "risks", "summary": "Chiede dei piani di emergenza comunali",
               "email": "cittadino@example.org", **body}
    return client.post("/api/tickets", json=payload, headers=_auth(token))


def test_create_show_and_change_status(client: FlaskClient, token: str) -> None:
    created = _create(client, token, phone="347 123 4567")
    ticket = created.get_json()
    assert created.status_code == 201
    assert created.headers["Location"] == f"/api/tickets/{ticket['code']}"
    assert len(ticket["code"]) == 12 and damm_check_digit(ticket["code"][:-1]) == ticket["code"][-1]
    assert {key: ticket[key] for key in ("channel", "topic", "status", "phone", "email", "forwarded_to")} == {
        "channel": "email", "topic": "risks", "status": "received", "phone": "+393471234567",
        "email": "cittadino@example.org", "forwarded_to": None}
    assert ticket["status_label"] == "ricevuta" and ticket["channel_label"] == "e-mail"
    assert ticket["history"][0]["by"] == "api:sito-web"

    changed = client.post(f"/api/tickets/{ticket['code']}/status", headers=_auth(token),
                          json={"status": "forwarded", "forwarded_to": "Regione Lazio", "note": "competenza"})
    assert changed.status_code == 200
    assert (changed.get_json()["status"], changed.get_json()["forwarded_to"]) == ("forwarded", "Regione Lazio")

    shown = client.get(f"/api/tickets/{ticket['code']}", headers=_auth(token)).get_json()
    assert [(step["from"], step["to"], step["forwarded_to"], step["note"]) for step in shown["history"]] == [
        (None, "received", None, ""), ("received", "forwarded", "Regione Lazio", "competenza")]
    assert set(shown) == {"code", "channel", "channel_label", "topic", "topic_label", "status", "status_label",
                          "forwarded_to", "phone", "email", "summary", "call_sid", "created_at",
                          "status_changed_at", "history"}


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer"}, {"Authorization": "Bearer cc_not-a-token"}, {"Authorization": "Basic abc"},
    {"Authorization": "Bearer " + "x" * 5000},
])
def test_a_missing_or_bad_token_is_401(client: FlaskClient, token: str, headers: dict[str, str]) -> None:
    for response in (client.post("/api/tickets", json={"channel": "web", "summary": "x"}, headers=headers),
                     client.get("/api/tickets/12345674", headers=headers),
                     client.post("/api/tickets/12345674/status", json={"status": "closed"}, headers=headers)):
        assert response.status_code == 401
        assert response.get_json()["error"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_stops_working_at_once(app: Flask, client: FlaskClient, token: str) -> None:
    assert client.get("/api/tickets/12345674", headers=_auth(token)).status_code in (400, 404)
    with app.extensions["contact_center"].sessions.begin() as session:
        revoke_token(session, "sito-web")
    assert client.get("/api/tickets/12345674", headers=_auth(token)).status_code == 401


@pytest.mark.parametrize(("body", "message"), [
    ({"channel": "pigeon"}, "unknown channel 'pigeon'; valid values: phone, voicemail, web, email, fax, letter"),
    ({"topic": "weather"}, "unknown topic 'weather'"),
    ({"summary": "  "}, "the summary is empty"),
    ({"summary": 42}, "summary: Input should be a valid string"),
    ({"phone": "12"}, "not a valid phone number: '12'"),
    ({"email": "nobody"}, "not an e-mail address: 'nobody'"),
    ({"colour": "red"}, "colour: Extra inputs are not permitted"),
])
def test_bad_input_is_400_with_a_json_error(client: FlaskClient, token: str, body: dict[str, Any],
                                            message: str) -> None:
    response = _create(client, token, **body)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"
    assert message in response.get_json()["message"]


@pytest.mark.parametrize("data", ["not json", "[1, 2]", "null", ""])
def test_a_body_that_is_not_a_json_object_is_400(client: FlaskClient, token: str, data: str) -> None:
    response = client.post("/api/tickets", data=data, content_type="application/json", headers=_auth(token))
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("the body must be a JSON object")


def test_missing_fields_are_named(client: FlaskClient, token: str) -> None:
    response = client.post("/api/tickets", json={"topic": "risks"}, headers=_auth(token))
    assert (response.status_code, response.get_json()["message"]) == (400, "channel: Field required")


def test_status_change_errors(client: FlaskClient, token: str) -> None:
    code = _create(client, token).get_json()["code"]
    post = lambda body: client.post(f"/api/tickets/{code}/status", json=body, headers=_auth(token))  # noqa: E731
    unknown_status = post({"status": "lost"})
    assert (unknown_status.status_code, unknown_status.get_json()["error"]) == (400, "bad_request")
    assert "unknown status 'lost'" in unknown_status.get_json()["message"]
    no_institution = post({"status": "forwarded"})
    assert no_institution.status_code == 400
    assert no_institution.get_json()["message"].startswith("forwarded_to:")
    assert post({"status": "received"}).status_code == 409
    assert post({"status": "closed"}).status_code == 200
    refused = post({"status": "waiting-for-citizen"})
    assert refused.status_code == 409
    assert refused.get_json() == {"error": "invalid_transition",
                                  "message": "cannot move a ticket from closed to waiting_for_citizen"}


def test_codes_in_the_path(client: FlaskClient, token: str) -> None:
    code = _create(client, token).get_json()["code"]
    invalid = client.get(f"/api/tickets/{code[:-1]}x", headers=_auth(token))
    assert (invalid.status_code, invalid.get_json()["error"]) == (400, "invalid_code")
    body = ("9" if code[0] != "9" else "8") + code[1:-1]
    unknown = client.get(f"/api/tickets/{body + damm_check_digit(body)}", headers=_auth(token))
    assert (unknown.status_code, unknown.get_json()["error"]) == (404, "not_found")
    spaced = client.get(f"/api/tickets/{code[:4]}%20{code[4:]}", headers=_auth(token))
    assert spaced.status_code == 200 and spaced.get_json()["code"] == code


def test_http_errors_under_api_are_json(client: FlaskClient, token: str) -> None:
    wrong_method = client.put("/api/tickets", headers=_auth(token))
    assert (wrong_method.status_code, wrong_method.get_json()["error"]) == (405, "method_not_allowed")
    nowhere = client.get("/api/nothing-here")
    assert (nowhere.status_code, nowhere.get_json()["error"]) == (404, "not_found")
    assert client.get("/nothing-here").mimetype == "text/html"


def test_only_the_hash_of_a_token_is_stored(app: Flask, token: str) -> None:
    with app.extensions["contact_center"].sessions() as session:
        stored = session.scalars(select(ApiToken)).one()
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in {stored.name, stored.token_hash}
        assert verify_token(session, token).name == "sito-web"
        assert verify_token(session, token + "x") is None


def test_a_read_only_token_cannot_create_or_change_tickets(app: Flask, client: FlaskClient) -> None:
    with app.extensions["contact_center"].sessions.begin() as session:
        raw = create_token(session, "sola-lettura", now=LINE_OPEN_AT)[1]
    refused = client.post("/api/tickets", json={"channel": "email", "summary": "x"}, headers=_auth(raw))
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
