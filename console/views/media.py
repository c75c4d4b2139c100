"""The recording of a message, played through the console, and "Chiama"."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from access.accounts import Role
from agents.roster import find_agent
from console.calling import CallNotStarted, ring_window, start_callback_call
from console.security import log_action, reading, requires, transaction
from console.web import blueprint
from contact_center.links import callback_call_status_url, callback_call_url
from contact_center.runtime import current_runtime
from contact_center.services import recording_store, rest_client
from storage.models import CallbackMessage
from voicemail.calls import begin_call, call_not_started, call_started
from voicemail.listing import recorded_message
from voicemail.queue import find_entry
from voicemail.recordings import RecordingUnavailable
from voicemail.status import CallbackStatus
from voicemail.store import StoreUnavailable

MIME_TYPES = {".wav": "audio/wav", ".mp3": "audio/mpeg"}


def _stored_copy(message: CallbackMessage) -> Response | None:
    """The message's copy streamed from the recordings store, with range requests (seeking).

    None when the store does not hold it (not copied yet) or cannot be reached right now.
    """
    key = message.recording_path
    if not key:
        return None
    store = recording_store(current_runtime().settings)
    try:
        size = store.size(key)
        if not size:
            return None
        span = request.range.range_for_length(size) if request.range else (0, size)
        if span is None:
            return Response(status=416, headers={"Content-Range": f"bytes */{size}"})
        audio = store.read(key, span[0], span[1] - 1)
    except (StoreUnavailable, ValueError):
        return None
    if audio is None:
        return None
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "no-store",
               "Content-Length": str(audio.last - audio.first + 1)}
    if request.range:
        headers["Content-Range"] = f"bytes {audio.first}-{audio.last}/{audio.size}"
    return Response(audio.chunks, status=206 if request.range else 200, headers=headers, direct_passthrough=True,
                    mimetype=MIME_TYPES.get(PurePosixPath(key).suffix, "application/octet-stream"))


@blueprint.get("/callbacks/<int:entry_id>/recordings/<call_sid>")
@requires(Role.OPERATOR)
def recording(entry_id: int, call_sid: str) -> Any:
    """Stream the stored copy, or fetch it from Twilio on the server (credentials never leave it)."""
    with reading() as db:
        message = recorded_message(db, entry_id, call_sid[:64])
    if message is None or not message.recording_sid:
        abort(404)
    stored = _stored_copy(message)
    if stored is not None:
        return stored
    file_format = current_runtime().settings.voicemail.recording_format
    try:
        audio = rest_client(current_runtime().settings).download(message.recording_sid, file_format)
    except RecordingUnavailable:
        return render_template("console/recording_unavailable.html", entry_id=entry_id,
                               twilio=rest_client(current_runtime().settings).configured), 502
    return Response(audio, mimetype=MIME_TYPES[f".{file_format}"], headers={"Cache-Control": "no-store"})




def _operator_phone(db: Session) -> str | None:
    """The operator's own phone: their account's, else the one on the operators' roster."""
    if g.account.phone:
        return str(g.account.phone)
    agent = find_agent(db, g.account.name)
    return agent.phone if agent is not None else None


@blueprint.post("/callbacks/<int:entry_id>/call")
@requires(Role.OPERATOR)
def callback_call(entry_id: int) -> Any:
    """"Chiama": ring the operator's phone, then the citizen with the line's number as caller ID."""
    settings = current_runtime().settings
    back = redirect(url_for("console.callback", entry_id=entry_id))
    with reading() as db:
        entry = find_entry(db, entry_id)
        phone = _operator_phone(db)
    if entry is None:
        abort(404)
    if entry.status != CallbackStatus.CLAIMED or entry.claimed_by != g.account.name:
        flash("Prendi in carico la richiamata prima di chiamare.", "error")
        return back
    if not entry.callback_number:
        flash("Questa richiamata non ha un numero da chiamare.", "error")
        return back
    if not phone:
        flash("Il tuo account non ha un telefono: chiedi a un supervisore di indicarlo.", "error")
        return back
    rest = rest_client(settings)
    if not rest.configured:
        flash("Le chiamate non sono disponibili: Twilio non è configurato.", "error")
        return back
    origin = settings.web.public_base_url or request.host_url.rstrip("/")
    with transaction() as db:
        taken = begin_call(db, entry.id, g.account.name, current_runtime().clock(), ring_window(settings))
    if not taken:
        flash("La chiamata è già partita: rispondi al tuo telefono. «Chiama» torna disponibile quando "
              "la chiamata finisce.", "info")
        return back
    try:
        call_sid = start_callback_call(rest.client, operator_phone=phone, line_number=settings.line.number,
                                       twiml_url=origin + callback_call_url(current_runtime().auth_token, entry.id,
                                                                      entry.callback_number),
                                       ring_seconds=settings.console.operator_ring_seconds,
                                       status_callback=origin + callback_call_status_url(entry.id))
    except CallNotStarted as error:
        with transaction() as db:
            call_not_started(db, entry.id, current_runtime().clock())
        flash(f"Chiamata non avviata: {error}.", "error")
        return back
    with transaction() as db:
        call_started(db, entry.id, call_sid, current_runtime().clock())
        log_action(db, "callback_call", f"richiamata {entry.id}", call_sid)
    flash("Sta squillando il tuo telefono: rispondi per essere messo in contatto.", "success")
    return back
