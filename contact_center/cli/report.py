"""`contact-center report`: the dossier of a period, as an HTML page and CSV files."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import click

from contact_center.cli.common import CliState, pass_state
from contact_center.schedule import configured_timetable
from figures import formatting
from figures.events import EventError, event_period, find_event
from figures.opening import timetable_with_stored_ranges
from figures.period import Period, PeriodError
from hours import HoursError
from storage.models import EmergencyEvent


def _period(first: str | None, last: str | None, event: EmergencyEvent | None, zone: ZoneInfo) -> Period:
    """The dates given, or else the event's period."""
    if first is not None and last is not None:
        return Period.parse(first, last, zone)
    if event is None:
        raise click.ClickException("give a period (--from and --to) or an event (--event)")
    return event_period(event, zone)


@click.command("report")
@click.option("--from", "first", metavar="DATE", help="First day (YYYY-MM-DD or DD/MM/YYYY).")
@click.option("--to", "last", metavar="DATE", help="Last day, included.")
@click.option("--event", "event_name", metavar="NAME", help="Report on this event (its period by default).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for dossier.html and the CSV files (created if missing).")
@pass_state
def report(state: CliState, first: str | None, last: str | None, event_name: str | None, out_dir: Path) -> None:
    """Write the dossier: figures of the period against the same number of days just before it."""
    from figures.dossier import build_dossier, write_dossier  # matplotlib loads only for this command

    if (first is None) != (last is None):
        raise click.ClickException("give both --from and --to, or neither (with --event)")
    runtime = state.migrated_runtime()
    settings = runtime.settings
    zone = ZoneInfo(settings.line.timezone)
    try:
        with runtime.sessions() as session:
            timetable = timetable_with_stored_ranges(configured_timetable(settings), session)
            event = find_event(session, event_name) if event_name else None
            period = _period(first, last, event, zone)
            dossier = build_dossier(session, period, timetable, event, now=runtime.clock())
        written = write_dossier(dossier, out_dir)
    except (PeriodError, EventError, HoursError) as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"cannot write to {out_dir}: {error.strerror}") from None
    current = dossier.comparison.current
    click.echo(f"dossier {formatting.day_span(period.first_day, period.last_day)}: "
               f"{current.calls.total} chiamate, {current.tickets.total} richieste, "
               f"{current.callbacks.total} richieste di richiamata")
    for path in written:
        click.echo(f"  {path}")


def register(cli: click.Group) -> None:
    """Add the report command."""
    cli.add_command(report)
