"""`contact-center privacy ...`: what the service holds on a citizen, its export and its erasure; retention."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from contact_center.cli.common import CliState, pass_state
from contact_center.runtime import Runtime
from contact_center.services import recording_store, rest_client
from privacy.erasure import ErasureIncomplete
from privacy.holdings import Holdings
from privacy.requests import Place, erase_for, export_for, find_for
from privacy.retention import RetentionReport, apply_retention, record_run
from privacy.subjects import Subject, SubjectError, subject

KIND_LABELS = {
    "recordings": "richiamate chiuse senza più registrazioni e numeri",
    "callback_numbers": "richiamate chiuse senza più il numero",
    "ticket_contacts": "richieste chiuse senza più telefono, e-mail e nome",
    "ticket_summaries": "richieste chiuse senza più testo, note e risposte",
    "call_log_numbers": "chiamate del registro senza più il numero del chiamante",
    "audit_addresses": "righe del registro delle azioni senza più l'indirizzo di rete",
    "outbox_mails": "e-mail inviate o non riuscite senza più destinatario e testo",
}
TABLE_LABELS = {
    "tickets": "richieste", "ticket_status_changes": "passaggi di stato", "written_submissions": "moduli scritti",
    "ticket_replies": "risposte", "mail_outbox": "e-mail", "callback_requests": "richiamate",
    "callback_messages": "messaggi", "callback_attempts": "tentativi di richiamata", "calls": "chiamate",
    "console_audit_log": "righe del registro delle azioni",
}


def cli_actor() -> str:
    """The audit log's actor: the command line, and the system user who ran it."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _subject(runtime: Runtime, phone: str | None, email: str | None) -> Subject:
    if not phone and not email:
        raise click.ClickException("indica --phone NUMERO oppure --email INDIRIZZO")
    try:
        return subject(phone, email)
    except SubjectError as error:
        raise click.ClickException(f"non è un numero o un indirizzo valido: {error}") from None


def place(runtime: Runtime) -> Place:
    """Where the data lives, as configured."""
    settings = runtime.settings
    rest = rest_client(settings)
    return Place(runtime.sessions, runtime.engine, runtime.journal, recording_store(settings),
                 rest if rest.configured else None, runtime.secret_key)


def subject_options(command: click.Command) -> click.Command:
    """--phone and --email, shared by the subject requests."""
    command = click.option("--email", default=None, help="The citizen's e-mail address.")(command)
    return click.option("--phone", default=None,
                        help="The citizen's number, in any form (333 1234567, +39 333..., 0039...).")(command)


@click.group("privacy")
def privacy() -> None:
    """Citizens' data: find it, export it, erase it (GDPR art. 15 and 17); retention of every kind."""


def echo_holdings(held: Holdings) -> None:
    """What was found, table by table, one line per record."""
    if held.empty:
        click.echo("nessun dato trovato")
        return
    for table, rows in held.rows.items():
        if not rows:
            continue
        click.echo(f"{TABLE_LABELS.get(table, table)} ({table}): {len(rows)}")
        for row in rows:
            shown = {key: value for key, value in row.items() if value not in (None, "")}
            click.echo("  " + ", ".join(f"{key}={value}" for key, value in shown.items()))
    click.echo(f"registrazioni nell'archivio: {len(held.recordings)}"
               + (f" ({', '.join(held.recordings)})" if held.recordings else ""))
    if held.mentions:
        click.echo(f"citato nel testo di altri record: {len(held.mentions)} ("
                   + ", ".join(f"{table}.{column} {row_id}" for table, column, row_id in held.mentions) + ")")
    if held.twilio_recordings:
        click.echo(f"registrazioni ancora su Twilio: {len(held.twilio_recordings)}")
    click.echo(f"ricerche di codici fallite (conservate come impronta del numero): {held.lookup_failures}")
    click.echo(f"contatori dell'invio di codici per e-mail (impronta dell'indirizzo): {held.mail_counters}")
    click.echo(f"scritture in attesa nel giornale: {held.journal_lines}")


