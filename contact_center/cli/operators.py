"""`contact-center operators ...`: who may sign in to the console, with which role."""

from __future__ import annotations

import json
from collections.abc import Callable
from zoneinfo import ZoneInfo

import click
from sqlalchemy.orm import Session

from access import audit
from access.accounts import (
    AccountError,
    Role,
    add_account,
    is_delayed,
    lift_lock,
    list_accounts,
    parse_role,
    set_active,
    set_password,
    set_phone,
    set_role,
)
from access.vocabulary import describe, role_label
from contact_center.cli.common import CliState, local_time, pass_state
from storage.models import ConsoleAccount

CLI_ACTOR = "cli"
ROLE_CHOICE = click.Choice([role.value for role in Role])


def _prompt_password(state: CliState) -> str:
    minimum = state.settings.console.min_password_length
    return click.prompt(f"Password (almeno {minimum} caratteri)", hide_input=True,
                        confirmation_prompt="Ripeti la password")


@click.group("operators")
def operators() -> None:
    """Console accounts: operators and supervisors."""


@operators.command("add")
@click.argument("name")
@click.option("--role", type=ROLE_CHOICE, required=True, help="operator or supervisor.")
@click.option("--phone", default=None, help="The operator's own phone (E.164), rung first by \"Chiama\".")
@pass_state
def add_command(state: CliState, name: str, role: str, phone: str | None) -> None:
    """Create an account; the password is asked twice and never shown."""
    runtime = state.migrated_runtime()
    password = _prompt_password(state)
    try:
        with runtime.sessions.begin() as session:
            account = add_account(session, name, parse_role(role), password, phone=phone, now=runtime.clock(),
                                  min_password_length=state.settings.console.min_password_length)
            audit.record(session, CLI_ACTOR, "account_add", account.name, f"ruolo {account.role}", at=runtime.clock())
    except AccountError as error:
        raise click.ClickException(describe(error)) from None
    click.echo(f"account {account.name!r} creato ({role_label(account.role)})")


@operators.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@pass_state
def list_command(state: CliState, as_json: bool) -> None:
    """Every account with its role and whether it may sign in."""
    runtime = state.migrated_runtime()
    zone = ZoneInfo(runtime.settings.line.timezone)
    now = runtime.clock()
    with runtime.sessions() as session:
        accounts = list_accounts(session)
        policy = runtime.settings.console.throttle_policy()
        delayed = {a.id: is_delayed(session, a, policy, now) for a in accounts}
        rows = [{"name": a.name, "role": a.role, "active": a.active, "phone": a.phone,
                 "delayed": delayed[a.id],
                 "last_login_at": a.last_login_at.astimezone(zone).isoformat(timespec="seconds")
                 if a.last_login_at else None} for a in accounts]
        lines = [_account_line(account, zone, delayed[account.id]) for account in accounts]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("nessun account: creane uno con `contact-center operators add NOME --role supervisor`")
        return
    for line in lines:
        click.echo(line)


def _account_line(account: ConsoleAccount, zone: ZoneInfo, delayed: bool) -> str:
    """One account as `operators list` prints it, in Italian."""
    state_text = "attivo" if account.active else "disattivato"
    if delayed:
        state_text += ", tentativi falliti (operators unlock)"
    last = local_time(account.last_login_at, zone) if account.last_login_at else "mai"
    return (f"{account.name:30}  {role_label(account.role):12}  {state_text:11}  "
            f"{account.phone or '-':16}  ultimo accesso {last}")


def _change(state: CliState, action: str, change: Callable[[Session], ConsoleAccount], message: str) -> None:
    runtime = state.migrated_runtime()
    try:
        with runtime.sessions.begin() as session:
            account = change(session)
            audit.record(session, CLI_ACTOR, action, account.name, at=runtime.clock())
    except AccountError as error:
        raise click.ClickException(describe(error)) from None
    click.echo(message.format(name=account.name))


@operators.command("disable")
@click.argument("name")
@pass_state
def disable_command(state: CliState, name: str) -> None:
    """Stop an account from signing in; its open sessions end at once."""
    _change(state, "account_disable", lambda session: set_active(session, name, False),
            "account {name!r} disattivato")


@operators.command("enable")
@click.argument("name")
@pass_state
def enable_command(state: CliState, name: str) -> None:
    """Let a disabled account sign in again (and lift any lock)."""
    _change(state, "account_enable", lambda session: set_active(session, name, True),
            "account {name!r} riattivato")


@operators.command("unlock")
@click.argument("name")
@pass_state
def unlock_command(state: CliState, name: str) -> None:
    """Lift the sign-in delays (and any older lock) of an account, from every address."""
    _change(state, "account_unlock", lambda session: lift_lock(session, name), "account {name!r} sbloccato")


@operators.command("password")
@click.argument("name")
@pass_state
def password_command(state: CliState, name: str) -> None:
    """Set a new password (asked twice); the account's sessions end and any lock is lifted."""
    password = _prompt_password(state)
    minimum = state.settings.console.min_password_length
    _change(state, "account_password",
            lambda session: set_password(session, name, password, min_password_length=minimum),
            "password di {name!r} cambiata")


@operators.command("phone")
@click.argument("name")
@click.argument("phone", required=False)
@click.option("--clear", is_flag=True, help="Remove the phone instead of setting one.")
@pass_state
def phone_command(state: CliState, name: str, phone: str | None, clear: bool) -> None:
    """Set the operator's own phone (E.164 or Italian), the one "Chiama" rings first; --clear removes it."""
    if clear == bool(phone):
        raise click.UsageError("indicare un numero di telefono oppure --clear")
    runtime = state.migrated_runtime()
    try:
        with runtime.sessions.begin() as session:
            account = set_phone(session, name, None if clear else phone)
            audit.record(session, CLI_ACTOR, "account_phone", account.name,
                         "telefono impostato" if account.phone else "telefono tolto", at=runtime.clock())
    except AccountError as error:
        raise click.ClickException(describe(error)) from None
    click.echo(f"telefono di {account.name!r}: {account.phone}" if account.phone
               else f"telefono di {account.name!r} tolto")


@operators.command("role")
@click.argument("name")
@click.argument("role", type=ROLE_CHOICE)
@pass_state
def role_command(state: CliState, name: str, role: str) -> None:
    """Make an account an operator or a supervisor."""
    _change(state, "account_role", lambda session: set_role(session, name, parse_role(role)),
            f"{{name!r}} ora è {role_label(parse_role(role))}")


def register(cli: click.Group) -> None:
    """Add the operators commands."""
    cli.add_command(operators)
