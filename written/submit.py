"""A written request becomes a ticket once, however often its form is sent, within the sender's limits.

The form carries a one-time token: the first submission stores it with the new ticket (a unique
row), and any later one with the same token, a double click or a resend after "back", fails on
that row, is rolled back whole and gets the first one's ticket. The ticket, its submission row, the address's count
and the code mail in the outbox are written in one transaction: all of them, or none.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from access.address_limits import Limit, purge_expired, take
from storage.models import Ticket, WrittenSubmission
from tickets.intake import NewTicket, open_ticket
from tickets.status import Channel
from written.form import WrittenRequest
from written.mails import MailSetup, queue_code_mail

TOKEN_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{16,64}")
PURGE_ONE_IN: Final = 50


class TooManyRequests(Exception):
    """The sender's address used its allowance; `retry_after_s` until the window ends."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many requests; retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Counted:
    """A limit on a key: the sender's address for tickets, the recipient for code mails."""

    key: str
    limit: Limit


@dataclass(frozen=True)
class Submission:
    """The ticket a form made: its code, whether its code was mailed, whether this was a resend."""

    code: str
    email: str | None
    code_mailed: bool
    repeated: bool = False


def usable_token(raw: str | None) -> str | None:
    """The form's token when it has the expected shape, else None (the form then has no resend protection)."""
    return raw if raw and TOKEN_PATTERN.fullmatch(raw) else None


def _existing(session: Session, token: str) -> Submission | None:
    row = session.execute(select(Ticket.code, Ticket.contact_email, WrittenSubmission.code_mailed)
                          .join(Ticket, Ticket.id == WrittenSubmission.ticket_id)
                          .where(WrittenSubmission.token == token)).first()
    return None if row is None else Submission(row.code, row.contact_email, row.code_mailed, repeated=True)


def submit(session: Session, request: WrittenRequest, *, channel: Channel, token: str | None, now: datetime,
           created_by: str, code_length: int, sender_limits: Sequence[Counted] = (),
           mail: MailSetup | None = None, recipient_limit: Counted | None = None) -> Submission:
    """Record the request (TooManyRequests past a sender limit; IntegrityError when its token was used already).

    Optimistic: the token is not looked up first; a resend fails on the token's unique row and
    rolls everything back (submit_once then answers with the first submission's ticket).
    """
    for counted in sender_limits:
        allowance = take(session, counted.key, counted.limit, now=now)
        if not allowance.allowed:
            found = _existing(session, token) if token is not None else None
            if found is not None:  # a resend of a form that got through before the limit
                return found
            raise TooManyRequests(allowance.retry_after_s)
    # The submission row comes first: a used token fails here, before any ticket exists (on SQLite
    # this first write also opens the transaction that the ticket's savepoint needs).
    submission = WrittenSubmission(token=token, citizen_name=request.name, created_at=now)
    session.add(submission)
    session.flush()
    ticket = open_ticket(session, NewTicket(channel=channel, topic=request.topic, summary=request.message,
                                            phone=request.phone, email=request.email),
                         now=now, created_by=created_by, code_length=code_length)
    submission.ticket_id = ticket.id
    if mail is not None and ticket.contact_email:
        allowed = recipient_limit is None or take(session, recipient_limit.key, recipient_limit.limit, now=now).allowed
        if allowed:
            queue_code_mail(session, mail, ticket, now=now, flush=False)
            submission.code_mailed = True
    session.flush()  # the mail and the submission's ticket in one round
    return Submission(ticket.code, ticket.contact_email, submission.code_mailed)


def submit_once(sessions: sessionmaker[Session], request: WrittenRequest, *, channel: Channel, token: str | None,
                now: datetime, created_by: str, code_length: int, sender_limits: Sequence[Counted] = (),
                mail: MailSetup | None = None, recipient_limit: Counted | None = None) -> Submission:
    """`submit` in its own transaction; a resend that raced the first submission gets the first one's ticket."""
    try:
        with sessions.begin() as session:
            result = submit(session, request, channel=channel, token=token, now=now, created_by=created_by,
                            code_length=code_length, sender_limits=sender_limits, mail=mail,
                            recipient_limit=recipient_limit)
    except IntegrityError:
        if token is None:
            raise
        with sessions() as session:
            found = _existing(session, token)
        if found is None:
            raise
        return found
    if sender_limits and random.randrange(PURGE_ONE_IN) == 0:  # housekeeping, not security
        with sessions.begin() as session:
            purge_expired(session, now=now)
    return result


def submission_of(session: Session, ticket_id: int) -> WrittenSubmission | None:
    """The submission that made a ticket (None for tickets opened otherwise)."""
    return session.scalars(select(WrittenSubmission).where(WrittenSubmission.ticket_id == ticket_id)).first()
