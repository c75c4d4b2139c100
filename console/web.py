"""The console's blueprint and how it is set up in the app: cookies, secret key, headers."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, Response, g, request

from agents.presence import MANUAL_STATES
from console import formatting, live, security
from contact_center.config import Settings
from contact_center.runtime import current_runtime

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = ("default-src 'none'; connect-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "media-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                           "base-uri 'none'")

blueprint = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
                      static_folder="static", static_url_path="/static")


@blueprint.before_request
def _authenticate_and_check_csrf() -> Any:
    security.load_signed_in_account()
    return security.refuse_bad_csrf()


@blueprint.context_processor
def _layout_values() -> dict[str, Any]:
    return {"account": g.get("account"), "csrf_token": security.csrf_token, "labels": formatting.LABELS,
            "due_count": security.due_count, "live_marks": live.page_marks, "my_presence": live.my_presence,
            "new_request_url": live.new_request_url, "manual_states": MANUAL_STATES, "back_to": _back_to()}


def _back_to() -> str:
    """Where the header's presence form comes back to: this page (the live fragment passes the page's own)."""
    if request.endpoint == "console.live_me":
        return security.safe_next(request.args.get("back"))
    return request.full_path.rstrip("?") if request.method == "GET" else ""


blueprint.add_app_template_filter(formatting.local_time, "local")
blueprint.add_app_template_filter(formatting.duration, "duration")
blueprint.add_app_template_filter(formatting.phone, "phone")
blueprint.add_app_template_filter(formatting.audit_action, "audit_action")
blueprint.add_app_template_filter(formatting.audit_detail, "audit_detail")


@blueprint.after_request
def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"
    return response


def secure_cookies(settings: Settings) -> bool:
    """Whether cookies carry Secure: always, never, or (auto) when the public origin is https."""
    mode = settings.console.secure_cookies
    if mode == "auto":
        return settings.web.public_base_url.startswith("https://")
    return mode == "always"


def init_app(app: Flask) -> None:
    """Serve the console under /console/, its JSON API under /api/console/ and /api/openapi.json."""
    from console import api, views  # noqa: F401  (their modules add their routes to the blueprints)

    settings: Settings = current_runtime(app).settings
    if not app.secret_key:
        app.secret_key = current_runtime(app).secret_key
    app.config.update(
        SESSION_COOKIE_NAME="cc_console",
        SESSION_COOKIE_PATH="/console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies(settings),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.console.session_hours),
    )
    app.register_blueprint(blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(api.document)
