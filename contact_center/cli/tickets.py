"""`contact-center tickets ...`: open a ticket, change its status, show it with its history, in Italian."""

from __future__ import annotations

import json
import os
from zoneinfo import ZoneInfo

import click
from sqlalchemy.orm import Session

from contact_center.cli.common import CliState, local_time, pass_state
from contact_center.outgoing_mail import mail_setup
from storage.models import Ticket
from tickets.codes import is_valid_code, normalize_code
from tickets.intake import new_ticket, open_ticket
from tickets.records import ticket_record
from tickets.repository import change_status, find_by_code
from tickets.status import Channel, InvalidTransition, TicketStatus, Topic, parse_status
from tickets.vocabulary import label
from written.mails import queue_code_mail

BY_OPTION = click.option("--by", "changed_by", default=lambda: os.environ.get("USER") or "cli",
                         show_default="$USER", help="Who makes the change (kept in the history).")


def _find(session: Session, raw_code: str, code_length: tuple[int, ...], for_update: bool = False) -> Ticket:
    """The ticket with this code (of one of the `code_length`s), or a one-line error."""
    code = normalize_code(raw_code)
    if not is_valid_code(code, code_length):
        lengths = " or ".join(str(length) for length in code_length)
        raise click.ClickException(f"{raw_code!r} is not a valid tracking code "
                                   f"({lengths} digits, the last one a check digit)")
    ticket = find_by_code(session, code, code_length, for_update=for_update)
    if ticket is None:
        raise click.ClickException(f"no ticket with code {code}")
    return ticket


def _status(value: str | None) -> str:
    """The Italian name of a stored status ('-' for none: a ticket's first history step)."""
    return label(TicketStatus(value)) if value else "-"


def _ticket_lines(ticket: Ticket, zone: ZoneInfo) -> list[str]:
    """The ticket and its history as operators read them: Italian labels and names."""
    rows = [
        ("Codice", ticket.code),
        ("Stato", _status(ticket.status)),
        ("Ente competente", ticket.forwarded_to),
        ("Canale", label(Channel(ticket.channel))),
        ("Argomento", label(Topic(ticket.topic))),
        ("Telefono", ticket.contact_phone),
        ("E-mail", ticket.contact_email),
        ("Ricevuta", local_time(ticket.created_at, zone)),
        ("Stato aggiornato", local_time(ticket.status_changed_at, zone)),
        ("Sintesi", ticket.summary),
    ]
    lines = [f"{name + ':':19}{value}" for name, value in rows if value]
    lines.append("Cronologia:")
    for change in ticket.history:
        target = _status(change.to_status) + (f" ({change.forwarded_to})" if change.forwarded_to else "")
        when = local_time(change.changed_at, zone)
        line = f"  {when}  {change.changed_by}: {_status(change.from_status)} -> {target}"
        lines.append(f"{line}  {change.note}" if change.note else line)
    return lines


@click.group("tickets")
def tickets() -> None:
    """Requests and their tracking codes."""


@tickets.command("open")
@click.option("--channel", required=True, metavar="CHANNEL",
              help=f"How the request arrived: {', '.join(Channel)}.")
@click.option("--topic", default=Topic.OTHER.value, show_default=True, metavar="TOPIC",
              help=f"What it is about: {', '.join(Topic)}.")
@click.option("--phone", help="The citizen's phone number.")
@click.option("--email", help="The citizen's e-mail address.")
@click.option("--summary", required=True, help="What the citizen asked.")
@click.option("--send-code/--no-send-code", default=True, show_default=True,
              help="With --email and an SMTP server: mail the code to the citizen (through the outbox).")
@BY_OPTION
@pass_state
def open_command(state: CliState, channel: str, topic: str, phone: str | None, email: str | None,
                 summary: str, send_code: bool, changed_by: str) -> None:
    """Record a request and print its new tracking code."""
    try:
        ticket = new_ticket(channel, topic, summary, phone=phone, email=email)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    runtime = state.migrated_runtime()
    now = runtime.clock()
    mail = mail_setup(runtime.settings) if send_code and ticket.email else None
    with runtime.sessions.begin() as session:
        opened = open_ticket(session, ticket, now=now, created_by=changed_by,
                             code_length=runtime.settings.tickets.code_length)
        if mail is not None:
            queue_code_mail(session, mail, opened, now=now)
        code = opened.code
    click.echo(code)
    if mail is not None:
        click.echo(f"Codice in invio per e-mail a {ticket.email}.", err=True)


@tickets.command("status")
@click.argument("code")
@click.argument("new_status", metavar="NEW-STATUS")
@click.option("--forwarded-to", metavar="NAME", help="The competent institution (only with 'forwarded').")
@click.option("--note", default="", help="A note kept in the history.")
@BY_OPTION
@pass_state
def status_command(state: CliState, code: str, new_status: str, forwarded_to: str | None, note: str,
                   changed_by: str) -> None:
    """Move a ticket to NEW-STATUS: received, in-progress, waiting-for-citizen, forwarded, closed."""
    try:
        status = parse_status(new_status)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    runtime = state.migrated_runtime()
    with runtime.sessions.begin() as session:
        ticket = _find(session, code, runtime.settings.tickets.accepted_code_lengths, for_update=True)
        try:
            change = change_status(session, ticket, status, changed_by=changed_by, note=note,
                                   forwarded_to=forwarded_to.strip() if forwarded_to else None, now=runtime.clock())
        except InvalidTransition as error:
            raise click.ClickException(str(error)) from None
        summary = f"{ticket.code}: {_status(change.from_status)} -> {_status(change.to_status)}"
        if change.forwarded_to:
            summary += f" ({change.forwarded_to})"
    click.echo(summary)


@tickets.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="The ticket as JSON (the API's shape).")
@pass_state
def show_command(state: CliState, code: str, as_json: bool) -> None:
    """Show a ticket and its status history."""
    runtime = state.migrated_runtime()
    zone = ZoneInfo(runtime.settings.line.timezone)
    with runtime.sessions() as session:
        ticket = _find(session, code, runtime.settings.tickets.accepted_code_lengths)
        output = (json.dumps(ticket_record(ticket, zone), ensure_ascii=False, indent=2) if as_json
                  else "\n".join(_ticket_lines(ticket, zone)))
    click.echo(output)


def register(cli: click.Group) -> None:
    """Add the tickets commands."""
    cli.add_command(tickets)
