"""One pass of the sender: claim due mails, send them over one SMTP connection, record each outcome.

Each outcome is committed on its own as soon as it is known, so a sender that dies mid-batch
leaves only the mail it was sending to be tried again (after its lease). A server that is down,
answers 4xx or drops the connection never loses a mail: it is due again after a backoff.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from mail.message import Envelope, MailContent, build_message
from mail.outbox import RetryPolicy, claim_due, mark_failed, mark_retry, mark_sent
from mail.transport import Refusal, Transport, judge
from storage.models import OutboxMail

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryPolicy:
    """Batch size, the claim's lease, the retry policy and who sends."""

    envelope: Envelope
    batch_size: int = 20
    lease: timedelta = timedelta(minutes=10)
    retry: RetryPolicy = field(default_factory=RetryPolicy)


@dataclass
class DeliveryReport:
    """What one pass did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Claimed:
    id: int
    kind: str
    recipient: str
    content: MailContent
    message_id: str
    created_at: datetime
    automatic: bool


def _snapshot(mail: OutboxMail) -> _Claimed:
    return _Claimed(mail.id, mail.kind, mail.recipient,
                    MailContent(mail.recipient, mail.subject, mail.body_text, mail.body_html),
                    mail.message_id, mail.created_at, mail.automatic)


def deliver_due(sessions: sessionmaker[Session], connect: Callable[[], Transport], clock: Callable[[], datetime],
                policy: DeliveryPolicy) -> DeliveryReport:
    """Claim one batch of due mails and deliver it; the report says what happened to each."""
    report = DeliveryReport()
    with sessions.begin() as session:
        token, claimed = claim_due(session, now=clock(), lease=policy.lease, limit=policy.batch_size)
        batch = [_snapshot(mail) for mail in claimed]
    report.claimed = len(batch)
    if not batch:
        return report
    try:
        transport = connect()
    except (smtplib.SMTPException, OSError) as error:
        refusal = judge(error)
        log.warning("mail: cannot reach the SMTP server (%s); %d mails wait", refusal.reason, len(batch))
        for mail in batch:
            _record(sessions, report, mail, token, refusal, clock, policy)
        return report
    try:
        for index, mail in enumerate(batch):
            try:
                message = build_message(mail.content, envelope=policy.envelope, message_id=mail.message_id,
                                        created_at=mail.created_at, automatic=mail.automatic)
                transport.send(message, policy.envelope.sender, mail.recipient)
            except (smtplib.SMTPException, OSError, ValueError) as error:
                refusal = judge(error)
                _record(sessions, report, mail, token, refusal, clock, policy)
                if refusal.connection_lost:
                    for rest in batch[index + 1:]:
                        _record(sessions, report, rest, token, Refusal("retry", refusal.reason), clock, policy)
                    break
            else:
                with sessions.begin() as session:
                    if mark_sent(session, mail.id, token, now=clock()):
                        report.sent += 1
                    else:
                        log.error("mail %d was sent after its claim lapsed: another sender may send it again",
                                  mail.id)
    finally:
        transport.close()
    return report


def _record(sessions: sessionmaker[Session], report: DeliveryReport, mail: _Claimed, token: str, refusal: Refusal,
            clock: Callable[[], datetime], policy: DeliveryPolicy) -> None:
    """Store a refusal: failed for good, or due again later (failed once the policy gives up)."""
    report.errors.append(refusal.reason)
    with sessions.begin() as session:
        if refusal.verdict == "failed":
            mark_failed(session, mail.id, token, now=clock(), error=refusal.reason)
            status: str | None = "failed"
        else:
            status = mark_retry(session, mail.id, token, now=clock(), error=refusal.reason, policy=policy.retry)
    if status == "failed":
        report.failed += 1
        log.error("mail %d (%s) failed: %s", mail.id, mail.kind, refusal.reason)
    elif status is not None:
        report.retried += 1
        log.info("mail %d (%s) will be tried again: %s", mail.id, mail.kind, refusal.reason)


def deliver_all_due(sessions: sessionmaker[Session], connect: Callable[[], Transport],
                    clock: Callable[[], datetime], policy: DeliveryPolicy, max_batches: int = 1000) -> DeliveryReport:
    """Passes until nothing due is left to claim, or a pass only postponed mails (the server is away)."""
    total = DeliveryReport()
    for _ in range(max_batches):
        report = deliver_due(sessions, connect, clock, policy)
        total.claimed += report.claimed
        total.sent += report.sent
        total.retried += report.retried
        total.failed += report.failed
        total.errors.extend(report.errors)
        if report.claimed < policy.batch_size or report.sent + report.failed == 0:
            break
    return total
