"""Work a webhook no longer does: no Flask request, no cookie session for Twilio, no gunicorn access-log atoms."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, request
from flask.sessions import SecureCookieSession
from gunicorn.config import Config
from gunicorn.glogging import Logger

from contact_center.cli.serve import NoAccessLog, gunicorn_options
from ivr import webhooks
from ivr.webhooks import SessionsOutsideWebhooks
from tests.conftest import make_app, make_settings, post_signed


def test_webhooks_get_no_cookie_session_and_pages_keep_theirs(sqlite_url: str, tmp_path: Path) -> None:
    app = make_app(make_settings(sqlite_url, tmp_path))
    assert isinstance(app.session_interface, SessionsOutsideWebhooks)
    with app.test_request_context("/voice/incoming", method="POST"):
        assert app.session_interface.open_session(app, request) is None  # Flask's null session, never saved
    with app.test_request_context("/console/login"):
        assert isinstance(app.session_interface.open_session(app, request), SecureCookieSession)
    answer = post_signed(app.test_client(), "/voice/incoming", {"CallSid": "CA" + "5" * 32, "From": "+393471234567"})
    assert answer.status_code == 200 and "<Response>" in answer.get_data(as_text=True)
    assert "Set-Cookie" not in answer.headers


def test_gunicorn_builds_no_access_log_line_for_a_request() -> None:
    """With a logging configuration, gunicorn's own logger reads every request to build its atoms."""
    config = Config()
    for key, value in gunicorn_options("127.0.0.1:0", 1, 1, "json").items():
        config.set(key, value)
    assert config.logger_class is NoAccessLog
    quiet = NoAccessLog(config)
    assert quiet.access(None, None, {}, None) is None  # nothing of the request is touched
    with pytest.raises(AttributeError):  # gunicorn's own logger reads the response and the request
        Logger(config).access(None, None, {}, None)


def test_a_webhook_is_answered_in_front_of_flask_and_the_pages_behind_it(sqlite_url: str, tmp_path: Path) -> None:
    app = make_app(make_settings(sqlite_url, tmp_path))
    seen: list[str] = []
    app.before_request(lambda: seen.append(request.path))  # Flask's hooks run for its own requests only
    answer = post_signed(app.test_client(), "/voice/incoming", {"CallSid": "CA" + "5" * 32, "From": "+393471234567"})
    assert answer.status_code == 200 and answer.content_type == "text/xml; charset=utf-8"
    assert answer.get_data(as_text=True).startswith('<?xml version="1.0" encoding="UTF-8"?><Response>')
    assert int(answer.headers["Content-Length"]) == len(answer.get_data())
    assert seen == []
    page = app.test_client().get("/status")
    assert page.status_code == 200 and seen == ["/status"]
    unknown = post_signed(app.test_client(), "/voice/nowhere", {"CallSid": "CA" + "5" * 32})
    assert unknown.status_code == 404 and seen == ["/status", "/voice/nowhere"]


def test_another_method_is_refused_with_the_allowed_one(sqlite_url: str, tmp_path: Path) -> None:
    app = make_app(make_settings(sqlite_url, tmp_path))
    for method in ("GET", "PUT", "HEAD"):
        refused = app.test_client().open("/voice/incoming", method=method)
        assert (refused.status_code, refused.headers["Allow"]) == (405, "POST"), method


def _failing_language(*_args: object) -> str:
    raise RuntimeError("boom before the step")


def test_a_failure_before_the_step_still_gets_the_apology(sqlite_url: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Not only the step: whatever fails once the signature is checked, the caller is asked for a message."""
    app = make_app(make_settings(sqlite_url, tmp_path))
    monkeypatch.setattr(webhooks, "_language", _failing_language)
    answer = post_signed(app.test_client(), "/voice/incoming", {"CallSid": "CA" + "5" * 32, "From": "+393471234567"})
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    assert body.count("<Record ") == 1 and "reason=error" in body and "Ci scusiamo" in body


def test_webhook_answers_carry_hsts_behind_https(sqlite_url: str, tmp_path: Path) -> None:
    params = {"CallSid": "CA" + "5" * 32, "From": "+393471234567"}
    plain = make_app(make_settings(sqlite_url, tmp_path / "plain"))
    assert "Strict-Transport-Security" not in post_signed(plain.test_client(), "/voice/incoming", params).headers
    secure: Flask = make_app(make_settings(sqlite_url, tmp_path / "secure",
                                           web={"public_base_url": "https://cc.example.org"}))
    answer = post_signed(secure.test_client(), "/voice/incoming", params, origin="https://cc.example.org")
    assert answer.status_code == 200 and answer.headers["Strict-Transport-Security"] == "max-age=31536000"
