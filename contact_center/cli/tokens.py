"""`contact-center tokens ...`: bearer tokens for the JSON API."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import click

from access.tokens import SCOPES, TokenError, check_name, check_scopes, create_token, list_tokens, revoke_token
from contact_center.cli.common import CliState, local_time, pass_state


@click.group("tokens")
def tokens() -> None:
    """API tokens for integrators."""


@tokens.command("create")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(list(SCOPES)),
              help="What the token may do (repeatable); default: tickets:read only.")
@pass_state
def create_command(state: CliState, name: str, scopes: tuple[str, ...]) -> None:
    """Create a token named NAME and print it (only its hash is kept: it is shown once)."""
    try:
        check_name(name)
        chosen = check_scopes(scopes)
        runtime = state.migrated_runtime()
        with runtime.sessions.begin() as session:
            _, raw = create_token(session, name, now=runtime.clock(), scopes=chosen)
    except TokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo(raw)
    click.echo(f"token {name!r} creato con i permessi {' '.join(chosen)}: copialo ora, "
               "non potrà più essere mostrato", err=True)


@tokens.command("list")
@pass_state
def list_command(state: CliState) -> None:
    """List the tokens by name (never the tokens themselves)."""
    runtime = state.migrated_runtime()
    zone = ZoneInfo(runtime.settings.line.timezone)
    with runtime.sessions() as session:
        rows = [(token.name, local_time(token.created_at, zone), token.scopes) for token in list_tokens(session)]
    if not rows:
        click.echo("nessun token")
    for name, created, scopes in rows:
        click.echo(f"{name:40}  creato il {created}  permessi {scopes}")


@tokens.command("revoke")
@click.argument("name")
@pass_state
def revoke_command(state: CliState, name: str) -> None:
    """Delete the token named NAME: it stops working at once."""
    runtime = state.migrated_runtime()
    try:
        with runtime.sessions.begin() as session:
            revoke_token(session, name)
    except TokenError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"token {name!r} revocato")


def register(cli: click.Group) -> None:
    """Add the tokens commands."""
    cli.add_command(tokens)
