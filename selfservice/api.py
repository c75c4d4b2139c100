"""The integrators' tickets API under `/api/tickets`, authenticated with `Authorization: Bearer TOKEN`.

Errors are JSON `{"error": CODE, "message": TEXT}`: 400 bad_request / invalid_code, 401
unauthorized, 404 not_found, 409 invalid_transition (the status rules refuse the change).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, g, jsonify, request, url_for
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from access.tokens import bearer, token_scopes, verify_token
from contact_center.json_api import ApiError, api_error, json_body, json_error
from contact_center.outgoing_mail import mail_setup
from contact_center.runtime import current_runtime
from storage.models import Ticket
from tickets.codes import is_valid_code, normalize_code
from tickets.intake import new_ticket, open_ticket
from tickets.records import ticket_record
from tickets.repository import change_status, find_by_code
from tickets.status import InvalidTransition, TicketStatus, parse_status
from written.mails import queue_code_mail

API_PREFIX = "/api/"


class TicketIn(BaseModel):
    """POST /api/tickets: a new request."""

    model_config = ConfigDict(extra="forbid", strict=True)
    channel: str
    topic: str = "other"
    summary: str
    phone: str | None = None
    email: str | None = None
    send_code: bool = True


class StatusChangeIn(BaseModel):
    """POST /api/tickets/<code>/status: a status change."""

    model_config = ConfigDict(extra="forbid", strict=True)
    status: str
    forwarded_to: str | None = None
    note: str = ""


def _ticket(session: Session, raw_code: str, for_update: bool = False) -> Ticket:
    """The ticket with this code, or a 400 (not a valid code) or a 404."""
    code_length = current_runtime().settings.tickets.accepted_code_lengths
    code = normalize_code(raw_code)
    if not is_valid_code(code, code_length):
        raise ApiError(400, "invalid_code", f"{raw_code!r} is not a valid tracking code")
    ticket = find_by_code(session, code, code_length, for_update=for_update)
    if ticket is None:
        raise ApiError(404, "not_found", f"no ticket with code {code}")
    return ticket


def _record(ticket: Ticket) -> dict[str, Any]:
    """The ticket as the API shows it."""
    return ticket_record(ticket, ZoneInfo(current_runtime().settings.line.timezone))


def authenticate() -> Response | None:
    """Refuse (401) a request without a valid bearer token; remember who made it."""
    with current_runtime().sessions() as session:
        token = verify_token(session, bearer(request.headers.get("Authorization")))
    if token is None:
        response = json_error(401, "unauthorized", "a valid API token is required: Authorization: Bearer TOKEN")
        response.headers["WWW-Authenticate"] = 'Bearer realm="contact-center"'
        return response
    needed = "tickets:read" if request.method in ("GET", "HEAD") else "tickets:write"
    if needed not in token_scopes(token):
        return json_error(403, "forbidden", f"this token lacks the scope {needed}")
    g.api_actor = f"api:{token.name}"
    return None


def create() -> Response:
    """POST /api/tickets: record a request; 201 with the ticket and its new code."""
    body: TicketIn = json_body(TicketIn)
    try:
        ticket = new_ticket(body.channel, body.topic, body.summary, phone=body.phone, email=body.email)
    except ValueError as error:
        raise ApiError(400, "bad_request", str(error)) from None
    rt = current_runtime()
    now = rt.clock()
    # The citizen gets the code by e-mail as from the public form, in the same transaction
    # (`send_code: false` when the integrator tells the citizen itself; nothing without an SMTP server).
    mail = mail_setup(rt.settings, site_url=request.host_url) if body.send_code and ticket.email else None
    with rt.sessions.begin() as session:
        opened = open_ticket(session, ticket, now=now, created_by=g.api_actor,
                             code_length=rt.settings.tickets.code_length)
        if mail is not None:
            queue_code_mail(session, mail, opened, now=now)
        record = _record(opened) | {"code_mailed": mail is not None}
    response = jsonify(record)
    response.status_code = 201
    response.headers["Location"] = url_for("tickets_api.show", code=record["code"])
    return response


def show(code: str) -> Response:
    """GET /api/tickets/<code>: the ticket with its history."""
    with current_runtime().sessions() as session:
        return jsonify(_record(_ticket(session, code)))


def update_status(code: str) -> Response:
    """POST /api/tickets/<code>/status: change the status; 200 with the ticket."""
    body: StatusChangeIn = json_body(StatusChangeIn)
    try:
        status = parse_status(body.status)
    except ValueError as error:
        raise ApiError(400, "bad_request", f"status: {error}") from None
    institution = (body.forwarded_to or "").strip() or None
    if status is TicketStatus.FORWARDED and institution is None:
        raise ApiError(400, "bad_request", "forwarded_to: the competent institution is required when forwarding")
    with current_runtime().sessions.begin() as session:
        ticket = _ticket(session, code, for_update=True)
        try:
            change_status(session, ticket, status, changed_by=g.api_actor, note=body.note, forwarded_to=institution,
                          now=current_runtime().clock())
        except InvalidTransition as error:
            raise ApiError(409, "invalid_transition", str(error)) from None
        return jsonify(_record(ticket))


def json_http_error(error: HTTPException) -> Response | HTTPException:
    """HTTP errors (404, 405, 413...) under /api/ as JSON; elsewhere Flask's own page."""
    if not request.path.startswith(API_PREFIX):
        return error
    name = (error.name or "error").lower().replace(" ", "_")
    return json_error(error.code or 500, name, error.description or name)


def make_blueprint() -> Blueprint:
    """The authenticated tickets API."""
    blueprint = Blueprint("tickets_api", __name__)
    blueprint.before_request(authenticate)
    blueprint.register_error_handler(ApiError, api_error)
    blueprint.add_url_rule("/api/tickets", "create", create, methods=["POST"])
    blueprint.add_url_rule("/api/tickets/<code>", "show", show, methods=["GET"])
    blueprint.add_url_rule("/api/tickets/<code>/status", "update_status", update_status, methods=["POST"])
    return blueprint
