"""The console's JSON API: tokens required, the same operations as the pages, an OpenAPI document."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from access.accounts import Role
from access.tokens import create_token
from agents.roster import add_agent
from storage.models import AuditEntry, CallbackRequest, Ticket
from tests.conftest import LINE_OPEN_AT, make_app
from tests.test_console_support import create_account
from voicemail.callbacks import open_callback_request

ENDPOINTS = [("GET", "/api/console/today"), ("GET", "/api/console/callbacks"), ("GET", "/api/console/callbacks/1"),
             ("POST", "/api/console/callbacks/claim"), ("POST", "/api/console/callbacks/1/outcome"),
             ("GET", "/api/console/presence"), ("PUT", "/api/console/presence/Olga")]


@pytest.fixture
def api_app(settings) -> Iterator[Flask]:
    app = make_app(settings)
    create_account(app, "Olga Operatrice", Role.OPERATOR)
    with app.extensions["contact_center"].sessions.begin() as session:
        add_agent(session, "Olga Operatrice", phone="+390612345678", now=LINE_OPEN_AT)
    yield app
    app.extensions["contact_center"].engine.dispose()


ALL_CONSOLE = ("console:read", "callbacks:work", "presence:write")


def _token(app: Flask, name: str = "crm", scopes: tuple[str, ...] = ALL_CONSOLE) -> dict[str, str]:
    with app.extensions["contact_center"].sessions.begin() as session:
        _, raw = create_token(session, name, now=LINE_OPEN_AT, scopes=scopes)
    return {"Authorization": f"Bearer {raw}"}


def _message(app: Flask, index: int) -> None:
    with app.extensions["contact_center"].sessions.begin() as session:
        open_callback_request(session, f"CA{index:032x}", f"+39347{index:07d}", "caller_id", "closed", now=LINE_OPEN_AT)


def test_no_api_call_without_a_valid_token(api_app: Flask) -> None:
    client = api_app.test_client()
    for method, path in ENDPOINTS:
        for headers in ({}, {"Authorization": "Bearer cc_not-a-token"}, {"Authorization": "Basic b2xnYTp4"}):
            response = client.open(path, method=method, json={}, headers=headers)
            assert response.status_code == 401, (method, path)
            assert response.json["error"] == "unauthorized"
            assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_claim_outcome_and_ticket_status_through_the_api(api_app: Flask) -> None:
    client, headers = api_app.test_client(), _token(api_app)
    _message(api_app, 1)
    listed = client.get("/api/console/callbacks", headers=headers).json
    assert listed["counts"]["due"] == 1 and listed["entries"][0]["reason"] == "closed"
    claimed = client.post("/api/console/callbacks/claim", json={"operator": "Olga Operatrice"}, headers=headers)
    assert claimed.status_code == 200 and claimed.json["claimed_by"] == "Olga Operatrice"
    entry_id = claimed.json["id"]
    assert client.post("/api/console/callbacks/claim", json={"operator": "Olga Operatrice"},
                       headers=headers).status_code == 204
    done = client.post(f"/api/console/callbacks/{entry_id}/outcome", headers=headers,
                       json={"operator": "Olga Operatrice", "outcome": "reached", "ticket_status": "closed"})
    assert done.status_code == 200 and done.json["status"] == "done"
    again = client.post(f"/api/console/callbacks/{entry_id}/outcome", headers=headers,
                        json={"operator": "Olga Operatrice", "outcome": "busy"})
    assert again.status_code == 409
    with api_app.extensions["contact_center"].sessions() as session:
        assert session.scalars(select(Ticket.status)).one() == "closed"
        audit = [(e.actor, e.action, e.detail) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert audit == [("api:crm", "callback_claim", "per Olga Operatrice"),
                     ("api:crm", "callback_outcome", "reached per Olga Operatrice")]


def test_bad_requests_are_clear_json_errors(api_app: Flask) -> None:
    client, headers = api_app.test_client(), _token(api_app)
    cases = [
        ("POST", "/api/console/callbacks/claim", {"operator": "Nessuno"}, 400, "unknown_operator"),
        ("POST", "/api/console/callbacks/claim", {"operator": 7}, 400, "bad_request"),
        ("POST", "/api/console/callbacks/claim", {"operator": "Olga", "extra": 1}, 400, "bad_request"),
        ("POST", "/api/console/callbacks/1/outcome", {"operator": "Olga Operatrice", "outcome": "forse"}, 400,
         "bad_request"),
        ("POST", f"/api/console/callbacks/{2**63}/outcome", {"operator": "Olga Operatrice", "outcome": "busy"}, 404,
         "not_found"),
        ("GET", "/api/console/callbacks?view=lost", None, 400, "bad_request"),
        ("GET", "/api/console/callbacks?day=9999-12-31", None, 400, "bad_request"),
        ("GET", "/api/console/callbacks?after=1.99999999999999999999.3", None, 400, "bad_request"),
        ("GET", "/api/console/callbacks?limit=0", None, 400, "bad_request"),
        ("GET", "/api/console/callbacks/999", None, 404, "not_found"),
        ("PUT", "/api/console/presence/Olga%00", {"state": "away"}, 400, "bad_request"),
        ("PUT", "/api/console/presence/Olga Operatrice", {"state": "on_call"}, 400, "bad_request"),
    ]
    for method, path, body, status, error in cases:
        response = client.open(path, method=method, json=body, headers=headers)
        assert (response.status_code, response.json["error"]) == (status, error), (method, path, body)
    assert client.post("/api/console/callbacks/claim", data="x", headers=headers).json["error"] == "bad_request"


def test_presence_through_the_api(api_app: Flask) -> None:
    client, headers = api_app.test_client(), _token(api_app)
    changed = client.put("/api/console/presence/Olga Operatrice", json={"state": "available"}, headers=headers)
    assert changed.status_code == 200 and changed.json["state"] == "available"
    board = client.get("/api/console/presence", headers=headers).json["operators"]
    assert [(row["name"], row["state"]) for row in board] == [("Olga Operatrice", "available")]


def test_the_openapi_document_is_served_and_valid(api_app: Flask) -> None:
    from schemathesis import openapi

    document = api_app.test_client().get("/api/openapi.json")
    assert document.status_code == 200
    schema = openapi.from_dict(document.json)
    operations = {op.ok().label for op in schema.get_all_operations()}
    assert {"GET /api/console/callbacks", "POST /api/console/callbacks/claim",
            "PUT /api/console/presence/{name}"} <= operations
    served = {(method.upper(), path) for path, item in document.json["paths"].items() for method in item}
    rules = {(method, rule.rule.replace("<int:entry_id>", "{entry_id}").replace("<name>", "{name}")
              .replace("<code>", "{code}"))
             for rule in api_app.url_map.iter_rules()
             if rule.rule.startswith("/api/") and rule.rule != "/api/openapi.json"
             for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == rules


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(sqlite_url: str, tmp_path: Path) -> None:
    from tests.conftest import make_settings

    app = make_app(make_settings(sqlite_url, tmp_path / "instance"))
    create_account(app, "Olga Operatrice", Role.OPERATOR)
    for index in range(3):
        _message(app, index)
    headers = _token(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", f"http://127.0.0.1:{server.server_port}/api/openapi.json",
             "--checks", "not_a_server_error", "--max-examples", "25", "--seed", "1",
             "--header", f"Authorization:{headers['Authorization']}", "--generation-allow-x00", "true"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    finally:
        server.shutdown()
        thread.join()
        app.extensions["contact_center"].engine.dispose()
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Tested: 11" in result.stdout and " 0 passed" not in result.stdout
    with app.extensions["contact_center"].sessions() as session:
        assert session.scalar(select(CallbackRequest.id).limit(1)) is not None


def test_a_tickets_token_cannot_read_or_work_the_callback_list_or_presence(api_app: Flask) -> None:
    """The probe: a token made for the tickets API read citizens' numbers, claimed for any account, set presence."""
    _message(api_app, 1)
    client = api_app.test_client()
    headers = _token(api_app, "sito-web", scopes=("tickets:read", "tickets:write"))
    for method, path in ENDPOINTS:
        response = client.open(path, method=method, json={}, headers=headers)
        assert response.status_code == 403, (method, path)
        assert response.json["error"] == "forbidden"
    reader = _token(api_app, "cruscotto", scopes=("console:read",))
    assert client.get("/api/console/callbacks/1", headers=reader).status_code == 200
    assert client.post("/api/console/callbacks/claim", json={"operator": "Olga Operatrice"},
                       headers=reader).status_code == 403
    assert client.put("/api/console/presence/Olga Operatrice", json={"state": "away"},
                      headers=reader).status_code == 403


def test_a_token_acts_only_for_an_active_unlocked_account(api_app: Flask) -> None:
    from datetime import timedelta

    from access.accounts import find_account
    _message(api_app, 1)
    client = api_app.test_client()
    headers = _token(api_app)
    with api_app.extensions["contact_center"].sessions.begin() as session:
        find_account(session, "Olga Operatrice").locked_until = LINE_OPEN_AT + timedelta(days=1)
    refused = client.post("/api/console/callbacks/claim", json={"operator": "Olga Operatrice"}, headers=headers)
    assert refused.status_code == 400 and refused.json["error"] == "unknown_operator"
    assert client.post("/api/console/callbacks/claim", json={"operator": "victim"}, headers=headers).status_code == 400
