"""`contact-center callbacks ...`: the callback list from the terminal."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import click

from ivr.cli.common import CliState, pass_state
from storage.models import CallbackRequest
from voicemail.callbacks import STATUSES, list_callback_requests


def _as_dict(entry: CallbackRequest, zone: ZoneInfo) -> dict[str, object]:
    return {
        "id": entry.id,
        "callback_number": entry.callback_number,
        "number_source": entry.number_source,
        "reason": entry.reason,
        "status": entry.status,
        "message": entry.message_status,
        "recording_sid": entry.recording_sid,
        "recording_url": entry.recording_url,
        "recording_duration": entry.recording_duration,
        "created_at": entry.created_at.astimezone(zone).isoformat(timespec="seconds"),
        "call_sid": entry.call_sid,
    }


@click.group("callbacks")
def callbacks() -> None:
    """The callback list."""


@callbacks.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only entries in this status.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@click.option("--limit", type=click.IntRange(1, 10000), default=200, show_default=True)
@pass_state
def list_command(state: CliState, status: str | None, as_json: bool, limit: int) -> None:
    """List entries in work order."""
    runtime = state.migrated_runtime()
    zone = ZoneInfo(runtime.settings.line.timezone)
    with runtime.sessions() as session:
        rows = [_as_dict(entry, zone) for entry in list_callback_requests(session, status, limit)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("no callback entries")
        return
    click.echo(f"{'ID':>5}  {'CREATED':19}  {'NUMBER':16}  {'REASON':10}  {'STATUS':8}  {'MESSAGE':10}  RECORDING")
    for row in rows:
        recording = f"{row['recording_sid']} ({row['recording_duration']} s)" if row["recording_sid"] else "-"
        click.echo(f"{row['id']:>5}  {str(row['created_at'])[:19]:19}  {row['callback_number'] or '-':16}  "
                   f"{row['reason']:10}  {row['status']:8}  {row['message']:10}  {recording}")


def register(cli: click.Group) -> None:
    """Add the callbacks commands."""
    cli.add_command(callbacks)
