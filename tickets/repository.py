"""Tickets in the database: unique random codes, validated status changes with history."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import Ticket, TicketStatusChange
from tickets.codes import DEFAULT_CODE_LENGTH, OLDER_CODE_LENGTHS, generate_code, is_valid_code
from tickets.status import Channel, TicketStatus, Topic, check_transition

CODE_ATTEMPTS = 20
SYSTEM = "sistema"


class CodeSpaceExhausted(RuntimeError):
    """No free tracking code was found: the configured length is too short."""


class StaleTicket(ValueError):
    """A status change made from an older version of the ticket (a page opened before another change)."""

    def __init__(self, code: str, expected: int, current: int) -> None:
        super().__init__(f"ticket {code} is at version {current}, the change was made from version {expected}")
        self.code, self.expected, self.current = code, expected, current


def create_ticket(session: Session, *, now: datetime, channel: Channel, topic: Topic = Topic.OTHER, summary: str = "",
                  phone: str | None = None, email: str | None = None, call_sid: str | None = None,
                  created_by: str = SYSTEM, code_length: int = DEFAULT_CODE_LENGTH, code: str | None = None,
                  call_has_none: bool = False, language: str = "it") -> Ticket:
    """A new ticket with a random unique code; for a call, the call's one ticket.

    `code`, when given and free, is used first: a code already told to the caller.
    `call_has_none` skips looking for the call's ticket, when the caller knows there is none.
    `language`: the citizen's ("it", "en"), for whoever calls them back.
    """
    if call_sid and not call_has_none:
        existing = session.scalars(select(Ticket).where(Ticket.call_sid == call_sid)).first()
        if existing is not None:
            return existing
    wanted = code if code and is_valid_code(code, code_length) else None
    for attempt in range(CODE_ATTEMPTS):
        chosen = wanted if attempt == 0 and wanted else generate_code(code_length)
        ticket = Ticket(code=chosen, channel=channel.value, topic=topic.value,
                        status=TicketStatus.RECEIVED.value, contact_phone=phone, contact_email=email,
                        summary=summary, call_sid=call_sid, created_at=now, status_changed_at=now,
                        language=language)
        ticket.history.append(TicketStatusChange(changed_at=now, changed_by=created_by, from_status=None,
                                                 to_status=TicketStatus.RECEIVED.value, note=""))
        try:
            with session.begin_nested():
                session.add(ticket)
            return ticket
        except IntegrityError:
            if call_sid:
                existing = session.scalars(select(Ticket).where(Ticket.call_sid == call_sid)).first()
                if existing is not None:
                    return existing
    raise CodeSpaceExhausted(f"no free tracking code of length {code_length} after {CODE_ATTEMPTS} tries")


ACCEPTED_LENGTHS: Final = (DEFAULT_CODE_LENGTH, *OLDER_CODE_LENGTHS)


def find_by_code(session: Session, code: str, code_length: int | Collection[int] = ACCEPTED_LENGTHS, *,
                 for_update: bool = False) -> Ticket | None:
    """The ticket with this code (row-locked until commit when `for_update`); invalid codes are never looked up.

    `code_length`: the length, or the lengths, a code may have (new codes' and older codes').
    """
    if not is_valid_code(code, code_length):
        return None
    query = select(Ticket).where(Ticket.code == code)
    return session.scalars(query.with_for_update() if for_update else query).first()


def find_with_history(session: Session, code: str, code_length: int | Collection[int] = ACCEPTED_LENGTHS
                      ) -> tuple[Ticket, list[TicketStatusChange]] | None:
    """The ticket with this code and its status history, oldest first; None as for `find_by_code`."""
    ticket = find_by_code(session, code, code_length)
    return (ticket, list(ticket.history)) if ticket is not None else None


def latest_tickets(session: Session, limit: int) -> list[Ticket]:
    """The `limit` most recent tickets, newest first."""
    return list(session.scalars(select(Ticket).order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)))


def tickets_by_phone(session: Session, number: str, limit: int) -> list[Ticket]:
    """The latest tickets whose contact phone is `number` (E.164), newest first, at most `limit`."""
    return list(session.scalars(select(Ticket).where(Ticket.contact_phone == number)
                                .order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(limit)))


def change_status(session: Session, ticket: Ticket, new_status: TicketStatus, *, now: datetime, changed_by: str,
                  note: str = "", forwarded_to: str | None = None,
                  expected_version: int | None = None) -> TicketStatusChange:
    """Move the ticket to `new_status` (InvalidTransition if not allowed) and keep the history.

    `expected_version`, when given, is the version the change was made from: StaleTicket if the
    ticket changed since. Every change adds one to the ticket's version.
    """
    if expected_version is not None and expected_version != ticket.version:
        raise StaleTicket(ticket.code, expected_version, ticket.version)
    current = TicketStatus(ticket.status)
    check_transition(current, new_status, forwarded_to)
    change = TicketStatusChange(changed_at=now, changed_by=changed_by, from_status=current.value,
                                to_status=new_status.value, note=note,
                                forwarded_to=forwarded_to if new_status is TicketStatus.FORWARDED else None)
    ticket.history.append(change)
    ticket.status = new_status.value
    ticket.forwarded_to = forwarded_to if new_status is TicketStatus.FORWARDED else None
    ticket.status_changed_at = now
    ticket.version = (ticket.version or 1) + 1
    session.flush()
    return change
