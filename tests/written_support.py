"""Helpers for the written channel's tests: apps with a real SMTP server, filling /scrivi (no tests here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from contact_center.outgoing_mail import current_sender
from tests.conftest import make_app, make_settings

MAIL_FROM = "Contact Center 800 840 840 <noreply@protezionecivile.example>"
_TOKEN = re.compile(r'name="token" value="([^"]+)"')
_CODE = re.compile(r'<p class="code" id="codice"[^>]*>([\d ]+)</p>')


def mail_app(database_url: str, tmp_path: Path, smtp_url: str | None, background: bool = False,
             **sections: dict[str, Any]) -> Flask:
    """The app with outgoing mail through `smtp_url` (None: no mail configured)."""
    mail = {"smtp_url": smtp_url, "from_address": MAIL_FROM, "background_sender": background} if smtp_url else {}
    overrides = {**sections, "mail": {**mail, **sections.get("mail", {})}}
    return make_app(make_settings(database_url, tmp_path / "instance", **overrides))


def close_app(app: Flask) -> None:
    """Stop the app's sender thread and close its database connections."""
    sender = current_sender(app)
    if sender is not None:
        sender.stop()
    app.extensions["contact_center"].engine.dispose()


def form_token(client: FlaskClient) -> str:
    """The one-time token of a fresh /scrivi form."""
    match = _TOKEN.search(client.get("/scrivi").get_data(as_text=True))
    assert match, "no token in the form"
    return match[1]


def valid_form(**changes: str) -> dict[str, str]:
    """A complete form, with the given fields changed."""
    return {"topic": "risks", "name": "Mario Rossi", "email": "mario.rossi@example.org", "phone": "347 123 4567",
            "message": "Dopo la scossa di stanotte ci sono crepe nel muro: a chi devo rivolgermi?", "consent": "si",
            **changes}


def submit(client: FlaskClient, address: str = "203.0.113.7", token: str | None = None, **changes: str) -> Any:
    """POST /scrivi from `address` with a valid form (and a fresh token unless one is given)."""
    data = valid_form(**changes)
    data["token"] = token if token is not None else form_token(client)
    return client.post("/scrivi", data=data, environ_base={"REMOTE_ADDR": address})


def shown_code(page: str) -> str:
    """The code the result page shows, without its spaces."""
    match = _CODE.search(page)
    assert match, "the page shows no code"
    return match[1].replace(" ", "")
