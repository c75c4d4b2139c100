"""An operator answers a request by e-mail: the mail goes to the outbox, the answer stays with the ticket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from mail.outbox import mails_of_ticket
from storage.models import OutboxMail, Ticket, TicketReply
from tickets.repository import change_status
from tickets.status import ALLOWED_TRANSITIONS, TicketStatus
from written.form import clean_message
from written.mails import MailSetup, queue_reply_mail
from written.notifications import quietly

MAX_REPLY_CHARS: Final = 10_000
CLOSING_NOTE: Final = "Risposta inviata per e-mail."


class ReplyError(ValueError):
    """An answer that cannot be sent; `key` names the error in texts.yaml."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class ReplyView:
    """An answer as the console shows it: who, when, what, whether it closed the ticket, its mail's state."""

    sent_at: datetime
    author: str
    body: str
    closed_ticket: bool
    mail_status: str | None
    mail_error: str | None


def can_reply(ticket: Ticket) -> bool:
    """Whether the ticket has an address to answer to."""
    return bool(ticket.contact_email)


def reply(session: Session, ticket: Ticket, text: str, *, author: str, close: bool, now: datetime,
          mail: MailSetup | None) -> tuple[TicketReply, bool]:
    """Queue the answer and keep it with the ticket; close the ticket if asked and allowed.

    Returns the stored answer and whether the ticket was closed. ReplyError when there is no
    address, no mail configured, or no text.
    """
    if mail is None:
        raise ReplyError("reply.mail_off")
    if not can_reply(ticket):
        raise ReplyError("reply.no_email")
    body = clean_message(text)
    if not body:
        raise ReplyError("reply.empty")
    if len(body) > MAX_REPLY_CHARS:
        raise ReplyError("reply.too_long")
    outgoing = queue_reply_mail(session, mail, ticket, body, now=now)
    closed = close and TicketStatus.CLOSED in ALLOWED_TRANSITIONS[TicketStatus(ticket.status)]
    answer = TicketReply(ticket_id=ticket.id, sent_at=now, author=author[:120], body=body, closed_ticket=closed,
                         mail_id=outgoing.id)
    session.add(answer)
    if closed:
        with quietly(session):  # the answer itself tells the citizen: no separate "closed" notice
            change_status(session, ticket, TicketStatus.CLOSED, now=now, changed_by=author, note=CLOSING_NOTE)
    session.flush()
    return answer, closed


def replies_of(session: Session, ticket_id: int) -> list[ReplyView]:
    """The ticket's answers, oldest first, with the state of their mails."""
    rows = session.execute(select(TicketReply, OutboxMail.status, OutboxMail.last_error)
                           .outerjoin(OutboxMail, OutboxMail.id == TicketReply.mail_id)
                           .where(TicketReply.ticket_id == ticket_id)
                           .order_by(TicketReply.sent_at, TicketReply.id)).all()
    return [ReplyView(row[0].sent_at, row[0].author, row[0].body, row[0].closed_ticket, row[1], row[2])
            for row in rows]


def ticket_mails(session: Session, ticket_id: int) -> list[OutboxMail]:
    """Every mail about the ticket (code, answers, status notices), oldest first."""
    return mails_of_ticket(session, ticket_id)


def outbox_page(session: Session, status: str | None, limit: int) -> list[tuple[OutboxMail, str | None]]:
    """The latest mails (of one status, or all), newest first, each with its ticket's code."""
    query = (select(OutboxMail, Ticket.code).outerjoin(Ticket, Ticket.id == OutboxMail.ticket_id)
             .order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc()).limit(limit))
    if status:
        query = query.where(OutboxMail.status == status)
    return [(mail, code) for mail, code in session.execute(query).tuples()]
