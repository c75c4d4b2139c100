"""`contact-center callbacks ...`: the operators' callback list, in Italian.

Bad input (an unknown status or outcome, an ID that is not a number, no operator) is one
clear line and a non-zero exit status; the arguments are checked here rather than by click's
usage errors, which print several lines.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import click

from contact_center.cli.common import CliState, local_time, pass_state
from contact_center.runtime import Runtime
from contact_center.services import callback_policy
from tickets.status import TicketStatus, Topic, parse_status
from tickets.vocabulary import label as ticket_label
from voicemail.errors import CallbackError
from voicemail.listing import VIEWS, EntryView, entry_details, list_entries
from voicemail.queue import OUTCOMES, claim_next, record_outcome
from voicemail.vocabulary import describe, label

OUTCOME_WORDS = tuple(outcome.replace("_", "-") for outcome in OUTCOMES)
OPERATOR_ENV = "CONTACT_CENTER_OPERATOR"


def _number(number: str | None) -> str:
    return number or label("source", "none")


def _topic(topic: str | None) -> str:
    """The Italian name of the entry's topic ('-' for none; an unknown key as it is)."""
    if topic is None:
        return "-"
    try:
        return ticket_label(Topic(topic))
    except ValueError:
        return topic


def _recording(entry: EntryView) -> str:
    if entry.recorded_seconds:
        return f"{entry.recorded_seconds} s"
    return label("message", "no_message")


