"""The callback list as a work queue: claim the next due entry, record how the call back went.

Claims are atomic on both databases. PostgreSQL picks the candidate with FOR UPDATE SKIP
LOCKED inside the claiming UPDATE, so concurrent operators skip each other's rows; SQLite runs
the same single conditional UPDATE under its one write lock, which serializes processes too.
A claim not finished within the policy's timeout goes back to the list, lazily, on the next
claim or listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import ColumnElement, CursorResult, exists, select, update
from sqlalchemy.orm import Session

from storage.models import CallbackAttempt, CallbackMessage, CallbackRequest, Ticket
from tickets.repository import change_status
from tickets.status import InvalidTransition, TicketStatus
from voicemail.errors import CallbackError, CallbackProblem
from voicemail.status import OPEN_STATUSES, CallbackStatus

STATUSES: Final = tuple(CallbackStatus)
OUTCOMES: Final = ("reached", "no_answer", "busy", "wrong_number")
RETRIED_OUTCOMES: Final = frozenset({"no_answer", "busy"})
CLAIM_TRIES: Final = 5


@dataclass(frozen=True)
class CallbackPolicy:
    """Retry and claim rules, from the configuration."""

    retry_delays: tuple[timedelta, ...] = (timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4))
    max_attempts: int = 3
    claim_timeout: timedelta = timedelta(minutes=30)

    def delay_after(self, attempts: int) -> timedelta:
        """How long to wait after the `attempts`-th unanswered attempt (the last delay repeats)."""
        return self.retry_delays[min(max(attempts, 1), len(self.retry_delays)) - 1]


def release_expired_claims(session: Session, policy: CallbackPolicy, now: datetime) -> int:
    """Put back on the list the claims older than the timeout; how many went back."""
    result = cast(CursorResult[Any], session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.status == CallbackStatus.CLAIMED.value,
               CallbackRequest.claimed_at < now - policy.claim_timeout)
        .values(status=CallbackStatus.PENDING.value, claimed_by=None, claimed_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    ))
    return result.rowcount or 0


def release_claim(session: Session, entry_id: int, operator: str, now: datetime) -> CallbackRequest:
    """Give back an entry `operator` claimed: it returns to the list as it was (no attempt counted).

    CallbackError when the entry does not exist, is not claimed, or is claimed by someone else.
    """
    entry = session.get(CallbackRequest, entry_id)
    if entry is None:
        raise CallbackError(CallbackProblem.NO_SUCH_ENTRY, entry_id=entry_id)
    if entry.status != CallbackStatus.CLAIMED.value:
        raise CallbackError(CallbackProblem.NOT_CLAIMED, entry_id=entry_id)
    if entry.claimed_by != operator.strip():
        raise CallbackError(CallbackProblem.CLAIMED_BY_ANOTHER, entry_id=entry_id, claimed_by=entry.claimed_by)
    released = cast(CursorResult[Any], session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id == entry_id, CallbackRequest.status == CallbackStatus.CLAIMED.value,
               CallbackRequest.claimed_by == entry.claimed_by)
        .values(status=CallbackStatus.PENDING.value, claimed_by=None, claimed_at=None, updated_at=now)
        .execution_options(synchronize_session=False)))
    if not released.rowcount:
        raise CallbackError(CallbackProblem.NOT_CLAIMED, entry_id=entry_id)
    session.refresh(entry)
    return entry


def _due(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The filter of entries waiting to be called back at `now`."""
    return (CallbackRequest.status == CallbackStatus.PENDING.value, CallbackRequest.next_attempt_at <= now)


def claim_next(session: Session, operator: str, policy: CallbackPolicy,
               now: datetime) -> CallbackRequest | None:
    """Give `operator` the next due entry (due, most urgent reason, oldest), or None."""
    operator = operator.strip()
    if not operator:
        raise CallbackError(CallbackProblem.NO_OPERATOR)
    release_expired_claims(session, policy, now)
    for _ in range(CLAIM_TRIES):
        candidate = (
            select(CallbackRequest.id).where(*_due(now))
            .order_by(CallbackRequest.priority, CallbackRequest.created_at, CallbackRequest.id)
            .limit(1).with_for_update(skip_locked=True).scalar_subquery()
        )
        claimed = session.scalars(
            update(CallbackRequest)
            .where(CallbackRequest.id == candidate, CallbackRequest.status == CallbackStatus.PENDING.value)
            .values(status=CallbackStatus.CLAIMED.value, claimed_by=operator[:120], claimed_at=now, updated_at=now)
            .returning(CallbackRequest)
            .execution_options(synchronize_session=False, populate_existing=True)
        ).first()
        if claimed is not None:
            return claimed
        if not session.scalar(select(exists().where(*_due(now)))):
            return None
    return None


def find_entry(session: Session, entry_id: int) -> CallbackRequest | None:
    """The entry with this id, or None."""
    return session.get(CallbackRequest, entry_id)


