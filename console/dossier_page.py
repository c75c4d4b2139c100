"""The dossier in the supervisors' console: `GET /console/dossier`, for signed-in supervisors only.

Thin: read the chosen period or event from the query string, compute the dossier (figures/),
answer the self-contained page. Guarded by the console's `requires(Role.SUPERVISOR)`; this
blueprint is not the console's own, so it loads the console's sign-in itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Final
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, make_response, request, url_for
from sqlalchemy.orm import Session

from access.accounts import Role
from console import security
from contact_center.runtime import current_runtime
from contact_center.schedule import configured_timetable
from figures.dossier import Selector, build_dossier, render_dossier_html, table_csv
from figures.events import EventError, event_period, find_event, list_events
from figures.opening import timetable_with_stored_ranges
from figures.period import Period, PeriodError
from storage.models import EmergencyEvent

DEFAULT_DAYS: Final = 30
CONTENT_SECURITY_POLICY: Final = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                  "frame-ancestors 'none'; base-uri 'none'")
BAD_PERIOD: Final = ("Periodo non valido: indica le due date (dal, al), la prima non successiva alla seconda, "
                     "per al massimo tre anni. Ecco gli ultimi 30 giorni.")
UNKNOWN_EVENT: Final = "Evento non trovato: scegline uno dall'elenco. Ecco gli ultimi 30 giorni."
NAVIGATION: Final = (("Oggi", "console.today"), ("Richiamate", "console.callbacks"), ("Richieste", "console.tickets"),
                     ("Presenza", "console.presence"), ("Tabellone", "console.presence_board"),
                     ("Impostazioni", "console.settings"), ("Posta", "console.outbox"), ("Eventi", "console.events"),
                     ("Dossier", "dossier.dossier"), ("Account", "console.accounts"), ("Registro", "console.audit_log"))
PERIOD_ARGUMENTS: Final = ("from", "to", "event")


def _default_period(zone: ZoneInfo) -> Period:
    """The last DEFAULT_DAYS local days, today included."""
    today = current_runtime().clock().astimezone(zone).date()
    return Period(today - timedelta(days=DEFAULT_DAYS - 1), today, zone)


def _selection(session: Session, arguments: Mapping[str, str],
               zone: ZoneInfo) -> tuple[Period, EmergencyEvent | None]:
    """The period and event the query string asks for: dates, else the event's days, else the last 30 days."""
    name = arguments.get("event", "").strip()
    event = find_event(session, name) if name else None
    first, last = arguments.get("from", "").strip(), arguments.get("to", "").strip()
    if first or last:
        return Period.parse(first, last, zone), event
    if event is not None:
        return event_period(event, zone), event
    return _default_period(zone), None


def dossier() -> Response:
    """The dossier of the chosen period or event, beside its ordinary period (400 with a note on bad input)."""
    settings = current_runtime().settings
    zone = ZoneInfo(settings.line.timezone)
    error: str | None = None
    with security.reading() as session:
        try:
            period, event = _selection(session, request.args, zone)
        except (PeriodError, EventError) as problem:
            period, event = _default_period(zone), None
            error = BAD_PERIOD if isinstance(problem, PeriodError) else UNKNOWN_EVENT
        selector = Selector(url_for("dossier.dossier"), tuple(item.name for item in list_events(session)),
                            event.name if event is not None else None, error, url_for("console.today"),
                            url_for("console.events"),
                            navigation=tuple((text, url_for(endpoint)) for text, endpoint in NAVIGATION),
                            csv_action=url_for("dossier.table_csv"),
                            csv_query=() if error else tuple((name, request.args[name]) for name in PERIOD_ARGUMENTS
                                                             if request.args.get(name, "").strip()))
        timetable = timetable_with_stored_ranges(configured_timetable(settings), session)
        html = render_dossier_html(session, period, event, timetable=timetable, selector=selector,
                                   now=current_runtime().clock())
    response = make_response(html, 400 if error else 200)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def dossier_table_csv() -> Response:
    """One table of the dossier of the chosen period or event, as a CSV file (404 for an unknown table)."""
    settings = current_runtime().settings
    zone = ZoneInfo(settings.line.timezone)
    with security.reading() as session:
        try:
            period, event = _selection(session, request.args, zone)
        except (PeriodError, EventError):
            abort(400)
        timetable = timetable_with_stored_ranges(configured_timetable(settings), session)
        dossier = build_dossier(session, period, timetable, event, now=current_runtime().clock())
    found = {table.slug: table for table in dossier.tables()}.get(request.args.get("table", ""))
    if found is None:
        abort(404)
    response = make_response(table_csv(found))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{found.slug}.csv"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def make_blueprint() -> Blueprint:
    """The blueprint serving /console/dossier."""
    blueprint = Blueprint("dossier", __name__, url_prefix="/console/dossier")
    blueprint.before_request(security.load_signed_in_account)
    blueprint.add_url_rule("", "dossier", security.requires(Role.SUPERVISOR)(dossier), methods=["GET"])
    blueprint.add_url_rule("/csv", "table_csv", security.requires(Role.SUPERVISOR)(dossier_table_csv), methods=["GET"])
    return blueprint
