"""Supervisors answer citizens' privacy requests: what the service holds on them, its export, its erasure.

Thin: privacy/ finds, writes and erases (and audits each request); this module reads the form
and shows the result. The number or the address travels in POST bodies only, never in a URL,
so that no access log keeps it.
"""

from __future__ import annotations

import io
from typing import Any

from flask import flash, render_template, request, send_file

from access.accounts import Role
from console.security import actor, requires
from console.web import blueprint
from contact_center.runtime import current_runtime
from contact_center.services import recording_store, rest_client
from privacy.erasure import ErasureIncomplete
from privacy.holdings import Holdings
from privacy.requests import Place, erase_for, export_for, find_for
from privacy.subjects import Subject, SubjectError, subject

CONFIRMATION = "CANCELLA"
TABLES = (
    ("tickets", "Richieste"), ("ticket_status_changes", "Passaggi di stato"), ("written_submissions", "Moduli scritti"),
    ("ticket_replies", "Risposte"), ("mail_outbox", "E-mail"), ("callback_requests", "Richiamate"),
    ("callback_messages", "Messaggi"), ("callback_attempts", "Tentativi di richiamata"), ("calls", "Chiamate"),
    ("console_audit_log", "Righe del registro delle azioni"),
)


def _place() -> Place:
    rt = current_runtime()
    rest = rest_client(rt.settings)
    return Place(rt.sessions, rt.engine, rt.journal, recording_store(rt.settings), rest if rest.configured else None,
                 rt.secret_key)


def _subject() -> Subject | None:
    """The subject named by the form; None (with a message) when neither field is usable."""
    phone, email = request.form.get("phone", "").strip()[:60], request.form.get("email", "").strip()[:254]
    if not phone and not email:
        flash("Indica un numero di telefono o un indirizzo e-mail.", "error")
        return None
    try:
        return subject(phone or None, email or None)
    except SubjectError:
        flash("Il numero o l'indirizzo indicato non è valido.", "error")
        return None


def _page(held: Holdings | None = None, status: int = 200, **extra: Any) -> Any:
    return render_template("console/privacy.html", held=held, tables=TABLES, confirmation=CONFIRMATION,
                           **extra), status


@blueprint.get("/privacy")
@requires(Role.SUPERVISOR)
def privacy() -> Any:
    """The search form."""
    return _page()


@blueprint.post("/privacy")
@requires(Role.SUPERVISOR)
def privacy_find() -> Any:
    """What the service holds on a number or an address (the search is audited)."""
    who = _subject()
    if who is None:
        return _page(status=400)
    rt = current_runtime()
    held = find_for(_place(), who, actor=actor(), now=rt.clock(), address=request.remote_addr or "")
    return _page(held)


@blueprint.post("/privacy/export")
@requires(Role.SUPERVISOR)
def privacy_export() -> Any:
    """A zip archive with the data (JSON) and the recordings, for the citizen (audited)."""
    who = _subject()
    if who is None:
        return _page(status=400)
    rt = current_runtime()
    buffer = io.BytesIO()
    export_for(_place(), who, buffer, actor=actor(), now=rt.clock(), address=request.remote_addr or "")
    buffer.seek(0)
    return send_file(buffer, mimetype="application/zip", as_attachment=True,
                     download_name=f"dati-{rt.clock().strftime('%Y%m%d-%H%M')}.zip")


@blueprint.post("/privacy/erase")
@requires(Role.SUPERVISOR)
def privacy_erase() -> Any:
    """Erase the subject's data everywhere, after the supervisor typed the confirmation word (audited)."""
    who = _subject()
    if who is None:
        return _page(status=400)
    if request.form.get("confirm", "").strip().upper() != CONFIRMATION:
        flash(f"Per cancellare scrivi {CONFIRMATION} nel campo di conferma.", "error")
        return _page(status=400)
    rt = current_runtime()
    try:
        report = erase_for(_place(), who, actor=actor(), now=rt.clock(), address=request.remote_addr or "")
    except ErasureIncomplete:
        flash("Nessun dato è stato cancellato: l'archivio delle registrazioni o Twilio non rispondono. Riprova.",
              "error")
        return _page(status=503)
    flash(f"Dati cancellati: {sum(report.rows.values())} righe anonimizzate, {report.files} registrazioni "
          f"cancellate, {report.journal_lines} scritture tolte dal giornale. I conteggi del dossier restano.",
          "success")
    return _page(erased=report)
