"""The console's JSON API under /api/console/, for integrators holding an API token.

Every request carries `Authorization: Bearer TOKEN` (tokens: `contact-center tokens ...`);
actions name the console account they are done for, which must be active. Errors are JSON
`{"error": CODE, "message": TEXT}`. The API is described by /api/openapi.json.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, g, jsonify, request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from access import audit
from access.accounts import find_account, is_locked
from access.tokens import bearer, token_scopes, verify_token
from agents.presence import parse_manual_state
from agents.roster import RosterError, list_agents, set_presence
from console.openapi import openapi_document
from contact_center.json_api import ApiError, api_error, json_body
from contact_center.runtime import current_runtime
from contact_center.services import callback_policy
from figures.today import today_figures
from tickets.status import Topic, parse_status
from voicemail import worklist
from voicemail.errors import BadFilter, CallbackError
from voicemail.listing import entry_details
from voicemail.queue import OUTCOMES, claim_next, record_outcome, release_expired_claims
from voicemail.vocabulary import describe
from voicemail.worklist import Cursor

MAX_ENTRY_ID = 2**62
MAX_PAGE = 200
TOPICS = tuple(topic.value for topic in Topic)

blueprint = Blueprint("console_api", __name__, url_prefix="/api/console")
document = Blueprint("openapi", __name__)
blueprint.register_error_handler(ApiError, api_error)


def _text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


class Body(BaseModel):
    """A strict JSON body: unknown fields and wrong types are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return _text(value) if isinstance(value, str) else value


class ClaimIn(Body):
    """POST /api/console/callbacks/claim."""

    operator: str = Field(min_length=1, max_length=80)


class OutcomeIn(Body):
    """POST /api/console/callbacks/{id}/outcome."""

    operator: str = Field(min_length=1, max_length=80)
    outcome: str
    note: str = Field(default="", max_length=2000)
    ticket_status: str | None = None
    institution: str | None = Field(default=None, max_length=200)  # needed when ticket_status is "forwarded"


class PresenceIn(Body):
    """PUT /api/console/presence/{name}."""

    state: str



def _zone() -> ZoneInfo:
    return ZoneInfo(current_runtime().settings.line.timezone)


def _operator(db: Session, name: str) -> str:
    """The name of the active, unlocked console account the action is done for; 400 otherwise."""
    account = find_account(db, name)
    if account is None or not account.active or is_locked(account, current_runtime().clock()):
        raise ApiError(400, "unknown_operator", f"no active, unlocked console account named {name!r}")
    return account.name


def _audit(db: Session, action: str, target: str, detail: str) -> None:
    audit.record(db, g.api_actor, action, target, detail, address=request.remote_addr or "",
                 at=current_runtime().clock())


def _entry_id(entry_id: int) -> int:
    if entry_id > MAX_ENTRY_ID:
        raise ApiError(404, "not_found", f"no callback entry {entry_id}")
    return entry_id


def _needed_scope() -> str:
    """The scope this request needs: reading, working the callback list, or setting presence."""
    if request.method in ("GET", "HEAD"):
        return "console:read"
    return "presence:write" if request.path.startswith("/api/console/presence/") else "callbacks:work"


@blueprint.before_request
def _authenticate() -> Response | None:
    with current_runtime().sessions() as db:
        token = verify_token(db, bearer(request.headers.get("Authorization")))
    if token is None:
        response = jsonify(error="unauthorized", message="a valid API token is required: Authorization: Bearer TOKEN")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="contact-center"'
        return response
    needed = _needed_scope()
    if needed not in token_scopes(token):
        response = jsonify(error="forbidden", message=f"this token lacks the scope {needed}")
        response.status_code = 403
        return response
    g.api_actor = f"api:{token.name}"
    return None


@blueprint.get("/today")
def today() -> Response:
    """The Today figures."""
    settings = current_runtime().settings
    with current_runtime().sessions() as db:
        overdue_after = timedelta(hours=settings.console.callback_target_hours)
        figures = today_figures(db, current_runtime().clock(), _zone(), overdue_after)
    median = figures.median_callback_delay
    return jsonify(day=figures.day.isoformat(), calls_received=figures.calls_received,
                   answered_by_operator=figures.answered_by_operator,
                   self_service_lookups=figures.self_service_lookups, messages_left=figures.messages_left,
                   pending_callbacks=figures.pending_callbacks, overdue_callbacks=figures.overdue_callbacks,
                   median_callback_delay_seconds=int(median.total_seconds()) if median is not None else None,
                   calls_by_hour=list(figures.calls_by_hour), messages_by_hour=list(figures.messages_by_hour))


def _limit() -> int:
    raw = request.args.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise ApiError(400, "bad_request", f"limit: a whole number from 1 to {MAX_PAGE}")
    return int(raw)


