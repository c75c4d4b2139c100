"""`contact-center hours ...`: crisis extensions and closures, and the state of the line at an instant.

Dates and times are ISO 8601 in the line's local time (2026-11-28T08:00); one with an offset
(2026-11-28T08:00+01:00 or ...Z) is taken as written. During the autumn change the repeated
hour means its first pass; an hour skipped by the spring change is refused. Every change counts
from the very next call of every worker process (see `contact_center.schedule`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import click

from contact_center.cli.common import CliState, pass_state
from contact_center.runtime import Runtime
from contact_center.schedule import sentences_at, speech_templates
from hours import Band, HoursError
from hours.clock import to_utc
from hours.vocabulary import label
from storage.hours_repository import ScheduleEntry, add_closure, add_extension, cancel_entry, list_entries

EXAMPLE_INSTANT = "2026-11-28T08:00"
BY_OPTION = click.option("--by", "author", default=lambda: os.environ.get("USER") or "cli",
                         show_default="$USER", help="Who makes the change (kept with it).")
FROM_OPTION = click.option("--from", "starts_text", required=True, metavar="ISO-DATETIME",
                           help=f"Start, in the line's local time (e.g. {EXAMPLE_INSTANT}).")
TO_OPTION = click.option("--to", "ends_text", required=True, metavar="ISO-DATETIME",
                         help="End (excluded), in the line's local time (e.g. 2026-12-06T20:00).")


def local_instant(text: str, option: str, zone: ZoneInfo) -> datetime:
    """The instant written in ISO 8601, local to `zone` unless it has an offset; a one-line error otherwise."""
    try:
        written = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.ClickException(
            f"{option} {text!r} is not a date and time: write it like {EXAMPLE_INSTANT}") from None
    if written.tzinfo is not None:
        return to_utc(written)
    instant = to_utc(written.replace(tzinfo=zone, fold=0))
    if instant.astimezone(zone).replace(tzinfo=None) != written:
        raise click.ClickException(
            f"{option} {text!r} does not exist in {zone.key}: the clocks skip that hour (daylight saving)")
    return instant


def shown(moment: datetime, zone: ZoneInfo) -> str:
    """A local date and time for the terminal: "2026-11-28 08:00 CET"."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def _range(runtime: Runtime, starts_text: str, ends_text: str) -> tuple[datetime, datetime, ZoneInfo]:
    """The checked [start, end) of a command: the end after the start and not yet past."""
    zone = ZoneInfo(runtime.settings.line.timezone)
    starts_at = local_instant(starts_text, "--from", zone)
    ends_at = local_instant(ends_text, "--to", zone)
    if ends_at <= starts_at:
        raise click.ClickException(f"--to {ends_text} must come after --from {starts_text}")
    if ends_at <= runtime.clock():
        raise click.ClickException(f"--to {ends_text} is already past: the range would change nothing")
    return starts_at, ends_at, zone


def _bands(daily: Sequence[str], all_day: bool) -> tuple[Band, ...] | None:
    """The daily bands of --daily, or None for --all-day; exactly one of the two must be given."""
    if all_day == bool(daily):
        raise click.ClickException("give either --daily HH:MM-HH:MM (once per band) or --all-day")
    if all_day:
        return None
    try:
        bands = sorted(Band.parse(text) for text in daily)
    except HoursError as error:
        raise click.ClickException(f"--daily: {error}") from None
    for earlier, later in pairwise(bands):
        if later.start < earlier.end:
            raise click.ClickException(f"--daily: the bands {earlier} and {later} overlap")
    return tuple(bands)


@click.group("hours")
def hours_group() -> None:
    """Opening hours: crisis extensions, closures, the state of the line."""


@hours_group.command("extend")
@FROM_OPTION
@TO_OPTION
@click.option("--daily", multiple=True, metavar="HH:MM-HH:MM",
              help="Open during this band on each day of the range; repeat for several bands.")
@click.option("--all-day", is_flag=True, help="Open 24 hours a day during the range.")
@click.option("--announcement", metavar="TEXT", help="Said to every caller after the greeting during the range.")
@BY_OPTION
@pass_state
def extend_command(state: CliState, starts_text: str, ends_text: str, daily: tuple[str, ...], all_day: bool,
                   announcement: str | None, author: str) -> None:
    """Open the line beyond its weekly hours (holidays and weekends too) from --from to --to."""
    bands = _bands(daily, all_day)
    runtime = state.migrated_runtime()
    starts_at, ends_at, zone = _range(runtime, starts_text, ends_text)
    try:
        with runtime.sessions.begin() as session:
            extension = add_extension(session, starts_at, ends_at, bands, announcement, author, now=runtime.clock())
    except HoursError as error:
        raise click.ClickException(str(error)) from None
    announcement = f"; avviso: {extension.announcement}" if extension.announcement else ""
    click.echo(f"{label('kind', 'extension')} {extension.id}: dal {shown(starts_at, zone)} al {shown(ends_at, zone)}, "
               f"{_bands_text(extension.bands)}{announcement}")


@hours_group.command("close")
@FROM_OPTION
@TO_OPTION
@click.option("--reason", metavar="TEXT", help='Said to callers, e.g. "manutenzione straordinaria".')
@BY_OPTION
@pass_state
def close_command(state: CliState, starts_text: str, ends_text: str, reason: str | None, author: str) -> None:
    """Close the line from --from to --to, whatever the hours and extensions say."""
    runtime = state.migrated_runtime()
    starts_at, ends_at, zone = _range(runtime, starts_text, ends_text)
    try:
        with runtime.sessions.begin() as session:
            closure = add_closure(session, starts_at, ends_at, reason, author, now=runtime.clock())
    except HoursError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{label('kind', 'closure')} {closure.id}: dal {shown(starts_at, zone)} al {shown(ends_at, zone)}"
               + (f"; motivo: {closure.reason}" if closure.reason else ""))


