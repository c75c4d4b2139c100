"""Supervisors name emergency events (name and local days) for the dossier, and forget them.

Thin: the rules live in figures/events.py (unique names, at most three years) and
figures/period.py (dates); this module reads the form, audits the change and says in Italian
how it went. An event only labels a period: removing one deletes no call and no request.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, g, redirect, render_template, request, url_for

from access.accounts import Role
from console.security import log_action, reading, requires, transaction
from console.web import blueprint
from contact_center.runtime import current_runtime
from figures import labels
from figures.events import EventError, add_event, event_period, list_events, remove_event_by_id
from figures.period import Period, PeriodError

DESCRIPTION_MAX = 600


def _zone() -> ZoneInfo:
    return ZoneInfo(current_runtime().settings.line.timezone)


@blueprint.get("/events")
@requires(Role.SUPERVISOR)
def events() -> Any:
    """The named events, newest first, each with a link to its dossier, and the form to name one."""
    zone = _zone()
    with reading() as db:
        rows = [(event, event_period(event, zone)) for event in reversed(list_events(db))]
    return render_template("console/events.html", rows=rows, form=request.args)


@blueprint.post("/events")
@requires(Role.SUPERVISOR)
def events_add() -> Any:
    """Name an event over whole local days; the form comes back filled in when something must be corrected."""
    name, first, last = (request.form.get(field, "").strip() for field in ("name", "first", "last"))
    description = " ".join(request.form.get("description", "").split())[:DESCRIPTION_MAX]
    try:
        period = Period.parse(first, last, _zone())
        with transaction() as db:
            event = add_event(db, name, period, g.account.name, description)
            log_action(db, "event_add", event.name, f"{period.first_day.isoformat()} → {period.last_day.isoformat()}")
            saved = event.name
    except (PeriodError, EventError) as error:
        flash(f"Evento non salvato: {labels.text('problem', error.problem)}.", "error")
    else:
        flash(f"Evento «{saved}» salvato: il dossier lo confronta con il periodo ordinario precedente.", "success")
        return redirect(url_for("console.events"))
    return redirect(url_for("console.events", name=name[:120], first=first[:10], last=last[:10],
                            description=description))


@blueprint.post("/events/<int:event_id>/remove")
@requires(Role.SUPERVISOR)
def events_remove(event_id: int) -> Any:
    """Forget an event, once the supervisor ticked "confermo"; the calls and requests of its period stay."""
    if request.form.get("confirm") != "1":
        flash("Evento non eliminato: spunta «confermo» accanto a «Elimina» per eliminarlo.", "error")
        return redirect(url_for("console.events"))
    with transaction() as db:
        name = remove_event_by_id(db, event_id)
        if name is None:
            flash("Evento non trovato: forse è già stato eliminato.", "error")
            return redirect(url_for("console.events"))
        log_action(db, "event_remove", name)
    flash(f"Evento «{name}» eliminato: le chiamate e le richieste del periodo restano.", "success")
    return redirect(url_for("console.events"))
