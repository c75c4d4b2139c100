"""The callback list: counts, filtered pages, claiming the next entry, an entry and its outcomes."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from access.accounts import Role
from console.calling import ring_window
from console.formatting import zone
from console.security import log_action, requires, transaction
from console.web import blueprint
from contact_center.runtime import current_runtime
from contact_center.services import callback_policy, rest_client
from storage.models import Ticket, TicketStatusChange
from tickets.repository import find_with_history
from tickets.status import TicketStatus, Topic, parse_status
from voicemail import worklist
from voicemail.calls import call_in_progress
from voicemail.errors import BadFilter, CallbackError
from voicemail.listing import EntryView, entry_details
from voicemail.queue import OUTCOMES, claim_next, record_outcome, release_claim, release_expired_claims
from voicemail.status import CallbackStatus
from voicemail.vocabulary import describe, label
from voicemail.worklist import Cursor

MAX_NOTE_LENGTH = 2000
MAX_INSTITUTION_LENGTH = 200
TOPICS = tuple(topic.value for topic in Topic)


@blueprint.get("/callbacks")
@requires(Role.OPERATOR)
def callbacks() -> Any:
    """Counts by status, then one page of the chosen view in work order."""
    args = request.args.to_dict()
    try:
        filters = worklist.parse_filters(args, TOPICS, operator=g.account.name,
                                         code_length=current_runtime().settings.tickets.accepted_code_lengths)
        after = Cursor.decode(args["after"]) if args.get("after") else None
    except BadFilter as error:
        flash(f"Filtro non valido: {describe(error)}.", "error")
        return redirect(url_for("console.callbacks"))
    now = current_runtime().clock()
    with transaction() as db:
        release_expired_claims(db, callback_policy(current_runtime().settings), now)
        counts = worklist.counts(db, now, operator=g.account.name)
        # The page's live tag is everyone's (the list's counts without the operator's own "mine").
        g.due_count, g.live_counts = counts["due"], {view: n for view, n in counts.items() if view != worklist.MINE}
        page = worklist.page(db, filters, now, zone(), current_runtime().settings.console.page_size, after)
    return render_template("console/callbacks.html", counts=counts, page=page, filters=filters, now=now,
                           views=(*worklist.VIEWS, worklist.MINE), topics=TOPICS, first_page=after is None,
                           can_fetch=rest_client(current_runtime().settings).configured)


@blueprint.post("/callbacks/claim")
@requires(Role.OPERATOR)
def callback_claim() -> Any:
    """"Prendi il prossimo": the next due entry becomes this operator's."""
    with transaction() as db:
        rt = current_runtime()
        entry = claim_next(db, g.account.name, callback_policy(rt.settings), now=rt.clock())
        if entry is not None:
            log_action(db, "callback_claim", f"richiamata {entry.id}")
    if entry is None:
        flash("Non ci sono richiamate da fare adesso.", "info")
        return redirect(url_for("console.callbacks"))
    flash(f"Richiamata {entry.id} assegnata a te.", "success")
    return redirect(url_for("console.callback", entry_id=entry.id))


@blueprint.post("/callbacks/<int:entry_id>/release")
@requires(Role.OPERATOR)
def callback_release(entry_id: int) -> Any:
    """Give an entry back to the list, as it was (no attempt counted)."""
    try:
        with transaction() as db:
            release_claim(db, entry_id, g.account.name, current_runtime().clock())
            log_action(db, "callback_release", f"richiamata {entry_id}")
    except CallbackError as error:
        flash(f"Richiamata non rilasciata: {describe(error)}.", "error")
        return redirect(url_for("console.callback", entry_id=entry_id))
    flash(f"Richiamata {entry_id} rilasciata: torna nell'elenco per chiunque.", "success")
    return redirect(url_for("console.callbacks"))


def _ticket_with_history(db: Session, entry: EntryView) -> tuple[Ticket | None, list[TicketStatusChange]]:
    found = None
    if entry.ticket_code is not None:
        found = find_with_history(db, entry.ticket_code, current_runtime().settings.tickets.accepted_code_lengths)
    return found if found is not None else (None, [])


def _entry_page(entry_id: int, form: dict[str, str] | None = None, status: int = 200) -> Any:
    """An entry's page; `form`: what was typed in the outcome form, kept after a refusal."""
    with transaction() as db:
        try:
            entry = entry_details(db, entry_id)
        except CallbackError:
            abort(404)
        ticket, history = _ticket_with_history(db, entry)
    mine = entry.status is CallbackStatus.CLAIMED and entry.claimed_by == g.account.name
    now = current_runtime().clock()
    calling = entry.call is not None and call_in_progress(entry.call.state, entry.call.state_at, now,
                                                          ring_window(current_runtime().settings))
    return render_template("console/callback.html", entry=entry, ticket=ticket, history=history, mine=mine,
                           outcomes=OUTCOMES, now=now, form=form or {}, calling=calling,
                           can_fetch=rest_client(current_runtime().settings).configured), status


@blueprint.get("/callbacks/<int:entry_id>")
@requires(Role.OPERATOR)
def callback(entry_id: int) -> Any:
    """An entry: number, ticket and history, messages with their recordings, attempts, actions."""
    return _entry_page(entry_id)


@blueprint.post("/callbacks/<int:entry_id>/outcome")
@requires(Role.OPERATOR)
def callback_outcome(entry_id: int) -> Any:
    """Record one call back (reached, no answer, busy, wrong number), and for "reached" the ticket's status."""
    outcome = request.form.get("outcome", "")[:32]
    note = request.form.get("note", "").strip()[:MAX_NOTE_LENGTH]
    raw_status = request.form.get("ticket_status", "")[:32]
    institution = " ".join(request.form.get("institution", "").split())[:MAX_INSTITUTION_LENGTH]
    typed = {"outcome": outcome, "note": note, "ticket_status": raw_status, "institution": institution}
    try:
        ticket_status = parse_status(raw_status) if raw_status and outcome == "reached" else None
    except ValueError:
        flash("Esito non registrato: stato della richiesta non valido.", "error")
        return _entry_page(entry_id, {**typed, "ticket_status": ""}, 400)
    try:
        with transaction() as db:
            entry = record_outcome(db, entry_id, outcome, callback_policy(current_runtime().settings),
                                   operator=g.account.name, note=note, ticket_status=ticket_status,
                                   forwarded_to=institution or None, now=current_runtime().clock())
            detail = label("outcome", outcome) + (f", richiesta: {ticket_status.value}" if ticket_status else "")
            if ticket_status is TicketStatus.FORWARDED:
                detail += f" ({institution})"
            log_action(db, "callback_outcome", f"richiamata {entry_id}", detail)
            status, next_attempt = CallbackStatus(entry.status), entry.next_attempt_at
    except CallbackError as error:
        flash(f"Esito non registrato: {describe(error)}. Quanto scritto è ancora nel modulo.", "error")
        return _entry_page(entry_id, typed, 409)
    if status is CallbackStatus.PENDING:
        flash(f"Esito registrato: {label('outcome', outcome)}. Nuovo tentativo previsto: "
              f"{next_attempt.astimezone(zone()).strftime('%d/%m/%Y %H:%M')}.", "success")
    else:
        flash(f"Esito registrato: {label('outcome', outcome)}. Richiamata {label('status', status)}.", "success")
    if request.form.get("then") == "next":
        return callback_claim()
    return redirect(url_for("console.callback", entry_id=entry_id))