@blueprint.get("/callbacks")
def callbacks() -> Response:
    """Counts by view and one page of entries in work order."""
    try:
        filters = worklist.parse_filters(request.args.to_dict(), TOPICS)
        after = Cursor.decode(request.args["after"]) if request.args.get("after") else None
    except BadFilter as error:
        raise ApiError(400, "bad_request", describe(error)) from None
    limit, now = _limit(), current_runtime().clock()
    with current_runtime().sessions.begin() as db:
        release_expired_claims(db, callback_policy(current_runtime().settings), now)
        counts = worklist.counts(db, now)
        page = worklist.page(db, filters, now, _zone(), limit, after)
    return jsonify(counts=counts, entries=[worklist.row_as_dict(row, _zone()) for row in page.rows],
                   next=page.next_cursor.encode() if page.next_cursor else None)


@blueprint.get("/callbacks/<int:entry_id>")
def callback(entry_id: int) -> Response:
    """One entry with its messages and attempts."""
    with current_runtime().sessions() as db:
        try:
            entry = entry_details(db, _entry_id(entry_id))
        except CallbackError as error:
            raise ApiError(404, "not_found", describe(error)) from None
    return jsonify(entry.as_dict(_zone(), current_runtime().clock()))


@blueprint.post("/callbacks/claim")
def claim() -> Response:
    """Claim the next due entry for an operator; 204 when there is none."""
    body: ClaimIn = json_body(ClaimIn)
    with current_runtime().sessions.begin() as db:
        operator = _operator(db, body.operator)
        entry = claim_next(db, operator, callback_policy(current_runtime().settings), now=current_runtime().clock())
        if entry is None:
            return Response(status=204)
        _audit(db, "callback_claim", f"richiamata {entry.id}", f"per {operator}")
        entry_id = entry.id
    with current_runtime().sessions() as db:
        return jsonify(entry_details(db, entry_id).as_dict(_zone(), current_runtime().clock()))


@blueprint.post("/callbacks/<int:entry_id>/outcome")
def outcome(entry_id: int) -> Response:
    """Record one call back; for "reached" the ticket may get a new status."""
    body: OutcomeIn = json_body(OutcomeIn)
    if body.outcome not in OUTCOMES:
        raise ApiError(400, "bad_request", f"outcome: one of {', '.join(OUTCOMES)}")
    try:
        ticket_status = parse_status(body.ticket_status) if body.ticket_status else None
    except ValueError as error:
        raise ApiError(400, "bad_request", f"ticket_status: {error}") from None
    with current_runtime().sessions.begin() as db:
        operator = _operator(db, body.operator)
        try:
            rt = current_runtime()
            record_outcome(db, _entry_id(entry_id), body.outcome, callback_policy(rt.settings),
                           operator=operator, note=body.note, ticket_status=ticket_status,
                           forwarded_to=body.institution, now=rt.clock())
        except CallbackError as error:
            raise ApiError(409, "refused", describe(error)) from None
        _audit(db, "callback_outcome", f"richiamata {entry_id}", f"{body.outcome} per {operator}")
    with current_runtime().sessions() as db:
        return jsonify(entry_details(db, entry_id).as_dict(_zone(), current_runtime().clock()))


def _board(db: Session) -> list[dict[str, Any]]:
    now = current_runtime().clock()
    return [{"name": agent.name, "state": agent.state.value,
             "since": agent.state_since.astimezone(_zone()).isoformat(timespec="seconds"),
             "seconds": max(int((now - agent.state_since).total_seconds()), 0)}
            for agent in list_agents(db, current_runtime().settings.routing.presence_policy(), now)]


@blueprint.get("/presence")
def presence() -> Response:
    """Every operator on the roster, their state and for how long."""
    with current_runtime().sessions.begin() as db:
        return jsonify(operators=_board(db))


@blueprint.put("/presence/<name>")
def presence_set(name: str) -> Response:
    """Set an operator's presence by hand (available, away, offline)."""
    body: PresenceIn = json_body(PresenceIn)
    try:
        state = parse_manual_state(body.state)
    except ValueError as error:
        raise ApiError(400, "bad_request", f"state: {error}") from None
    with current_runtime().sessions.begin() as db:
        operator = _operator(db, _text_or_400(name))
        try:
            rt = current_runtime()
            set_presence(db, operator, state, rt.settings.routing.presence_policy(), rt.clock())
        except RosterError as error:
            raise ApiError(409, "refused", str(error)) from None
        _audit(db, "presence", operator, state.value)
        board = _board(db)
    return jsonify(next(row for row in board if row["name"] == operator))


def _text_or_400(value: str) -> str:
    try:
        return _text(value)
    except ValueError:
        raise ApiError(400, "bad_request", "NUL characters are not allowed") from None


@document.get("/api/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 description of the console's API."""
    return jsonify(openapi_document())
