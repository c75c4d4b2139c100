"""`/scrivi`: the citizens' form «Scrivi al Contact Center». A form makes one ticket, its code shown and mailed.

Thin: read the fields, let the written domain check and record them, render. The page loads
nothing from elsewhere and works without JavaScript; any site may embed it in a frame, like
/hours.html.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, Final

from flask import Blueprint, Response, current_app, make_response, render_template, request

from access.address_limits import Limit, client_network, limit_key
from contact_center.durable import DATABASE_DOWN
from contact_center.outgoing_mail import line_number_text, mail_setup
from contact_center.runtime import current_runtime
from selfservice.web import client_address
from tickets.codes import format_code_for_display
from tickets.status import Channel, Topic
from tickets.vocabulary import label
from written.form import FIELDS, HONEYPOT_FIELD, TOKEN_FIELD, FormRules, check_form
from written.submit import Counted, Submission, TooManyRequests, submit_once, usable_token
from written.texts import author, error_text

log = logging.getLogger(__name__)
MAX_FIELD_CHARS: Final = 12_000
RETRY_AFTER_SECONDS: Final = 60
CONTENT_SECURITY_POLICY: Final = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                                  "form-action 'self'; base-uri 'none'")


def make_blueprint() -> Blueprint:
    """GET and POST /scrivi."""
    blueprint = Blueprint("written", __name__, template_folder="templates")
    blueprint.add_url_rule("/scrivi", "form", show_form, methods=["GET"])
    blueprint.add_url_rule("/scrivi", "submit", submit_form, methods=["POST"])
    blueprint.after_request(_headers)
    return blueprint


def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _context(**extra: Any) -> dict[str, Any]:
    settings = current_runtime().settings
    return {"line": settings.line, "line_number": line_number_text(settings),
            "topics": [(topic.value, label(topic)) for topic in Topic],
            "privacy_notice": settings.written.privacy_notice,
            "privacy_url": settings.written.privacy_url or settings.privacy.notice_url, "privacy": settings.privacy,
            "max_message_chars": settings.written.max_message_chars, "mail_on": bool(settings.mail.smtp_url),
            "values": {}, "errors": {}, "token": secrets.token_urlsafe(18), **extra}


def show_form() -> Response:
    """The empty form, with a fresh one-time token."""
    return make_response(render_template("selfservice/written.html", **_context()))


def _secret() -> str:
    return str(current_app.secret_key or current_runtime().settings.web.secret_key)


def submit_form() -> Response:
    """Check the fields; record the request once; show its code (400 with the errors, 429 past the limits)."""
    rt = current_runtime()
    settings = rt.settings
    fields = {name: request.form.get(name, "")[:MAX_FIELD_CHARS] for name in FIELDS}
    token = usable_token(request.form.get(TOKEN_FIELD))
    if request.form.get(HONEYPOT_FIELD, "").strip():
        log.info("written form: refused a submission that filled the hidden field")
        return make_response(render_template("selfservice/written_refused.html", **_context(reason="bot")), 400)
    check = check_form(fields, FormRules(max_message_chars=settings.written.max_message_chars))
    if check.request is None:
        errors = {name: error_text(key, **values) for name, (key, values) in check.errors.items()}
        page = render_template("selfservice/written.html", **_context(values=fields, errors=errors,
                                                                     token=token or secrets.token_urlsafe(18)))
        return make_response(page, 400)
    secret = _secret()
    network = client_network(client_address(settings.tickets.trusted_proxy_hops))
    limits = settings.written
    sender = Counted(limit_key("web-form", network, secret), Limit(limits.address_limit, limits.address_window_seconds))
    recipient = Counted(limit_key("code-mail", check.request.email or "", secret),
                        Limit(limits.recipient_mail_limit, limits.recipient_window_seconds))
    try:
        submission = submit_once(rt.sessions, check.request, channel=Channel.WEB, token=token, now=rt.clock(),
                                 created_by=author("web"), code_length=settings.tickets.code_length,
                                 sender_limits=[sender], mail=mail_setup(settings, site_url=request.host_url),
                                 recipient_limit=recipient)
    except TooManyRequests as refusal:
        response = make_response(render_template("selfservice/written_refused.html",
                                                 **_context(reason="limit")), 429)
        response.headers["Retry-After"] = str(refusal.retry_after_s)
        return response
    except DATABASE_DOWN:
        log.warning("written form: the database is unavailable; the request was not recorded", exc_info=True)
        response = make_response(render_template("selfservice/written_refused.html",
                                                 **_context(reason="unavailable", values=fields)), 503)
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return make_response(render_template("selfservice/written_sent.html", **_context(**_sent(submission))))


def _sent(submission: Submission) -> dict[str, Any]:
    return {"code": submission.code, "spaced_code": format_code_for_display(submission.code),
            "email": submission.email, "mailed": submission.code_mailed, "repeated": submission.repeated}
