"""The outbox: mails are stored with the change that causes them, then claimed, sent and marked.

A sender claims a batch atomically (PostgreSQL `FOR UPDATE SKIP LOCKED`; SQLite runs one writer
at a time), holding it under a token until `lease_until`. Only the holder of the token may mark
a mail sent, failed or due again; a claim whose sender died is taken again after its lease.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from mail.message import MailContent, check_address
from storage.models import OutboxMail

PENDING: Final = "pending"
SENDING: Final = "sending"
SENT: Final = "sent"
FAILED: Final = "failed"
STATUSES: Final = (PENDING, SENDING, SENT, FAILED)
MailKind = Literal["code", "reply", "status"]
# Set on a session whose transaction enqueued mail: the application wakes its sender after the commit.
ENQUEUED: Final = "mail_enqueued"
MAX_ERROR_CHARS: Final = 300


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait after the n-th failed try (doubling, capped), and when to give up."""

    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)
    give_up_after: timedelta = timedelta(hours=72)

    def delay(self, attempts: int) -> timedelta:
        """The wait after `attempts` tries (1, 2, 3...): first_delay, twice it, ... up to max_delay."""
        factor: int = 2 ** min(max(attempts - 1, 0), 30)
        delay: timedelta = min(self.first_delay * factor, self.max_delay)
        return delay


@dataclass(frozen=True)
class Backlog:
    """What the outbox holds: mails waiting or being sent, mails that failed, the oldest waiting."""

    pending: int
    sending: int
    failed: int
    oldest_waiting: datetime | None

    @property
    def waiting(self) -> int:
        """Mails not yet delivered nor given up."""
        return self.pending + self.sending


def enqueue(session: Session, content: MailContent, *, kind: MailKind, message_id: str, now: datetime,
            ticket_id: int | None = None, automatic: bool = True) -> OutboxMail:
    """Store a mail to send, due now, in the caller's transaction (ValueError for a bad recipient)."""
    mail = OutboxMail(kind=kind, ticket_id=ticket_id, recipient=check_address(content.recipient),
                      subject=content.subject, body_text=content.text, body_html=content.html,
                      message_id=message_id, automatic=automatic, status=PENDING, attempts=0, created_at=now,
                      next_attempt_at=now)
    session.add(mail)
    session.info[ENQUEUED] = True
    return mail


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(and_(OutboxMail.status == PENDING, OutboxMail.next_attempt_at <= now),
               and_(OutboxMail.status == SENDING, OutboxMail.lease_until < now))


def claim_due(session: Session, *, now: datetime, lease: timedelta, limit: int) -> tuple[str, list[OutboxMail]]:
    """Claim up to `limit` due mails (and those whose sender's lease ran out); the token and the mails."""
    token = secrets.token_hex(16)
    due = (select(OutboxMail.id).where(_due(now)).order_by(OutboxMail.next_attempt_at, OutboxMail.id)
           .limit(limit).with_for_update(skip_locked=True))
    session.execute(
        update(OutboxMail).where(OutboxMail.id.in_(due.scalar_subquery()), _due(now))
        .values(status=SENDING, claim_token=token, lease_until=now + lease, attempts=OutboxMail.attempts + 1),
        execution_options={"synchronize_session": False})
    claimed = session.scalars(select(OutboxMail).where(OutboxMail.claim_token == token,
                                                       OutboxMail.status == SENDING)
                              .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
                              .execution_options(populate_existing=True))
    return token, list(claimed)


def _held(mail_id: int, token: str) -> ColumnElement[bool]:
    return and_(OutboxMail.id == mail_id, OutboxMail.claim_token == token, OutboxMail.status == SENDING)


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def mark_sent(session: Session, mail_id: int, token: str, *, now: datetime) -> bool:
    """The server accepted the mail; False if this sender no longer held it."""
    result = session.execute(update(OutboxMail).where(_held(mail_id, token)).values(
        status=SENT, sent_at=now, claim_token=None, lease_until=None, last_error=None))
    return _rowcount(result) == 1


def mark_retry(session: Session, mail_id: int, token: str, *, now: datetime, error: str,
               policy: RetryPolicy) -> str | None:
    """A temporary failure: due again after the policy's delay, or failed once it gave up; the new status."""
    mail = session.scalars(select(OutboxMail).where(_held(mail_id, token))).first()
    if mail is None:
        return None
    mail.claim_token, mail.lease_until, mail.last_error = None, None, error[:MAX_ERROR_CHARS]
    if now - mail.created_at >= policy.give_up_after:
        mail.status, mail.failed_at = FAILED, now
    else:
        mail.status, mail.next_attempt_at = PENDING, now + policy.delay(mail.attempts)
    session.flush()
    return mail.status


def mark_failed(session: Session, mail_id: int, token: str, *, now: datetime, error: str) -> bool:
    """A permanent failure (the server refused the mail with 5xx): kept, shown to supervisors."""
    result = session.execute(update(OutboxMail).where(_held(mail_id, token)).values(
        status=FAILED, failed_at=now, claim_token=None, lease_until=None, last_error=error[:MAX_ERROR_CHARS]))
    return _rowcount(result) == 1


def retry_failed(session: Session, mail_id: int, *, now: datetime) -> bool:
    """Put a failed mail back in the queue, due now (a supervisor's decision).

    Its Date stays the original one; past the policy's give-up time one more temporary failure fails it again.
    """
    result = session.execute(update(OutboxMail).where(OutboxMail.id == mail_id, OutboxMail.status == FAILED).values(
        status=PENDING, next_attempt_at=now, failed_at=None, attempts=0))
    return _rowcount(result) == 1


def backlog(session: Session) -> Backlog:
    """Counts by status (sent mails aside) and the creation time of the oldest waiting mail."""
    rows = dict(session.execute(select(OutboxMail.status, func.count()).where(OutboxMail.status != SENT)
                                .group_by(OutboxMail.status)).tuples().all())
    oldest = session.scalar(select(func.min(OutboxMail.created_at))
                            .where(OutboxMail.status.in_((PENDING, SENDING))))
    return Backlog(pending=rows.get(PENDING, 0), sending=rows.get(SENDING, 0), failed=rows.get(FAILED, 0),
                   oldest_waiting=oldest)


def listing(session: Session, status: str | None = None, limit: int = 100) -> list[OutboxMail]:
    """Mails newest first, of one status or all."""
    query = select(OutboxMail).order_by(OutboxMail.created_at.desc(), OutboxMail.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMail.status == status)
    return list(session.scalars(query))


def mails_of_ticket(session: Session, ticket_id: int) -> list[OutboxMail]:
    """Every mail about one ticket, oldest first."""
    return list(session.scalars(select(OutboxMail).where(OutboxMail.ticket_id == ticket_id)
                                .order_by(OutboxMail.created_at, OutboxMail.id)))
