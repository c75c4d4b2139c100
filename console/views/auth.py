"""Sign in and sign out."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, session, url_for

from access import audit
from access.accounts import Role, end_sessions, sign_in
from console.security import log_action, requires, safe_next, start_session, transaction
from console.web import blueprint
from contact_center.clients import client_address
from contact_center.runtime import current_runtime

MAX_FIELD_LENGTH = 256
# One answer for an unknown name, a wrong password, a delayed or a disabled account.
REFUSED = ("Accesso non riuscito: controlla nome e password e riprova tra qualche istante. "
           "Se non riesci ad accedere, rivolgiti a un supervisore.")


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
    # Behind the proxy every request comes from it: the client is what our trusted proxies saw.
    address = client_address(current_runtime().settings.tickets.trusted_proxy_hops)
    with transaction() as db:
        result = sign_in(db, name, password, address, current_runtime().settings.console.throttle_policy(),
                         current_runtime().clock())
        if result.outcome == "ok" and result.account is not None:
            audit.record(db, result.account.name, "sign_in", address=address, at=current_runtime().clock())
        else:
            audit.record(db, "anonimo", f"sign_in_{result.outcome}", target=" ".join(name.split()), address=address,
                         at=current_runtime().clock())
    if result.outcome == "ok" and result.account is not None:
        start_session(result.account)
        return redirect(safe_next(next_page))
    return render_template("console/login.html", error=REFUSED, next_page=next_page,
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
