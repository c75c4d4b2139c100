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
    hours = "all day" if extension.bands is None else "daily " + ", ".join(str(band) for band in extension.bands)
    click.echo(f"extension {extension.id}: {shown(starts_at, zone)} to {shown(ends_at, zone)}, {hours}"
               + (f"; announcement: {extension.announcement}" if extension.announcement else ""))


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
    click.echo(f"closure {closure.id}: {shown(starts_at, zone)} to {shown(ends_at, zone)}"
               + (f"; reason: {closure.reason}" if closure.reason else ""))


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
        click.echo("no extensions or closures" + ("" if everything else " active or upcoming"))
        return
    click.echo(f"{'ID':>6}  {'KIND':9}  {'FROM':20}  {'TO':20}  {'HOURS':24}  {'STATUS':9}  TEXT")
    for entry in entries:
        click.echo(f"{entry.id:>6}  {entry.kind:9}  {shown(entry.starts_at, zone):20}  "
                   f"{shown(entry.ends_at, zone):20}  {_hours_text(entry):24}  {entry.status_at(now):9}  "
                   f"{entry.text or '-'}")


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
    if not cancelled:
        click.echo(f"{entry.kind} {entry.id} was already cancelled")
        return
    click.echo(f"cancelled {entry.kind} {entry.id} ({shown(entry.starts_at, zone)} to {shown(entry.ends_at, zone)})")


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
        ("at", shown(at, zone)),
        ("state", f"{'open' if line_state.is_open else 'closed'} ({line_state.reason})"),
        ("next change", "none within the next 400 days" if next_change is None else
         f"{shown(next_change, zone)} ({'closes' if line_state.is_open else 'opens'})"),
        *(("announcement", text) for text in timetable.active_announcements(at)),
        ("callers hear", " ".join(filter(None, (sentences.state, sentences.reopening, sentences.schedule)))),
    ]
    for label, value in rows:
        click.echo(f"{label + ':':14}{value}")


def _hours_text(entry: ScheduleEntry) -> str:
    """The hours column of a listing: bands, all day, or "closed"."""
    if entry.kind == "closure":
        return "closed"
    return "all day" if entry.bands is None else ", ".join(str(band) for band in entry.bands)


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
