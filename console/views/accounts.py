"""Supervisors manage the console's accounts and read the audit log."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from access import audit
from access.accounts import (
    AccountError,
    Role,
    account_name,
    add_account,
    is_delayed,
    lift_lock,
    list_accounts,
    parse_role,
    set_active,
    set_password,
    set_phone,
)
from access.vocabulary import describe
from console.security import log_action, reading, requires, transaction
from console.web import blueprint
from contact_center.runtime import current_runtime

AUDIT_PAGE = 200


@blueprint.get("/accounts")
@requires(Role.SUPERVISOR)
def accounts() -> Any:
    """Every account with its state and actions, and the form to add one."""
    rt = current_runtime()
    now, policy = rt.clock(), rt.settings.console.throttle_policy()
    with reading() as db:
        rows = list_accounts(db)
        delayed = {a.id: is_delayed(db, a, policy, now) for a in rows}
    return render_template("console/accounts.html", accounts=rows, delayed=delayed, now=now,
                           min_password_length=rt.settings.console.min_password_length)


def _account_error(error: AccountError) -> str:
    """The domain's reason, in Italian, as a sentence."""
    return f"Operazione non riuscita: {describe(error)}."


@blueprint.post("/accounts")
@requires(Role.SUPERVISOR)
def account_add() -> Any:
    """Create an account."""
    form = request.form
    if form.get("password", "") != form.get("password_again", ""):
        flash("Le due password non coincidono.", "error")
        return redirect(url_for("console.accounts"))
    try:
        with transaction() as db:
            rt = current_runtime()
            account = add_account(db, form.get("name", "")[:200], parse_role(form.get("role", "")),
                                  form.get("password", ""), phone=form.get("phone") or None, now=rt.clock(),
                                  min_password_length=rt.settings.console.min_password_length)
            log_action(db, "account_add", account.name, f"ruolo {account.role}")
    except AccountError as error:
        flash(_account_error(error), "error")
    else:
        flash(f"Account «{account.name}» creato.", "success")
    return redirect(url_for("console.accounts"))


@blueprint.post("/accounts/<int:account_id>/active")
@requires(Role.SUPERVISOR)
def account_active(account_id: int) -> Any:
    """Disable or enable an account (a supervisor cannot disable their own)."""
    active = request.form.get("active") == "1"
    if account_id == g.account.id and not active:
        flash("Non puoi disattivare il tuo account.", "error")
        return redirect(url_for("console.accounts"))
    try:
        with transaction() as db:
            name = account_name(db, account_id)
            account = set_active(db, name, active)
            log_action(db, "account_enable" if active else "account_disable", account.name)
    except AccountError as error:
        flash(_account_error(error), "error")
    else:
        flash(f"Account «{account.name}» {'riattivato' if active else 'disattivato'}.", "success")
    return redirect(url_for("console.accounts"))


@blueprint.post("/accounts/<int:account_id>/unlock")
@requires(Role.SUPERVISOR)
def account_unlock(account_id: int) -> Any:
    """Lift the sign-in delays of an account, from every address."""
    try:
        with transaction() as db:
            account = lift_lock(db, account_name(db, account_id))
            log_action(db, "account_unlock", account.name)
    except AccountError as error:
        flash(_account_error(error), "error")
    else:
        flash(f"Account «{account.name}» sbloccato: può accedere subito da qualsiasi indirizzo.", "success")
    return redirect(url_for("console.accounts"))


@blueprint.post("/accounts/<int:account_id>/password")
@requires(Role.SUPERVISOR)
def account_password(account_id: int) -> Any:
    """Set a new password for an account (its sessions end, any lock is lifted)."""
    form = request.form
    if form.get("password", "") != form.get("password_again", ""):
        flash("Le due password non coincidono.", "error")
        return redirect(url_for("console.accounts"))
    try:
        with transaction() as db:
            name = account_name(db, account_id)
            account = set_password(db, name, form.get("password", ""),
                                   min_password_length=current_runtime().settings.console.min_password_length)
            log_action(db, "account_password", account.name)
    except AccountError as error:
        flash(_account_error(error), "error")
    else:
        flash(f"Password di «{account.name}» cambiata.", "success")
    return redirect(url_for("console.accounts"))


@blueprint.post("/accounts/<int:account_id>/phone")
@requires(Role.SUPERVISOR)
def account_phone(account_id: int) -> Any:
    """Set or clear the operator's own phone, the one "Chiama" rings first."""
    raw = request.form.get("phone", "")[:64]
    try:
        with transaction() as db:
            account = set_phone(db, account_name(db, account_id), raw or None)
            log_action(db, "account_phone", account.name, "telefono impostato" if account.phone else "telefono tolto")
    except AccountError as error:
        flash(_account_error(error), "error")
    else:
        flash(f"Telefono di «{account.name}» {'impostato' if account.phone else 'tolto'}.", "success")
    return redirect(url_for("console.accounts"))


@blueprint.get("/audit")
@requires(Role.SUPERVISOR)
def audit_log() -> Any:
    """The latest actions, newest first, optionally of one account."""
    who = request.args.get("actor", "").strip()[:120] or None
    with reading() as db:
        entries = audit.recent(db, AUDIT_PAGE, actor=who)
    return render_template("console/audit.html", entries=entries, who=who or "")
