"""Tickets: search by code or phone number, the ticket with its history, status changes."""

from __future__ import annotations

from typing import Any

import phonenumbers
from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from access.accounts import Role
from console.formatting import local_time
from console.security import log_action, reading, requires, transaction
from console.web import blueprint
from contact_center.runtime import current_runtime
from storage.models import Ticket
from tickets.codes import normalize_code
from tickets.repository import (
    StaleTicket,
    change_status,
    find_by_code,
    find_with_history,
    latest_tickets,
    tickets_by_phone,
)
from tickets.status import ALLOWED_TRANSITIONS, InvalidTransition, TicketStatus, parse_status
from tickets.vocabulary import label

MAX_RESULTS = 100
LATEST = 20
MAX_NOTE_LENGTH = 2000
MAX_INSTITUTION_LENGTH = 200


def _phone_query(text: str) -> str | None:
    """The E.164 form of a phone number typed in the search box, or None."""
    try:
        number = phonenumbers.parse(text, "IT")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@blueprint.get("/tickets")
@requires(Role.OPERATOR)
def tickets() -> Any:
    """Search a ticket by its code, or the tickets of a phone number."""
    query = request.args.get("q", "").strip()[:64]
    if not query:
        with reading() as db:
            latest = latest_tickets(db, LATEST)
        return render_template("console/tickets.html", query="", results=latest, searched=False)
    code, code_length = normalize_code(query), current_runtime().settings.tickets.code_length
    if code.isdigit() and len(code) in current_runtime().settings.tickets.accepted_code_lengths:
        with reading() as db:
            found = find_by_code(db, code, current_runtime().settings.tickets.accepted_code_lengths)
        if found is not None:
            return redirect(url_for("console.ticket", code=found.code))
        return render_template("console/tickets.html", query=query, results=[], searched=True,
                               error="Nessuna richiesta con questo codice (controlla le cifre)."), 404
    number = _phone_query(query)
    if number is None:
        return render_template("console/tickets.html", query=query, results=[], searched=True,
                               error=f"Scrivi un codice di {code_length} cifre o un numero di telefono."), 400
    with reading() as db:
        results = tickets_by_phone(db, number, MAX_RESULTS)
    return render_template("console/tickets.html", query=query, results=results, searched=True, number=number)


def _ticket_or_404(db: Session, code: str) -> Ticket:
    found = find_by_code(db, code, current_runtime().settings.tickets.accepted_code_lengths, for_update=True)
    if found is None:
        abort(404)
    return found


def _ticket_page(code: str, form: dict[str, str] | None = None, status: int = 200) -> Any:
    """A ticket, its history and the changes its rules allow; `form`: what was typed, kept after a refusal."""
    with reading() as db:
        found_with_history = find_with_history(db, code, current_runtime().settings.tickets.accepted_code_lengths)
    if found_with_history is None:
        abort(404)
    found, history = found_with_history
    allowed = sorted(ALLOWED_TRANSITIONS[TicketStatus(found.status)], key=list(TicketStatus).index)
    return render_template("console/ticket.html", ticket=found, history=history, allowed=allowed,
                           form=form or {}), status


@blueprint.get("/tickets/<code>")
@requires(Role.OPERATOR)
def ticket(code: str) -> Any:
    """A ticket, its history, and the status changes its rules allow."""
    return _ticket_page(code)


def _refusal(current: TicketStatus, new: TicketStatus, institution: str) -> str:
    """Why a change was refused, in Italian."""
    if new is TicketStatus.FORWARDED and not institution:
        return "Per inoltrare la richiesta indica l'ente competente."
    if new is not TicketStatus.FORWARDED and institution:
        return "L'ente si indica solo quando la richiesta viene inoltrata."
    return f"La richiesta non può passare da «{label(current)}» a «{label(new)}»."


def _stale(found: Ticket) -> str:
    """The refusal of a change made from a page opened before another change, with the current state."""
    last = found.history[-1] if found.history else None
    by = f" ({last.changed_by}, {local_time(last.changed_at)})" if last is not None else ""
    return (f"La richiesta è cambiata mentre la pagina era aperta: ora è «{label(TicketStatus(found.status))}»"
            f"{by}. Nulla è stato salvato: controlla lo stato attuale e, se serve, riprova.")


def _version(raw: str) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@blueprint.post("/tickets/<code>/status")
@requires(Role.OPERATOR)
def ticket_status(code: str) -> Any:
    """Change a ticket's status (the transition rules decide), or forward it to an institution.

    The form carries the ticket's version it was shown with: a change from an older version (another
    tab, another operator) is refused and the page shows the current state, with what was typed kept.
    """
    note = request.form.get("note", "").strip()[:MAX_NOTE_LENGTH]
    institution = " ".join(request.form.get("institution", "").split())[:MAX_INSTITUTION_LENGTH]
    typed = {"note": note, "institution": institution, "status": request.form.get("status", "")[:32],
             "which": "forward" if request.form.get("status") == TicketStatus.FORWARDED.value else "status"}
    try:
        new_status = parse_status(request.form.get("status", ""))
    except ValueError:
        flash("Scegli il nuovo stato della richiesta.", "error")
        return _ticket_page(code, {**typed, "status": ""}, 400)
    with transaction() as db:
        found = _ticket_or_404(db, code)
        current = TicketStatus(found.status)
        try:
            change_status(db, found, new_status, changed_by=g.account.name, note=note,
                          forwarded_to=institution or None, now=current_runtime().clock(),
                          expected_version=_version(request.form.get("version", "")))
        except StaleTicket:
            message = _stale(found)
            typed["status"] = ""
        except InvalidTransition:
            message = _refusal(current, new_status, institution)
        else:
            message = ""
            detail = f"{current.value} → {new_status.value}" + (f" ({institution})" if institution else "")
            log_action(db, "ticket_status", found.code, detail)
    if message:
        flash(message, "error")
        return _ticket_page(code, typed, 409)
    flash(f"Stato aggiornato: {label(new_status)}.", "success")
    return redirect(url_for("console.ticket", code=code))
