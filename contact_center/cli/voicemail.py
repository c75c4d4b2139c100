"""`contact-center voicemail ...`: recording copies and retention."""

from __future__ import annotations

import click

from contact_center.cli.common import CliState, pass_state
from contact_center.cli.privacy import cli_actor, echo_retention
from contact_center.services import copy_policy, recording_store, rest_client, transcriber
from privacy.retention import apply_retention, record_run
from voicemail.recordings import copy_due_recordings, retry_failed
from voicemail.retention import parse_age


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
@click.option("--dry-run", is_flag=True, help="Only say what would go, kind by kind; change nothing.")
@pass_state
def purge_command(state: CliState, age: str | None, dry_run: bool) -> None:
    """Delete recordings and personal data past the retention of each kind (privacy.retention_days); keep the counts."""
    runtime = state.migrated_runtime()
    settings = runtime.settings
    try:
        older_than = parse_age(age if age is not None else f"{settings.voicemail.retention_days}d")
    except ValueError:
        raise click.ClickException(f"--older-than {age!r}: indica un'età come 90d, 12w o 36h") from None
    rest = rest_client(settings)
    policy = settings.privacy.retention_days.policy(settings.voicemail.retention_days)
    report = apply_retention(runtime.sessions, policy, recording_store(settings), rest if rest.configured else None,
                             runtime.clock(), dry_run=dry_run, recordings_age=older_than)
    record_run(runtime.sessions, report, cli_actor(), runtime.clock())
    if not dry_run:
        click.echo(f"richiamate anonimizzate: {report.counts['recordings']} ({report.messages} messaggi, "
                   f"{report.files} file, {report.twilio_deleted} registrazioni cancellate da Twilio)")
        click.echo(f"chiamate del registro senza più il numero del chiamante: {report.counts['call_log_numbers']}")
    echo_retention(report)


def register(cli: click.Group) -> None:
    """Add the voicemail commands."""
    cli.add_command(voicemail)
