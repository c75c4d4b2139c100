"""Work a webhook no longer does: no cookie session for Twilio, no gunicorn access-log atoms."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import request
from flask.sessions import SecureCookieSession
from gunicorn.config import Config
from gunicorn.glogging import Logger

from contact_center.cli.serve import NoAccessLog, gunicorn_options
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