def awaits_call_to(session: Session, entry_id: int, number: str) -> bool:
    """Whether the entry is still open (pending or claimed) and its number to call back is `number`."""
    entry = find_entry(session, entry_id)
    return entry is not None and entry.status in OPEN_STATUSES and entry.callback_number == number


def _lock_open_entry(session: Session, entry_id: int, now: datetime) -> CallbackRequest:
    """Count one more attempt on an open entry, taking its row lock first; CallbackError otherwise."""
    counted = session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id == entry_id, CallbackRequest.status.in_(OPEN_STATUSES))
        .values(attempt_count=CallbackRequest.attempt_count + 1, updated_at=now)
        .returning(CallbackRequest.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    entry = session.get(CallbackRequest, entry_id, populate_existing=True)
    if entry is None:
        raise CallbackError(CallbackProblem.NO_SUCH_ENTRY, entry_id=entry_id)
    if counted is None:
        raise CallbackError(CallbackProblem.ENTRY_CLOSED, entry_id=entry_id, status=CallbackStatus(entry.status))
    return entry


def _close(entry: CallbackRequest, status: CallbackStatus, now: datetime) -> None:
    entry.status, entry.closed_at = status.value, now


def _apply_outcome(entry: CallbackRequest, outcome: str, policy: CallbackPolicy, now: datetime) -> None:
    """Reached: done. Wrong number: unreachable at once. No answer, busy: retry later, or give up."""
    entry.claimed_by = entry.claimed_at = None
    if outcome == "reached":
        _close(entry, CallbackStatus.DONE, now)
    elif outcome == "wrong_number" or entry.attempt_count >= policy.max_attempts:
        _close(entry, CallbackStatus.UNREACHABLE, now)
    else:
        entry.status = CallbackStatus.PENDING.value
        entry.next_attempt_at = now + policy.delay_after(entry.attempt_count)


def _entry_tickets(session: Session, entry: CallbackRequest) -> list[Ticket]:
    ticket_ids = select(CallbackMessage.ticket_id).where(CallbackMessage.entry_id == entry.id)
    return list(session.scalars(
        select(Ticket).where((Ticket.id.in_(ticket_ids)) | (Ticket.id == entry.ticket_id)).order_by(Ticket.id)))


def _update_tickets(session: Session, entry: CallbackRequest, status: TicketStatus, operator: str,
                    note: str, now: datetime, forwarded_to: str | None = None) -> list[Ticket]:
    """Move every ticket of the entry's messages to `status` (those already there stay).

    Forwarding names the institution (`forwarded_to`); any other status ignores it.
    """
    institution = " ".join((forwarded_to or "").split()) if status is TicketStatus.FORWARDED else ""
    changed = []
    for ticket in _entry_tickets(session, entry):
        if ticket.status == status.value:
            continue
        if status is TicketStatus.FORWARDED and not institution:
            raise CallbackError(CallbackProblem.TICKET_NEEDS_INSTITUTION, ticket=ticket.code)
        try:
            change_status(session, ticket, status, now=now, changed_by=operator, note=note,
                          forwarded_to=institution or None)
        except InvalidTransition:
            raise CallbackError(CallbackProblem.TICKET_REFUSED, ticket=ticket.code,
                                current=TicketStatus(ticket.status), new=status) from None
        changed.append(ticket)
    return changed


def record_outcome(session: Session, entry_id: int, outcome: str, policy: CallbackPolicy, *,
                   operator: str | None = None, note: str = "", ticket_status: TicketStatus | None = None,
                   forwarded_to: str | None = None, now: datetime) -> CallbackRequest:
    """Store one call back and move the entry on; the operator defaults to whoever claimed it.

    With `ticket_status` the entry's tickets move too (forwarding needs `forwarded_to`, the institution).
    """
    if outcome not in OUTCOMES:
        raise CallbackError(CallbackProblem.UNKNOWN_OUTCOME, outcome=outcome, choices=OUTCOMES)
    entry = _lock_open_entry(session, entry_id, now)
    operator = (operator or "").strip()
    if entry.status == CallbackStatus.CLAIMED.value and operator and entry.claimed_by != operator:
        raise CallbackError(CallbackProblem.CLAIMED_BY_ANOTHER, entry_id=entry_id, claimed_by=entry.claimed_by)
    who = operator or entry.claimed_by
    if not who:
        raise CallbackError(CallbackProblem.NOT_CLAIMED, entry_id=entry_id)
    session.add(CallbackAttempt(entry_id=entry.id, outcome=outcome, note=note.strip() or None,
                                operator=who[:120], attempted_at=now))
    _apply_outcome(entry, outcome, policy, now)
    if ticket_status is not None:
        _update_tickets(session, entry, ticket_status, who, note.strip(), now, forwarded_to)
    session.flush()
    return entry