@privacy.command("find")
@subject_options
@pass_state
def find_command(state: CliState, phone: str | None, email: str | None) -> None:
    """List everything the service holds on a number or an address (audited)."""
    runtime = state.migrated_runtime()
    held = find_for(place(runtime), _subject(runtime, phone, email), actor=cli_actor(), now=runtime.clock())
    echo_holdings(held)


@privacy.command("export")
@subject_options
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="A .zip archive, or a folder: dati.json and the recordings.")
@pass_state
def export_command(state: CliState, phone: str | None, email: str | None, out: Path) -> None:
    """Write the citizen's data (JSON) and recordings for them (audited)."""
    runtime = state.migrated_runtime()
    if out.exists() and (out.is_file() or any(out.iterdir())):
        raise click.ClickException(f"{out} esiste già: indica un file .zip o una cartella nuovi")
    held = export_for(place(runtime), _subject(runtime, phone, email), out, actor=cli_actor(), now=runtime.clock())
    click.echo(f"esportati in {out}: {sum(len(rows) for rows in held.rows.values())} righe, "
               f"{len(held.recordings)} registrazioni")


@privacy.command("erase")
@subject_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def erase_command(state: CliState, phone: str | None, email: str | None, yes: bool) -> None:
    """Remove or anonymise the citizen's data everywhere, keeping anonymous counts (audited)."""
    runtime = state.migrated_runtime()
    who = _subject(runtime, phone, email)
    if not yes:
        click.confirm("Cancellare per sempre i dati di questa persona (registrazioni comprese)?", abort=True)
    try:
        report = erase_for(place(runtime), who, actor=cli_actor(), now=runtime.clock())
    except ErasureIncomplete as error:
        raise click.ClickException(f"nulla è stato cancellato, riprova: {error}") from None
    for table, count in report.rows.items():
        click.echo(f"{TABLE_LABELS.get(table, table)} ({table}): {count}")
    click.echo(f"registrazioni cancellate dall'archivio: {report.files}, da Twilio: {report.twilio_deleted}")
    click.echo(f"righe tolte dal giornale: {report.journal_lines}")


def echo_retention(report: RetentionReport) -> None:
    """The counts of a retention run, kind by kind."""
    verb = "andrebbero" if report.dry_run else "tolti"
    click.echo("prova (nulla è cambiato):" if report.dry_run else "conservazione applicata:")
    for kind, count in report.counts.items():
        click.echo(f"  {kind}: {count} ({KIND_LABELS[kind]})")
    click.echo(f"  file di registrazione {verb}: {report.files}"
               + ("" if report.dry_run else f", cancellate da Twilio: {report.twilio_deleted}"))
    if report.kept_for_twilio:
        click.echo(f"rimandate (registrazione ancora su Twilio o nell'archivio): {report.kept_for_twilio}")
    if report.open_past_retention:
        click.echo(f"attenzione: {report.open_past_retention} richiamate ancora aperte oltre il periodo "
                   f"di conservazione: chiudetele")


@privacy.command("purge")
@click.option("--dry-run", is_flag=True, help="Only say what would go.")
@pass_state
def purge_command(state: CliState, dry_run: bool) -> None:
    """Apply the retention of every kind (the same as `voicemail purge`)."""
    runtime = state.migrated_runtime()
    settings = runtime.settings
    rest = rest_client(settings)
    policy = settings.privacy.retention_days.policy(settings.voicemail.retention_days)
    report = apply_retention(runtime.sessions, policy, recording_store(settings), rest if rest.configured else None,
                             runtime.clock(), dry_run=dry_run)
    record_run(runtime.sessions, report, cli_actor(), runtime.clock())
    echo_retention(report)


def register(cli: click.Group) -> None:
    """Add the privacy commands."""
    cli.add_command(privacy)
