"""`contact-center voicemail ...`: recording copies and retention."""

from __future__ import annotations

import click

from contact_center.cli.common import CliState, pass_state
from contact_center.services import copy_policy, recording_store, rest_client, transcriber
from voicemail.recordings import copy_due_recordings, retry_failed
from voicemail.retention import parse_age, purge


@click.group("voicemail")
def voicemail() -> None:
    """Recorded messages: copy them from Twilio, purge them past the retention."""


@voicemail.command("fetch-recordings")
@click.option("--limit", default="100", show_default=True, help="At most this many copies in this run.")
@click.option("--retry-failed", "retry_failed_copies", is_flag=True, help="Also retry the copies that gave up.")
@pass_state
def fetch_command(state: CliState, limit: str, retry_failed_copies: bool) -> None:
    """Copy the due recordings into the recordings store (run it every few minutes: a systemd timer)."""
    if not limit.isdigit() or not 1 <= int(limit) <= 100000:
        raise click.ClickException(f"--limit {limit!r}: indica un numero da 1 a 100000")
    runtime = state.migrated_runtime()
    settings = runtime.settings
    rest = rest_client(settings)
    if not rest.configured:
        raise click.ClickException("configura twilio.account_sid e twilio.auth_token (TWILIO_ACCOUNT_SID, "
                                   "TWILIO_AUTH_TOKEN) per copiare le registrazioni")
    if retry_failed_copies:
        with runtime.sessions.begin() as session:
            retry_failed(session, now=runtime.clock())
    report = copy_due_recordings(runtime.sessions, rest, copy_policy(settings),
                                 transcriber(settings), limit=int(limit), clock=runtime.clock)
    click.echo(f"registrazioni copiate: {len(report.copied)}, da riprovare: {len(report.failed)}, "
               f"non riuscite: {len(report.gave_up)}, cancellate da Twilio: {len(report.deleted)}")


@voicemail.command("purge")
@click.option("--older-than", "age", default=None,
              help="Purge entries older than this (e.g. 90d, 12w, 36h); default: voicemail.retention_days.")
@pass_state
def purge_command(state: CliState, age: str | None) -> None:
    """Delete recordings and personal data of closed entries past the retention; keep the counts."""
    runtime = state.migrated_runtime()
    settings = runtime.settings
    try:
        older_than = parse_age(age if age is not None else f"{settings.voicemail.retention_days}d")
    except ValueError:
        raise click.ClickException(f"--older-than {age!r}: indica un'età come 90d, 12w o 36h") from None
    rest = rest_client(settings)
    report = purge(runtime.sessions, older_than, recording_store(settings), rest if rest.configured else None,
                   now=runtime.clock())
    click.echo(f"richiamate anonimizzate: {report.entries} ({report.messages} messaggi, {report.files} file, "
               f"{report.twilio_deleted} registrazioni cancellate da Twilio)")
    click.echo(f"chiamate del registro senza più il numero del chiamante: {report.calls}")
    if report.kept_for_twilio:
        click.echo(f"rimandate (registrazione ancora su Twilio o nell'archivio): {len(report.kept_for_twilio)}")
    if report.open_past_retention:
        click.echo(f"attenzione: {report.open_past_retention} richiamate ancora aperte oltre il periodo "
                   f"di conservazione: chiudetele")


def register(cli: click.Group) -> None:
    """Add the voicemail commands."""
    cli.add_command(voicemail)
