"""`contact-center db ...`: schema migrations and the journal."""

from __future__ import annotations

import click

from contact_center.cli.common import CliState, pass_state
from storage.migrate import current_revisions, head_revisions, upgrade


@click.group("db")
def db() -> None:
    """Database schema and journal."""


@db.command("upgrade")
@pass_state
def upgrade_command(state: CliState) -> None:
    """Apply every pending migration."""
    upgrade(state.runtime.engine)
    click.echo(f"database alla revisione {', '.join(sorted(current_revisions(state.runtime.engine)))}")


@db.command("current")
@pass_state
def current_command(state: CliState) -> None:
    """Show the schema revision of the database and of the code."""
    current = ", ".join(sorted(current_revisions(state.runtime.engine))) or "vuoto"
    click.echo(f"database: {current}\ncodice:   {', '.join(sorted(head_revisions()))}")


@db.command("replay-journal")
@pass_state
def replay_command(state: CliState) -> None:
    """Write the journaled entries (kept while the database was down) to the database."""
    replayed = state.migrated_runtime().writer.replay_backlog()
    click.echo(f"scritture del giornale riportate nel database: {replayed}")


def register(cli: click.Group) -> None:
    """Add the db commands."""
    cli.add_command(db)