def _entry_id(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise click.ClickException(f"{raw!r} non è il numero di una richiamata")
    return int(raw)


def _required_operator(raw: str | None) -> str:
    name = (raw or "").strip()
    if not name:
        raise click.ClickException(f"indica l'operatore con --operator NOME (oppure {OPERATOR_ENV})")
    return name


def _ticket_status(raw: str | None) -> TicketStatus | None:
    if raw is None:
        return None
    try:
        return parse_status(raw)
    except ValueError:
        valid = ", ".join(status.value.replace("_", "-") for status in TicketStatus)
        raise click.ClickException(f"stato della richiesta sconosciuto {raw!r}: usa {valid}") from None


def _print_table(entries: list[EntryView], zone: ZoneInfo, now: datetime) -> None:
    if not entries:
        click.echo("nessuna richiamata")
        return
    click.echo(f"{'ID':>6}  {'CREATA':16}  {'NUMERO':16}  {'MOTIVO':20}  {'CODICE':8}  {'MSG':>3}  "
               f"{'REGISTRAZIONE':16}  {'STATO':17}  {'TENT.':>5}  {'PROSSIMO':16}  OPERATORE")
    for entry in entries:
        status = label("status", entry.status) + (" *" if entry.is_due(now) else "")
        click.echo(
            f"{entry.id:>6}  {local_time(entry.created_at, zone):16}  {_number(entry.callback_number):16}  "
            f"{label('reason', entry.reason):20}  {entry.ticket_code or '-':8}  {entry.message_count:>3}  "
            f"{_recording(entry):16}  {status:17}  {entry.attempt_count:>5}  "
            f"{local_time(entry.next_attempt_at, zone):16}  {entry.claimed_by or '-'}")
    click.echo("* da richiamare adesso")


def _print_entry(entry: EntryView, zone: ZoneInfo, now: datetime) -> None:
    due = " (da richiamare adesso)" if entry.is_due(now) else ""
    click.echo(f"Richiamata {entry.id}: {label('status', entry.status)}{due}")
    rows = [
        ("Numero", _number(entry.callback_number)),
        ("Motivo", label("reason", entry.reason)),
        ("Argomento", _topic(entry.topic)),
        ("Codice richiesta", entry.ticket_code or "-"),
        ("Creata", local_time(entry.created_at, zone)),
        ("Prossimo tentativo", local_time(entry.next_attempt_at, zone)),
        ("Tentativi", str(entry.attempt_count)),
        ("Assegnata a", f"{entry.claimed_by} dalle {local_time(entry.claimed_at, zone)}" if entry.claimed_by else "-"),
    ]
    for name, value in rows:
        click.echo(f"  {name + ':':20} {value}")
    click.echo(f"  Messaggi ({entry.message_count}):")
    for message in entry.messages:
        recording = (f"{message.recording_duration} s, {label('copy', message.copy_status)}"
                     if message.message_status == "recorded" else label("message", message.message_status))
        where = f", file {message.recording_path}" if message.recording_path else ""
        click.echo(f"    {local_time(message.created_at, zone)}  codice {message.ticket_code or '-'}  "
                   f"{label('source', message.number_source)}  {recording}{where}")
        if message.transcript:
            click.echo(f"      trascrizione: {message.transcript}")
    click.echo("  Tentativi:" if entry.attempts else "  Nessun tentativo.")
    for attempt in entry.attempts:
        note = f"  «{attempt.note}»" if attempt.note else ""
        click.echo(f"    {local_time(attempt.attempted_at, zone)}  {attempt.operator}  "
                   f"{label('outcome', attempt.outcome)}{note}")


def _show(runtime: Runtime, entry: EntryView, as_json: bool) -> None:
    zone, now = ZoneInfo(runtime.settings.line.timezone), runtime.clock()
    if as_json:
        click.echo(json.dumps(entry.as_dict(zone, now), ensure_ascii=False, indent=2))
    else:
        _print_entry(entry, zone, now)


@click.group("callbacks")
def callbacks() -> None:
    """The callback list: list, take the next, record the outcome, show one."""


@callbacks.command("list")
@click.option("--status", "view", default="open", show_default=True, metavar="|".join(VIEWS),
              help="Which entries (open = pending and claimed).")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
@click.option("--limit", default="50", show_default=True, help="At most this many entries.")
@pass_state
def list_command(state: CliState, view: str, as_json: bool, limit: str) -> None:
    """List entries in work order: due first, then reason priority, then oldest."""
    if view not in VIEWS:
        raise click.ClickException(f"stato sconosciuto {view!r}: usa {', '.join(VIEWS)}")
    if not limit.isdigit() or not 1 <= int(limit) <= 10000:
        raise click.ClickException(f"--limit {limit!r}: indica un numero da 1 a 10000")
    runtime = state.migrated_runtime()
    zone, now = ZoneInfo(runtime.settings.line.timezone), runtime.clock()
    with runtime.sessions.begin() as session:
        entries = list_entries(session, callback_policy(runtime.settings), view, int(limit), now=now)
    if as_json:
        click.echo(json.dumps([entry.as_dict(zone, now) for entry in entries], ensure_ascii=False, indent=2))
    else:
        _print_table(entries, zone, now)


@callbacks.command("next")
@click.option("--operator", envvar=OPERATOR_ENV, help=f"Who takes the entry (or {OPERATOR_ENV}).")
@click.option("--json", "as_json", is_flag=True, help="The entry as JSON (null when none is due).")
@pass_state
def next_command(state: CliState, operator: str | None, as_json: bool) -> None:
    """Take the next due entry: no other operator gets it until its outcome or the claim timeout."""
    name = _required_operator(operator)
    runtime = state.migrated_runtime()
    with runtime.sessions.begin() as session:
        try:
            entry = claim_next(session, name, callback_policy(runtime.settings), now=runtime.clock())
        except CallbackError as error:
            raise click.ClickException(describe(error)) from None
        details = entry_details(session, entry.id) if entry else None
    if details is None:
        click.echo("null" if as_json else "nessuna richiamata da fare adesso")
        return
    _show(runtime, details, as_json)


@callbacks.command("outcome")
@click.argument("entry_id", metavar="ID")
@click.argument("outcome", metavar="|".join(OUTCOME_WORDS))
@click.option("--note", default="", help="What happened, for whoever calls next.")
@click.option("--ticket-status", default=None, help="Also move the entry's requests to this status.")
@click.option("--operator", envvar=OPERATOR_ENV, help="Who called (default: who took the entry).")
@click.option("--json", "as_json", is_flag=True, help="The updated entry as JSON.")
@pass_state
def outcome_command(state: CliState, entry_id: str, outcome: str, note: str, ticket_status: str | None,
                    operator: str | None, as_json: bool) -> None:
    """Record how calling back went: reached, no-answer, busy or wrong-number."""
    number = _entry_id(entry_id)
    word = outcome.strip().lower().replace("_", "-")
    if word not in OUTCOME_WORDS:
        raise click.ClickException(f"esito sconosciuto {outcome!r}: usa {', '.join(OUTCOME_WORDS)}")
    new_ticket_status = _ticket_status(ticket_status)
    runtime = state.migrated_runtime()
    with runtime.sessions.begin() as session:
        try:
            record_outcome(session, number, word.replace("-", "_"), callback_policy(runtime.settings),
                           operator=operator, note=note,
                           ticket_status=new_ticket_status, now=runtime.clock())
        except CallbackError as error:
            raise click.ClickException(describe(error)) from None
        details = entry_details(session, number)
    _show(runtime, details, as_json)


@callbacks.command("show")
@click.argument("entry_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="The entry as JSON.")
@pass_state
def show_command(state: CliState, entry_id: str, as_json: bool) -> None:
    """One entry with its messages, recordings and attempts."""
    number = _entry_id(entry_id)
    runtime = state.migrated_runtime()
    with runtime.sessions() as session:
        try:
            details = entry_details(session, number)
        except CallbackError as error:
            raise click.ClickException(describe(error)) from None
    _show(runtime, details, as_json)


def register(cli: click.Group) -> None:
    """Add the callbacks commands."""
    cli.add_command(callbacks)