@hours_group.command("list")
@click.option("--all", "everything", is_flag=True, help="Also past and cancelled entries.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@pass_state
def list_command(state: CliState, everything: bool, as_json: bool) -> None:
    """List the active and upcoming extensions and closures, by start."""
    runtime = state.migrated_runtime()
    zone = ZoneInfo(runtime.settings.line.timezone)
    now = runtime.clock()
    with runtime.sessions() as session:
        entries = list_entries(session, ending_after=None if everything else now, include_cancelled=everything)
    if as_json:
        click.echo(json.dumps([_entry_json(entry, now, zone) for entry in entries], ensure_ascii=False, indent=2))
        return
    if not entries:
        click.echo("nessuna apertura straordinaria o chiusura" + ("" if everything else " in corso o prevista"))
        return
    click.echo(f"{'ID':>6}  {'TIPO':22}  {'DAL':20}  {'AL':20}  {'ORARIO':24}  {'STATO':9}  TESTO")
    for entry in entries:
        click.echo(f"{entry.id:>6}  {label('kind', entry.kind):22}  {shown(entry.starts_at, zone):20}  "
                   f"{shown(entry.ends_at, zone):20}  {_hours_text(entry):24}  "
                   f"{label('status', entry.status_at(now)):9}  {entry.text or '-'}")


@hours_group.command("cancel")
@click.argument("entry_id", metavar="ID")
@BY_OPTION
@pass_state
def cancel_command(state: CliState, entry_id: str, author: str) -> None:
    """Cancel the extension or closure ID (E12, C3: see `hours list`)."""
    runtime = state.migrated_runtime()
    try:
        with runtime.sessions.begin() as session:
            entry, cancelled = cancel_entry(session, entry_id, author, now=runtime.clock())
    except HoursError as error:
        raise click.ClickException(str(error)) from None
    zone = ZoneInfo(runtime.settings.line.timezone)
    kind = label("kind", entry.kind)
    if not cancelled:
        click.echo(f"{kind} {entry.id} già {label('status', 'cancelled')}")
        return
    click.echo(f"{kind} {entry.id} {label('status', 'cancelled')} "
               f"(dal {shown(entry.starts_at, zone)} al {shown(entry.ends_at, zone)})")


@hours_group.command("show")
@click.option("--at", "at_text", metavar="ISO-DATETIME", help="The instant to describe (default: now).")
@pass_state
def show_command(state: CliState, at_text: str | None) -> None:
    """The line's state at an instant, why, the next change, and what callers hear (in Italian)."""
    runtime = state.migrated_runtime()
    zone = ZoneInfo(runtime.settings.line.timezone)
    at = local_instant(at_text, "--at", zone) if at_text else runtime.clock()
    timetable = runtime.schedule.current(at)
    line_state = timetable.state_at(at)
    next_change = timetable.next_change(at)
    sentences = sentences_at(timetable, line_state, at, speech_templates(runtime.prompts))
    rows = [
        ("momento", shown(at, zone)),
        ("stato", f"{'aperto' if line_state.is_open else 'chiuso'} ({label('reason', line_state.reason)})"),
        ("prossimo cambio", "nessuno nei prossimi 400 giorni" if next_change is None else
         f"{shown(next_change, zone)} ({'chiude' if line_state.is_open else 'apre'})"),
        *(("avviso", text) for text in timetable.active_announcements(at)),
        ("detto ai chiamanti", " ".join(filter(None, (sentences.state, sentences.reopening, sentences.schedule)))),
    ]
    for name, value in rows:
        click.echo(f"{name + ':':20}{value}")


def _bands_text(bands: Sequence[Band] | None) -> str:
    """An extension's hours: "tutto il giorno" or "ogni giorno 08:00-20:00, 21:00-23:00"."""
    if bands is None:
        return label("bands", "all_day")
    return label("bands", "daily").format(bands=", ".join(str(band) for band in bands))


def _hours_text(entry: ScheduleEntry) -> str:
    """The hours column of a listing: the bands, all day, or closed."""
    if entry.kind == "closure":
        return label("bands", "closed")
    return label("bands", "all_day") if entry.bands is None else ", ".join(str(band) for band in entry.bands)


def _entry_json(entry: ScheduleEntry, now: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """An entry for `hours list --json`, with local ISO 8601 times."""
    return {
        "id": entry.id,
        "kind": entry.kind,
        "starts_at": entry.starts_at.astimezone(zone).isoformat(),
        "ends_at": entry.ends_at.astimezone(zone).isoformat(),
        "all_day": entry.kind == "extension" and entry.bands is None,
        "bands": None if entry.bands is None else [str(band) for band in entry.bands],
        "text": entry.text,
        "status": entry.status_at(now),
        "created_by": entry.created_by,
        "created_at": entry.created_at.astimezone(zone).isoformat(timespec="seconds"),
        "cancelled_at": None if entry.cancelled_at is None else entry.cancelled_at.astimezone(zone).isoformat(
            timespec="seconds"),
    }


def register(cli: click.Group) -> None:
    """Add the hours commands."""
    cli.add_command(hours_group)
