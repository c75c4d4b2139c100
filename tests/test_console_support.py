"""Helpers shared by the console's tests: accounts, signing in, CSRF tokens (no tests here)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from access.accounts import Role, add_account
from tests.conftest import LINE_OPEN_AT

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def create_account(app: Flask, name: str, role: Role = Role.OPERATOR, password: str = PASSWORD,
                   phone: str | None = None) -> int:
    """An account in the app's database; its id."""
    with app.extensions["contact_center"].sessions.begin() as session:
        account = add_account(session, name, role, password, phone=phone, now=LINE_OPEN_AT,
                              min_password_length=12)
        return account.id


def csrf_from(client: FlaskClient, path: str = "/console/login") -> str:
    """The CSRF token of the form on `path`."""
    page = client.get(path).get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, f"no CSRF token on {path}"
    return match[1]


def sign_in(client: FlaskClient, name: str, password: str = PASSWORD) -> Any:
    """Post the sign-in form as a browser would."""
    return client.post("/console/login", data={"name": name, "password": password,
                                               "csrf_token": csrf_from(client)})


def post_form(client: FlaskClient, path: str, data: dict[str, str], page: str = "/console/today") -> Any:
    """Post a console form with the session's CSRF token (read from `page`)."""
    return client.post(path, data={**data, "csrf_token": csrf_from(client, page)})
