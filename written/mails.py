"""The mails of the written channel, rendered from Italian templates when they are queued.

The code mail carries only the service's own words, the topic and the code: never the text or
name a form was filled with, so that nobody can use the form to have the Department mail their
words to someone else's address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from mail.message import MailContent, new_message_id
from mail.outbox import MailKind, enqueue
from storage.models import OutboxMail, Ticket
from tickets.codes import format_code_for_display
from tickets.status import TicketStatus, Topic
from tickets.vocabulary import label, status_sentence, written_date

TEMPLATES_DIR: Final = Path(__file__).with_name("templates")
_ENVIRONMENT: Final = Environment(loader=FileSystemLoader(TEMPLATES_DIR), undefined=StrictUndefined,
                                  autoescape=select_autoescape(enabled_extensions=("html.j2",),
                                                               default_for_string=False),
                                  trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


@dataclass(frozen=True)
class MailSetup:
    """What every mail of the channel needs: who sends, the line's names, where /status is."""

    from_address: str
    line_name: str
    line_number: str
    site_url: str
    zone: tzinfo
    notify_status_changes: bool = False

    def status_url(self, code: str) -> str | None:
        """The absolute link to the request's status page (None without a public site URL)."""
        return f"{self.site_url.rstrip('/')}/status?code={code}" if self.site_url else None


def render(kind: str, recipient: str, **context: Any) -> MailContent:
    """The subject, text and HTML of a mail of `kind` from its three templates."""
    subject = " ".join(_ENVIRONMENT.get_template(f"{kind}.subject.j2").render(**context).split())
    text = _ENVIRONMENT.get_template(f"{kind}.txt.j2").render(**context)
    html = _ENVIRONMENT.get_template(f"{kind}.html.j2").render(**context)
    return MailContent(recipient=recipient, subject=subject, text=text, html=html)


def _common(setup: MailSetup, ticket: Ticket) -> dict[str, Any]:
    return {"code": ticket.code, "spaced_code": format_code_for_display(ticket.code),
            "status_url": setup.status_url(ticket.code), "line_name": setup.line_name,
            "line_number": setup.line_number, "topic": label(Topic(ticket.topic)),
            "created_on": written_date(ticket.created_at.astimezone(setup.zone).date())}


def _queue(session: Session, setup: MailSetup, ticket: Ticket, kind: MailKind, content: MailContent, now: datetime,
           automatic: bool = True, flush: bool = True) -> OutboxMail:
    mail = enqueue(session, content, kind=kind, message_id=new_message_id(f"{kind}.{ticket.code}", setup.from_address),
                   now=now, ticket_id=ticket.id, automatic=automatic)
    if flush:
        session.flush()
    return mail


def queue_code_mail(session: Session, setup: MailSetup, ticket: Ticket, *, now: datetime,
                    flush: bool = True) -> OutboxMail:
    """The tracking code, sent to the ticket's address (`flush=False`: written with the caller's next flush)."""
    if not ticket.contact_email:
        raise ValueError("the ticket has no e-mail address")
    content = render("code", ticket.contact_email, **_common(setup, ticket))
    return _queue(session, setup, ticket, "code", content, now, flush=flush)


def queue_reply_mail(session: Session, setup: MailSetup, ticket: Ticket, text: str, *, now: datetime) -> OutboxMail:
    """An operator's answer, sent to the ticket's address (not marked as automatic)."""
    if not ticket.contact_email:
        raise ValueError("the ticket has no e-mail address")
    paragraphs = [part.strip() for part in text.split("\n\n") if part.strip()]
    content = render("reply", ticket.contact_email, reply=text, paragraphs=paragraphs, **_common(setup, ticket))
    return _queue(session, setup, ticket, "reply", content, now, automatic=False)


def queue_status_mail(session: Session, setup: MailSetup, ticket: Ticket, status: TicketStatus,
                      forwarded_to: str | None, *, now: datetime, flush: bool = True) -> OutboxMail:
    """The request's new status (forwarded: the institution's name), sent to the ticket's address.

    `flush=False` from inside a flush (the status hook): the mail is written by that flush.
    """
    if not ticket.contact_email:
        raise ValueError("the ticket has no e-mail address")
    content = render("status", ticket.contact_email, status_label=label(status),
                     status_sentence=status_sentence(status, forwarded_to), **_common(setup, ticket))
    return _queue(session, setup, ticket, "status", content, now, flush=flush)
