"""`contact-center events ...`: the emergency events the dossier reports on."""

from __future__ import annotations

import getpass
from zoneinfo import ZoneInfo

import click

from contact_center.cli.common import CliState, pass_state
from figures import formatting
from figures.events import EventError, add_event, event_period, list_events, remove_event
from figures.period import Period, PeriodError


def _days(count: int) -> str:
    """'1 giorno', '28 giorni'."""
    return f"{count} giorno" if count == 1 else f"{count} giorni"


def _default_author() -> str:
    """The login name of whoever runs the command."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "-"


@click.group("events")
def events() -> None:
    """Emergency events (name and period) for the dossier."""


@events.command("add")
@click.argument("name")
@click.option("--from", "first", required=True, metavar="DATE", help="First day (YYYY-MM-DD or DD/MM/YYYY).")
@click.option("--to", "last", required=True, metavar="DATE", help="Last day, included.")
@click.option("--description", default="", help="A short description of the event.")
@click.option("--by", "created_by", default=_default_author, show_default="login name",
              help="Who names the event.")
@pass_state
def add_command(state: CliState, name: str, first: str, last: str, description: str, created_by: str) -> None:
    """Name an emergency event over whole local days."""
    runtime = state.migrated_runtime()
    zone = ZoneInfo(runtime.settings.line.timezone)
    try:
        period = Period.parse(first, last, zone)
        with runtime.sessions.begin() as session:
            event = add_event(session, name, period, created_by, description)
            event_name = event.name
    except (PeriodError, EventError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"evento {event_name!r} aggiunto: {formatting.day_span(period.first_day, period.last_day)} "
               f"({_days(period.day_count)})")


@events.command("list")
@pass_state
def list_command(state: CliState) -> None:
    """List the events, earliest first."""
    runtime = state.migrated_runtime()
    zone = ZoneInfo(runtime.settings.line.timezone)
    with runtime.sessions() as session:
        rows = [(event.name, event_period(event, zone), event.description) for event in list_events(session)]
    if not rows:
        click.echo("nessun evento")
        return
    click.echo(f"{'DAL':10}  {'AL':10}  {'GIORNI':>6}  NOME")
    for name, period, description in rows:
        suffix = f" - {description}" if description else ""
        click.echo(f"{formatting.day(period.first_day)}  {formatting.day(period.last_day)}  "
                   f"{period.day_count:>6}  {name}{suffix}")


@events.command("remove")
@click.argument("name")
@pass_state
def remove_command(state: CliState, name: str) -> None:
    """Forget an event (the calls and requests of its period stay)."""
    runtime = state.migrated_runtime()
    try:
        with runtime.sessions.begin() as session:
            remove_event(session, name)
    except EventError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"evento {' '.join(name.split())!r} eliminato")


def register(cli: click.Group) -> None:
    """Add the events commands."""
    cli.add_command(events)
