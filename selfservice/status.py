"""`/status` and `/api/tickets/<code>/status`: anyone with a code sees its status, within the limits."""

from __future__ import annotations

import logging
import time
from typing import Literal
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify, make_response, render_template, request

from contact_center.json_api import json_error
from contact_center.runtime import current_runtime
from selfservice.web import client_address
from tickets.codes import format_code_for_display, normalize_code
from tickets.lookups import LookupResult, Requester, look_up, lookup_session
from tickets.records import status_record
from tickets.vocabulary import LOOKUP_MESSAGES

Outcome = Literal["missing", "invalid", "unknown", "refused", "found"]
HTTP_STATUS: dict[Outcome, int] = {"found": 200, "missing": 400, "invalid": 400, "unknown": 404, "refused": 429}
JSON_ERRORS: dict[Outcome, str] = {
    "missing": "invalid_code", "invalid": "invalid_code", "unknown": "not_found", "refused": "too_many_attempts",
}
MAX_TYPED_CHARS = 64
LOG = logging.getLogger(__name__)


def _look_up(raw: str) -> tuple[Outcome, LookupResult | None]:
    """The lookup for this client; an empty entry is not a lookup at all."""
    rt = current_runtime()
    settings = rt.settings.tickets
    if not normalize_code(raw):
        return "missing", None
    requester = Requester.web(client_address(settings.trusted_proxy_hops), rt.secret_key)
    with lookup_session(rt.sessions) as session:
        result = look_up(session, raw[:MAX_TYPED_CHARS], requester, settings.lookup_limits(),
                         settings.accepted_code_lengths, now=rt.clock())
    if result.alert:
        # Many strangers are guessing: nobody is refused for it, but each failed guess waits.
        LOG.warning("tracking-code lookups: failures over the global alert figure", extra={"channel": "web"})
        time.sleep(settings.alert_delay_ms / 1000)
    return result.outcome, result


def _no_store(response: Response, result: LookupResult | None) -> Response:
    """Results are never cached; a refusal says when to retry."""
    response.headers["Cache-Control"] = "no-store"
    if result is not None and result.retry_after_s:
        response.headers["Retry-After"] = str(result.retry_after_s)
    return response


def _page(raw: str | None) -> Response:
    """The form, with the result or the error of `raw` when one was typed."""
    rt = current_runtime()
    zone = ZoneInfo(rt.settings.line.timezone)
    lengths = rt.settings.tickets.accepted_code_lengths
    context = {"code_length": lengths[0], "older_lengths": lengths[1:], "max_length": max(lengths),
               "line": rt.settings.line, "typed": "", "privacy": rt.settings.privacy,
               "error": None, "result": None}
    if raw is None:
        return make_response(render_template("selfservice/status.html", **context))
    outcome, result = _look_up(raw)
    if result is not None and result.view is not None:
        context["result"] = {**status_record(result.view, zone),
                             "spaced_code": format_code_for_display(result.view.code)}
    else:
        context["error"] = LOOKUP_MESSAGES[outcome]
        context["typed"] = raw[:MAX_TYPED_CHARS]
    return _no_store(make_response(render_template("selfservice/status.html", **context), HTTP_STATUS[outcome]),
                     result)


def status_form() -> Response:
    """GET /status: the empty form, or the result of ?code=."""
    return _page(request.args.get("code"))


def status_submit() -> Response:
    """POST /status: the result of the submitted code."""
    return _page(request.form.get("code", ""))


def status_json(code: str) -> Response:
    """GET /api/tickets/<code>/status: the public status as JSON, no personal data."""
    outcome, result = _look_up(code)
    if result is not None and result.view is not None:
        response = jsonify(status_record(result.view, ZoneInfo(current_runtime().settings.line.timezone)))
    else:
        response = json_error(HTTP_STATUS[outcome], JSON_ERRORS[outcome], LOOKUP_MESSAGES[outcome])
    response.headers["Access-Control-Allow-Origin"] = "*"
    return _no_store(response, result)


def make_blueprint() -> Blueprint:
    """The citizens' status page and the public status JSON."""
    blueprint = Blueprint("request_status", __name__, template_folder="templates")
    blueprint.add_url_rule("/status", "form", status_form, methods=["GET"])
    blueprint.add_url_rule("/status", "submit", status_submit, methods=["POST"])
    blueprint.add_url_rule("/api/tickets/<code>/status", "json", status_json, methods=["GET"])
    return blueprint
