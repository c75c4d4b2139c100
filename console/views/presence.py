"""Presence: each operator sets their own; supervisors see everyone's state and for how long."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from access.accounts import Role
from agents.presence import MANUAL_STATES, parse_manual_state
from agents.roster import RosterError, find_agent, list_agents, set_presence
from console.formatting import LABELS
from console.security import log_action, requires, safe_next, transaction
from console.web import blueprint
from contact_center.runtime import current_runtime


@blueprint.get("/presence")
@requires(Role.OPERATOR)
def presence() -> Any:
    """This operator's presence and the states they may choose."""
    rt = current_runtime()
    now = rt.clock()
    with transaction() as db:
        agents = {agent.name: agent for agent in list_agents(db, rt.settings.routing.presence_policy(), now)}
    return render_template("console/presence.html", me=agents.get(g.account.name), states=MANUAL_STATES, now=now)


@blueprint.post("/presence")
@requires(Role.OPERATOR)
def presence_set() -> Any:
    """Set this operator's own presence (available, away, offline), then back to the page it was set from."""
    back = safe_next(request.form["next"]) if request.form.get("next") else url_for("console.presence")
    try:
        state = parse_manual_state(request.form.get("state", ""))
    except ValueError:
        flash("Stato non valido.", "error")
        return redirect(back)
    with transaction() as db:
        on_roster = find_agent(db, g.account.name) is not None
        try:
            rt = current_runtime()
            changed = on_roster and set_presence(db, g.account.name, state,
                                                 rt.settings.routing.presence_policy(), rt.clock())
        except RosterError:
            changed = None
        if changed:
            log_action(db, "presence", g.account.name, state.value)
    if not on_roster:
        flash("Non sei nell'elenco degli operatori che ricevono chiamate: chiedi a un supervisore.", "error")
    elif changed is None:
        flash("Stato non cambiato: sei in una chiamata, potrai cambiarlo al termine.", "error")
    else:
        flash(f"Il tuo stato è ora: {LABELS['presence'][state.value]}.", "success")
    return redirect(back)


@blueprint.get("/presence/board")
@requires(Role.SUPERVISOR)
def presence_board() -> Any:
    """Every operator on the roster, their state and for how long."""
    now = current_runtime().clock()
    with transaction() as db:
        agents = list_agents(db, current_runtime().settings.routing.presence_policy(), now)
    return render_template("console/presence_board.html", agents=agents, now=now)
