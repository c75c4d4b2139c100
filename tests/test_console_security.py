"""The console refuses what it must: no session, wrong role, no CSRF token, too many failures from one address."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from access.accounts import Role
from storage.models import AuditEntry
from tests.conftest import make_app, make_settings
from tests.test_console_support import PASSWORD, create_account, csrf_from, post_form, sign_in

PUBLIC_ENDPOINTS = {"console.login", "console.static"}


@pytest.fixture
def console_app(sqlite_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(make_settings(sqlite_url, tmp_path / "instance",
                                 console={"lockout_attempts": 3, "lockout_minutes": 10}))
    create_account(app, "Olga Operatrice", Role.OPERATOR)
    create_account(app, "Sara Supervisora", Role.SUPERVISOR)
    yield app
    app.extensions["contact_center"].engine.dispose()


def _console_rules(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, concrete path) of every console route."""
    rules = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("console.") or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "12345674")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            rules.append((rule.endpoint, method, path))
    return rules


def _audit(app: Flask) -> list[tuple[str, str, str]]:
    with app.extensions["contact_center"].sessions() as session:
        return [(e.actor, e.action, e.target) for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_every_console_view_declares_the_role_it_needs(console_app: Flask) -> None:
    for endpoint, _, _ in _console_rules(console_app):
        view = console_app.view_functions[endpoint]
        assert getattr(view, "required_role", None) in (Role.OPERATOR, Role.SUPERVISOR), endpoint


def test_no_page_or_action_without_a_session(console_app: Flask) -> None:
    client = console_app.test_client()
    rules = _console_rules(console_app)
    assert len(rules) >= 8
    for endpoint, method, path in rules:
        data = {"csrf_token": csrf_from(client)} if method == "POST" else None
        response = client.open(path, method=method, data=data)
        assert response.status_code == 302, (endpoint, method, response.status_code)
        assert response.headers["Location"].startswith("/console/login"), endpoint


def test_an_operator_cannot_open_supervisor_pages_nor_do_their_actions(console_app: Flask) -> None:
    client = console_app.test_client()
    assert sign_in(client, "Olga Operatrice").status_code == 302
    supervisor_only = [(endpoint, method, path) for endpoint, method, path in _console_rules(console_app)
                       if console_app.view_functions[endpoint].required_role is Role.SUPERVISOR]
    assert {"console.accounts", "console.account_add", "console.audit_log"} <= {e for e, _, _ in supervisor_only}
    for endpoint, method, path in supervisor_only:
        data = {"csrf_token": csrf_from(client, "/console/today")} if method == "POST" else None
        response = client.open(path, method=method, data=data)
        assert response.status_code == 403, endpoint
        assert "riservata ai supervisori" in response.get_data(as_text=True)
    page = client.get("/console/today").get_data(as_text=True)
    assert "/console/accounts" not in page


def test_a_supervisor_opens_supervisor_pages(console_app: Flask) -> None:
    client = console_app.test_client()
    sign_in(client, "Sara Supervisora")
    assert client.get("/console/accounts").status_code == 200
    assert client.get("/console/audit").status_code == 200


def test_a_form_without_the_csrf_token_is_refused(console_app: Flask) -> None:
    client = console_app.test_client()
    sign_in(client, "Sara Supervisora")
    form = {"name": "Intrusa", "role": "supervisor", "password": PASSWORD, "password_again": PASSWORD}
    refused = client.post("/console/accounts", data=form)
    assert refused.status_code == 400 and "Richiesta rifiutata" in refused.get_data(as_text=True)
    forged = client.post("/console/accounts", data={**form, "csrf_token": "x" * 43})
    assert forged.status_code == 400
    assert "Intrusa" not in client.get("/console/accounts").get_data(as_text=True)
    accepted = post_form(client, "/console/accounts", form)
    assert accepted.status_code == 302
    assert "Intrusa" in client.get("/console/accounts").get_data(as_text=True)


def test_the_sign_in_form_itself_needs_the_csrf_token(console_app: Flask) -> None:
    client = console_app.test_client()
    response = client.post("/console/login", data={"name": "Olga Operatrice", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/console/today").status_code == 302


def _client_from(app: Flask, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_a_stranger_cannot_lock_an_operator_out(console_app: Flask) -> None:
    """The probe: five wrong passwords from anywhere locked a named account for 15 minutes."""
    stranger = _client_from(console_app, "203.0.113.9")
    for _ in range(10):
        assert sign_in(stranger, "Olga Operatrice", "password sbagliata").status_code == 401
    delayed = sign_in(stranger, "Olga Operatrice", PASSWORD)
    assert delayed.status_code == 401
    assert sign_in(_client_from(console_app, "192.0.2.20"), "Olga Operatrice").status_code == 302
    actions = [action for actor, action, target in _audit(console_app) if target == "Olga Operatrice"]
    assert actions[:3] == ["sign_in_wrong"] * 3 and "sign_in_throttled" in actions


def test_unknown_wrong_delayed_and_disabled_get_the_same_answer(console_app: Flask) -> None:
    """The probe: unknown names never locked and a disabled account said so: both told real names apart."""
    supervisor = console_app.test_client()
    sign_in(supervisor, "Sara Supervisora")
    with console_app.extensions["contact_center"].sessions.begin() as db:
        from access.accounts import set_active
        set_active(db, "Olga Operatrice", False)
    answers = set()
    for n, (name, password) in enumerate([("Nessuno Inesistente", "password sbagliata"),
                                          ("Sara Supervisora", "password sbagliata"),
                                          ("Olga Operatrice", PASSWORD)]):
        response = sign_in(_client_from(console_app, f"198.51.100.{n}"), name, password)
        page = response.get_data(as_text=True)
        answers.add((response.status_code, page.split('role="alert"')[1][:200] if 'role="alert"' in page else page))
    stranger = _client_from(console_app, "203.0.113.10")
    for _ in range(4):
        sign_in(stranger, "Nessuno Inesistente", "x")
    response = sign_in(stranger, "Nessuno Inesistente", "x")
    page = response.get_data(as_text=True)
    answers.add((response.status_code, page.split('role="alert"')[1][:200] if 'role="alert"' in page else page))
    assert len(answers) == 1
    assert "disattivato" not in page and "bloccato" not in page


def test_a_supervisor_lifts_the_delays_from_the_console_with_an_audit_line(console_app: Flask) -> None:
    stranger = _client_from(console_app, "203.0.113.9")
    for _ in range(4):
        sign_in(stranger, "Olga Operatrice", "password sbagliata")
    assert sign_in(stranger, "Olga Operatrice").status_code == 401
    supervisor = console_app.test_client()
    sign_in(supervisor, "Sara Supervisora")
    with console_app.extensions["contact_center"].sessions() as db:
        from access.accounts import find_account
        olga = find_account(db, "Olga Operatrice").id
    assert post_form(supervisor, f"/console/accounts/{olga}/unlock", {}).status_code == 302
    assert ("Sara Supervisora", "account_unlock", "Olga Operatrice") in _audit(console_app)
    assert sign_in(stranger, "Olga Operatrice").status_code == 302


def test_sign_out_ends_the_session_and_a_copied_cookie_stops_working(console_app: Flask) -> None:
    client = console_app.test_client()
    sign_in(client, "Olga Operatrice")
    stolen = client.get_cookie("cc_console", path="/console")
    assert stolen is not None
    assert client.get("/console/today").status_code == 200
    assert post_form(client, "/console/logout", {}).status_code == 302
    assert client.get("/console/today").status_code == 302
    thief = console_app.test_client()
    thief.set_cookie("cc_console", stolen.value, path="/console")
    assert thief.get("/console/today").status_code == 302
    assert ("Olga Operatrice", "sign_out", "") in _audit(console_app)


def test_a_disabled_account_loses_its_open_session(console_app: Flask) -> None:
    operator, supervisor = console_app.test_client(), console_app.test_client()
    sign_in(operator, "Olga Operatrice")
    sign_in(supervisor, "Sara Supervisora")
    assert operator.get("/console/today").status_code == 200
    post_form(supervisor, "/console/accounts/1/active", {"active": "0"})
    assert operator.get("/console/today").status_code == 302
    assert sign_in(operator, "Olga Operatrice").status_code == 401


def test_after_sign_in_the_console_goes_back_only_to_its_own_pages(console_app: Flask) -> None:
    client = console_app.test_client()
    token = csrf_from(client)
    for target, expected in [("/console/tickets", "/console/tickets"), ("https://evil.example/x", "/console/today"),
                             ("//evil.example/console/", "/console/today"), ("/voice/incoming", "/console/today")]:
        response = client.post("/console/login", data={"name": "Olga Operatrice", "password": PASSWORD,
                                                       "csrf_token": token, "next": target})
        assert response.headers["Location"] == expected
        token = csrf_from(client, "/console/today")


def test_cookies_are_httponly_samesite_and_secure_behind_https(sqlite_url: str, tmp_path: Path) -> None:
    app = make_app(make_settings(sqlite_url, tmp_path / "i", web={"public_base_url": "https://cc.example.org"}))
    create_account(app, "Olga Operatrice")
    client = app.test_client()
    response = sign_in(client, "Olga Operatrice")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie and "Path=/console" in cookie
    local = make_app(make_settings(f"sqlite:///{tmp_path / 'l.db'}", tmp_path / "l"))
    assert "Secure" not in local.test_client().get("/console/login").headers["Set-Cookie"]
    forced = make_app(make_settings(f"sqlite:///{tmp_path / 'f.db'}", tmp_path / "f",
                                    console={"secure_cookies": "always"}))
    assert "Secure" in forced.test_client().get("/console/login").headers["Set-Cookie"]


def test_pages_forbid_framing_and_foreign_resources(console_app: Flask) -> None:
    response = console_app.test_client().get("/console/login")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert "http" not in response.get_data(as_text=True).replace("http://www.w3.org/2000/svg", "")


def test_without_a_secret_key_a_private_one_is_kept_in_the_instance_folder(sqlite_url: str, tmp_path: Path) -> None:
    settings = make_settings(sqlite_url, tmp_path / "i", web={"secret_key": ""})
    first, second = make_app(settings), make_app(settings)
    assert first.secret_key == second.secret_key and len(first.secret_key) == 64
    assert (tmp_path / "i" / "console-secret-key").stat().st_mode & 0o077 == 0
