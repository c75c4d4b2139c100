"""Supervisors' crisis settings: extensions with their announcement, closures, and the published preview."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from access.accounts import Role
from console.formatting import zone
from console.security import log_action, reading, requires, transaction
from console.web import blueprint
from contact_center.hours_publication import page_context, publish
from contact_center.runtime import current_runtime
from hours.model import Band, HoursError
from storage.hours_repository import add_closure, add_extension, cancel_entry, list_entries

MAX_TEXT = 600
TYPED_FIELDS = ("starts", "ends", "bands", "all_day", "announcement", "reason")


class FormError(ValueError):
    """A field the supervisor must correct; the message (Italian) says which."""


def _instant(field: str, label: str) -> datetime:
    """A date and time typed in the line's local time (datetime-local), as an instant."""
    text = request.form.get(field, "").strip()
    try:
        written = datetime.fromisoformat(text)
    except ValueError:
        raise FormError(f"{label}: scrivi data e ora, per esempio 2026-12-06T08:00") from None
    if written.tzinfo is not None:
        raise FormError(f"{label}: scrivi l'ora locale, senza fuso orario")
    instant = written.replace(tzinfo=zone(), fold=0).astimezone(UTC)
    if instant.astimezone(zone()).replace(tzinfo=None) != written:
        raise FormError(f"{label}: quest'ora non esiste (cambio dell'ora legale)")
    return instant


def _range() -> tuple[datetime, datetime]:
    starts_at, ends_at = _instant("starts", "Dal"), _instant("ends", "Al")
    if ends_at <= starts_at:
        raise FormError("la fine deve venire dopo l'inizio")
    if ends_at <= current_runtime().clock():
        raise FormError("il periodo è già passato")
    return starts_at, ends_at


def _bands() -> tuple[Band, ...] | None:
    """The daily bands typed as "08:00-20:00, 21:00-23:00", or None for all day."""
    if request.form.get("all_day") == "1":
        return None
    texts = [part.strip() for part in request.form.get("bands", "").split(",") if part.strip()]
    if not texts:
        raise FormError("indica le fasce orarie (per esempio 08:00-20:00) oppure «tutto il giorno»")
    try:
        return tuple(sorted(Band.parse(text) for text in texts))
    except HoursError:
        raise FormError("fasce orarie non valide: scrivile come 08:00-20:00, separate da virgole") from None


@blueprint.get("/settings")
@requires(Role.SUPERVISOR)
def settings() -> Any:
    """Extensions and closures in force or to come, the forms to add them, and the published preview."""
    return _settings_page()


def _settings_page(form: dict[str, str] | None = None, status: int = 200) -> Any:
    """The settings page; `form`: what was typed in the refused form (`which` names it), kept."""
    with reading() as db:
        entries = list_entries(db, ending_after=current_runtime().clock())
    try:
        preview = page_context(current_runtime(), publish(current_runtime()))
    except (SQLAlchemyError, HoursError):
        preview = None
    return render_template("console/settings.html", entries=entries, preview=preview, now=current_runtime().clock(),
                           form=form or {}), status


def _saved(action: str, change: Callable[[Session], tuple[str, str]], message: str, which: str = "") -> Any:
    """Run a change of the schedule, audit it, and say how it went; a refused form comes back as typed."""
    try:
        with transaction() as db:
            target, detail = change(db)
            log_action(db, action, target, detail)
    except (FormError, HoursError) as error:
        reason = str(error) if isinstance(error, FormError) else f"l'orario non è valido ({error})"
        flash(f"Modifica non salvata: {reason}.", "error")
        if which:
            typed = {key: request.form.get(key, "")[:MAX_TEXT] for key in TYPED_FIELDS}
            return _settings_page({**typed, "which": which}, 400)
    else:
        flash(message, "success")
    return redirect(url_for("console.settings"))


@blueprint.post("/settings/extensions")
@requires(Role.SUPERVISOR)
def settings_extension() -> Any:
    """Extra opening hours, with an announcement callers hear after the greeting."""
    announcement = " ".join(request.form.get("announcement", "").split())[:MAX_TEXT] or None

    def change(db: Session) -> tuple[str, str]:
        starts_at, ends_at = _range()
        extension = add_extension(db, starts_at, ends_at, _bands(), announcement, g.account.name,
                                  now=current_runtime().clock())
        return extension.id, f"{starts_at.isoformat()} → {ends_at.isoformat()}"
    return _saved("hours_extension", change, "Apertura straordinaria salvata: vale dalla prossima chiamata.",
                  "extension")


@blueprint.post("/settings/closures")
@requires(Role.SUPERVISOR)
def settings_closure() -> Any:
    """A closure (the line takes messages only)."""
    reason = " ".join(request.form.get("reason", "").split())[:MAX_TEXT] or None

    def change(db: Session) -> tuple[str, str]:
        starts_at, ends_at = _range()
        closure = add_closure(db, starts_at, ends_at, reason, g.account.name, now=current_runtime().clock())
        return closure.id, f"{starts_at.isoformat()} → {ends_at.isoformat()}"
    return _saved("hours_closure", change, "Chiusura salvata: vale dalla prossima chiamata.", "closure")


@blueprint.post("/settings/<entry_id>/cancel")
@requires(Role.SUPERVISOR)
def settings_cancel(entry_id: str) -> Any:
    """Cancel an extension or a closure, once the supervisor ticked "confermo"."""
    if request.form.get("confirm") != "1":
        flash("Modifica non annullata: spunta «confermo» accanto a «Annulla» per annullarla.", "error")
        return redirect(url_for("console.settings"))
    def change(db: Session) -> tuple[str, str]:
        entry, _ = cancel_entry(db, entry_id[:24], g.account.name, now=current_runtime().clock())
        return entry.id, "annullata"
    return _saved("hours_cancel", change, "Modifica annullata.")
