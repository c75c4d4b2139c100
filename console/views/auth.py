"""Sign in and sign out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import flash, g, redirect, render_template, request, session, url_for

from access import audit
from access.accounts import LockoutPolicy, Role, end_sessions, sign_in
from console.formatting import local_time
from console.security import log_action, requires, safe_next, start_session, transaction
from console.web import blueprint
from contact_center.runtime import current_runtime

MAX_FIELD_LENGTH = 256


def _policy() -> LockoutPolicy:
    config = current_runtime().settings.console
    return LockoutPolicy(attempts=config.lockout_attempts, duration=timedelta(minutes=config.lockout_minutes))


@blueprint.get("/")
@requires(Role.OPERATOR)
def home() -> Any:
    """The console opens on the Today page."""
    return redirect(url_for("console.today"))


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The sign-in form; a correct name and password open a session."""
    next_page = request.values.get("next", "")
    if g.account is not None and request.method == "GET":
        return redirect(safe_next(next_page))
    if request.method == "GET":
        return render_template("console/login.html", next_page=next_page, name="")
    name = request.form.get("name", "")[:MAX_FIELD_LENGTH]
    password = request.form.get("password", "")[:MAX_FIELD_LENGTH]
    address = request.remote_addr or ""
    with transaction() as db:
        result = sign_in(db, name, password, _policy(), current_runtime().clock())
        if result.outcome == "ok" and result.account is not None:
            audit.record(db, result.account.name, "sign_in", address=address, at=current_runtime().clock())
        else:
            audit.record(db, "anonimo", f"sign_in_{result.outcome}", target=" ".join(name.split()), address=address,
                         at=current_runtime().clock())
    if result.outcome == "ok" and result.account is not None:
        start_session(result.account)
        return redirect(safe_next(next_page))
    messages = {
        "wrong": "Nome utente o password non validi.",
        "disabled": "Questo account è disattivato: rivolgiti a un supervisore.",
        "locked": f"Troppi tentativi non riusciti: l'accesso è bloccato fino alle {local_time(result.locked_until)}.",
    }
    return render_template("console/login.html", error=messages[result.outcome], next_page=next_page,
                           name=name), 401


@blueprint.post("/logout")
@requires(Role.OPERATOR)
def logout() -> Any:
    """End this account's sessions everywhere, then show the sign-in form."""
    with transaction() as db:
        end_sessions(db, g.account.id)
        log_action(db, "sign_out")
    session.clear()
    flash("Sei uscito dalla console.", "info")
    return redirect(url_for("console.login"))
