"""The OpenAPI 3 description of the console's JSON API, served at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from tickets.status import TicketStatus, Topic
from voicemail import worklist
from voicemail.callbacks import REASONS
from voicemail.queue import OUTCOMES

VIEWS = list(worklist.VIEWS)
MANUAL_STATES = ["available", "away", "offline"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


ENTRY_ID = {"name": "entry_id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**62}}
COMMON_ERRORS = {"401": _error("missing or unknown API token"),
                 "403": _error("the token lacks the scope this operation needs")}

_SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error", "message"],
              "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
    "Today": {"type": "object", "properties": {
        "day": {"type": "string", "format": "date"},
        **{name: {"type": "integer"} for name in ("calls_received", "answered_by_operator", "self_service_lookups",
                                                  "messages_left", "pending_callbacks", "overdue_callbacks")},
        "median_callback_delay_seconds": {"type": ["integer", "null"]},
        "calls_by_hour": {"type": "array", "items": {"type": "integer"}},
        "messages_by_hour": {"type": "array", "items": {"type": "integer"}}}},
    "EntryRow": {"type": "object", "properties": {
        "id": {"type": "integer"}, "callback_number": {"type": ["string", "null"]},
        "reason": {"type": "string", "enum": list(REASONS)}, "status": {"type": "string"},
        "created_at": {"type": "string"}, "next_attempt_at": {"type": "string"},
        "attempt_count": {"type": "integer"}, "claimed_by": {"type": ["string", "null"]},
        "message_count": {"type": "integer"}, "ticket": {"type": ["string", "null"]},
        "topic": {"type": ["string", "null"]}, "recorded_seconds": {"type": "integer"}}},
    "CallbackPage": {"type": "object", "required": ["counts", "entries", "next"], "properties": {
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "entries": {"type": "array", "items": _ref("EntryRow")},
        "next": {"type": ["string", "null"], "description": "the `after` argument of the next page"}}},
    "Entry": {"type": "object", "description": "An entry with its messages and attempts", "properties": {
        "id": {"type": "integer"}, "callback_number": {"type": ["string", "null"]}, "status": {"type": "string"},
        "ticket": {"type": ["string", "null"]}, "attempt_count": {"type": "integer"},
        "messages": {"type": "array", "items": {"type": "object"}},
        "attempts": {"type": "array", "items": {"type": "object"}}}},
    "Claim": {"type": "object", "additionalProperties": False, "required": ["operator"], "properties": {
        "operator": {"type": "string", "minLength": 1, "maxLength": 80,
                     "description": "the console account the entry is claimed for"}}},
    "Outcome": {"type": "object", "additionalProperties": False, "required": ["operator", "outcome"], "properties": {
        "operator": {"type": "string", "minLength": 1, "maxLength": 80},
        "outcome": {"type": "string", "enum": list(OUTCOMES)},
        "note": {"type": "string", "maxLength": 2000},
        "ticket_status": {"type": ["string", "null"], "enum": [s.value for s in TicketStatus] + [None],
                          "description": "the ticket's new status, for a reached citizen"},
        "institution": {"type": ["string", "null"], "maxLength": 200,
                        "description": "the competent institution, required when ticket_status is forwarded"}}},
    "PresenceIn": {"type": "object", "additionalProperties": False, "required": ["state"],
                   "properties": {"state": {"type": "string", "enum": MANUAL_STATES}}},
    "Presence": {"type": "object", "properties": {
        "name": {"type": "string"}, "state": {"type": "string"}, "since": {"type": "string"},
        "seconds": {"type": "integer"}}},
}


def _paths() -> dict[str, Any]:
    return {
        "/api/console/today": {"get": {
            "operationId": "today", "summary": "The day's calls, lookups, messages and callbacks",
            "responses": {"200": _json(_ref("Today"), "the figures"), **COMMON_ERRORS}}},
        "/api/console/callbacks": {"get": {
            "operationId": "listCallbacks", "summary": "Counts by view and one page in work order",
            "parameters": [
                {"name": "view", "in": "query", "schema": {"type": "string", "enum": VIEWS}},
                {"name": "reason", "in": "query", "schema": {"type": "string", "enum": list(REASONS)}},
                {"name": "topic", "in": "query", "schema": {"type": "string", "enum": [t.value for t in Topic]}},
                {"name": "day", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "after", "in": "query", "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}],
            "responses": {"200": _json(_ref("CallbackPage"), "a page"), "400": _error("a bad filter"),
                          **COMMON_ERRORS}}},
        "/api/console/callbacks/{entry_id}": {"get": {
            "operationId": "getCallback", "summary": "One entry", "parameters": [ENTRY_ID],
            "responses": {"200": _json(_ref("Entry"), "the entry"), "404": _error("no such entry"),
                          **COMMON_ERRORS}}},
        "/api/console/callbacks/claim": {"post": {
            "operationId": "claimNext", "summary": "Claim the next due entry for an operator",
            "requestBody": _body("Claim"),
            "responses": {"200": _json(_ref("Entry"), "the claimed entry"), "204": {"description": "nothing due"},
                          "400": _error("bad body or unknown operator"), **COMMON_ERRORS}}},
        "/api/console/callbacks/{entry_id}/outcome": {"post": {
            "operationId": "recordOutcome", "summary": "Record one call back", "parameters": [ENTRY_ID],
            "requestBody": _body("Outcome"),
            "responses": {"200": _json(_ref("Entry"), "the entry after the outcome"),
                          "400": _error("bad body or unknown operator"), "404": _error("no such entry"),
                          "409": _error("the entry is closed, claimed by someone else, or the status change "
                                        "is not allowed"), **COMMON_ERRORS}}},
        "/api/console/presence": {"get": {
            "operationId": "presenceBoard", "summary": "Every operator's presence and for how long",
            "responses": {"200": _json({"type": "object", "properties": {
                "operators": {"type": "array", "items": _ref("Presence")}}}, "the board"), **COMMON_ERRORS}}},
        "/api/console/presence/{name}": {"put": {
            "operationId": "setPresence", "summary": "Set an operator's presence by hand",
            "parameters": [{"name": "name", "in": "path", "required": True,
                            "schema": {"type": "string", "minLength": 1, "maxLength": 80}}],
            "requestBody": _body("PresenceIn"),
            "responses": {"200": _json(_ref("Presence"), "the new state"),
                          "400": _error("bad body or unknown operator"),
                          "409": _error("the operator is on a call or not on the roster"), **COMMON_ERRORS}}},
    }


CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 32},
        "description": "the tracking code (digits; spaces and dashes are ignored)"}


def _tickets_paths() -> dict[str, Any]:
    """The tickets API of the tickets domain (see the README), described here too."""
    ticket = _json({"type": "object"}, "the ticket with its history")
    return {
        "/api/tickets": {"post": {
            "operationId": "createTicket", "summary": "Record a request; it gets a tracking code",
            "requestBody": _body("TicketIn"),
            "responses": {"201": ticket, "400": _error("a bad body"), **COMMON_ERRORS}}},
        "/api/tickets/{code}": {"get": {
            "operationId": "getTicket", "summary": "A ticket with its history", "parameters": [CODE],
            "responses": {"200": ticket, "400": _error("not a valid code"), "404": _error("no such ticket"),
                          **COMMON_ERRORS}}},
        "/api/tickets/{code}/status": {
            "post": {
                "operationId": "changeTicketStatus", "summary": "Change a ticket's status", "parameters": [CODE],
                "requestBody": _body("StatusChangeIn"),
                "responses": {"200": ticket, "400": _error("a bad body or code"), "404": _error("no such ticket"),
                              "409": _error("the status rules refuse the change"), **COMMON_ERRORS}},
            "get": {
                "operationId": "publicTicketStatus", "summary": "The status anyone holding the code may read",
                "security": [], "parameters": [CODE],
                "responses": {"200": _json({"type": "object"}, "the status"), "400": _error("not a valid code"),
                              "404": _error("no such ticket"), "429": _error("too many failed lookups")}}},
    }


_SCHEMAS["TicketIn"] = {"type": "object", "additionalProperties": False, "required": ["channel", "summary"],
                        "properties": {"channel": {"type": "string"}, "topic": {"type": "string"},
                                       "summary": {"type": "string"}, "phone": {"type": ["string", "null"]},
                                       "email": {"type": ["string", "null"]}}}
_SCHEMAS["StatusChangeIn"] = {"type": "object", "additionalProperties": False, "required": ["status"],
                              "properties": {"status": {"type": "string", "enum": [s.value for s in TicketStatus]},
                                             "forwarded_to": {"type": ["string", "null"]},
                                             "note": {"type": "string"}}}


def openapi_document() -> dict[str, Any]:
    """The whole document."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Contact Center 800 840 840 — JSON API", "version": "1.0.0",
                 "description": "The operators' console operations (the day's figures, the callback list with "
                                "claims and outcomes, presence) and the tickets API. Authenticate with an API "
                                "token created by "
                                "`contact-center tokens create NAME`."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": _SCHEMAS},
        "paths": {**_paths(), **_tickets_paths()},
    }
