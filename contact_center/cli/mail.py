"""`contact-center mail ...`: the outbox by hand: send what is due, list, retry failed mails."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import click

from contact_center.cli.common import CliState, local_time, pass_state
from contact_center.outgoing_mail import deliver_now
from mail.outbox import FAILED, STATUSES, backlog, listing, retry_failed
from written.texts import labels


@click.group("mail")
def mail() -> None:
    """Outgoing e-mail: the outbox and its SMTP server."""


@mail.command("send")
@pass_state
def send_command(state: CliState) -> None:
    """Send every mail that is due now (what each service process's sender thread does by itself)."""
    runtime = state.migrated_runtime()
    if runtime.settings.mail.endpoint is None:
        raise click.ClickException("nessun server SMTP configurato (mail.smtp_url o SMTP_URL)")
    report = deliver_now(runtime)
    click.echo(f"{report.sent} inviate, {report.retried} rimandate, {report.failed} non recapitate")
    for reason in dict.fromkeys(report.errors):
        click.echo(f"  {reason}", err=True)
    with runtime.sessions() as session:
        left = backlog(session)
    click.echo(f"in coda: {left.waiting}, non recapitate in tutto: {left.failed}")


@mail.command("list")
@click.option("--status", type=click.Choice([*STATUSES, "all"]), default="all", show_default=True)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON array (the stored values) instead of lines.")
@pass_state
def list_command(state: CliState, status: str, limit: int, as_json: bool) -> None:
    """The latest mails, newest first, with their status and last error."""
    runtime = state.migrated_runtime()
    zone = ZoneInfo(runtime.settings.line.timezone)
    with runtime.sessions() as session:
        mails = listing(session, None if status == "all" else status, limit)
    if as_json:
        click.echo(json.dumps([{"id": item.id, "kind": item.kind, "status": item.status, "recipient": item.recipient,
                                "subject": item.subject, "attempts": item.attempts, "last_error": item.last_error,
                                "created_at": item.created_at.astimezone(zone).isoformat(timespec="seconds")}
                               for item in mails], ensure_ascii=False, indent=2))
        return
    kinds, statuses = labels("mail_kind"), labels("mail_status")
    if not mails:
        click.echo("nessuna e-mail")
    for item in mails:
        error = f" ({item.last_error})" if item.last_error and item.status != "sent" else ""
        click.echo(f"{item.id:>6}  {local_time(item.created_at, zone)}  {statuses[item.status]:18}  "
                   f"{kinds[item.kind]:22}  {item.subject}{error}")


@mail.command("retry")
@click.argument("mail_ids", type=int, nargs=-1)
@click.option("--all-failed", is_flag=True, help="Every failed mail.")
@pass_state
def retry_command(state: CliState, mail_ids: tuple[int, ...], all_failed: bool) -> None:
    """Put failed mails back in the queue (by id, or --all-failed)."""
    if not mail_ids and not all_failed:
        raise click.UsageError("indica gli id delle e-mail oppure --all-failed")
    runtime = state.migrated_runtime()
    with runtime.sessions.begin() as session:
        ids = list(mail_ids) or [item.id for item in listing(session, FAILED, 10_000)]
        done = sum(retry_failed(session, mail_id, now=runtime.clock()) for mail_id in ids)
    click.echo(f"{done} e-mail di nuovo in coda")


def register(cli: click.Group) -> None:
    """Add the mail commands."""
    cli.add_command(mail)
