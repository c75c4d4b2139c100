"""Tickets in the database: unique random codes, validated status changes with history."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import cache
from typing import Any, Final, cast

from sqlalchemy import Table, TextClause, bindparam, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from storage.models import Ticket, TicketStatusChange
from storage.upsert import insert_text, with_defaults
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


TICKETS: Final = cast(Table, Ticket.__table__)
STATUS_CHANGES: Final = cast(Table, TicketStatusChange.__table__)
_TICKET_OF_CALL: Final = select(TICKETS.c.id).where(TICKETS.c.call_sid == bindparam("call_sid")).limit(1)
_FIRST_CHANGE: Final = insert(STATUS_CHANGES)


@cache
def _insert_ticket_statement(columns: tuple[str, ...]) -> TextClause:
    """`INSERT INTO tickets ... ON CONFLICT DO NOTHING RETURNING id`: no row when the code (or the call) is taken.

    SQLite (3.35+) and PostgreSQL both run it; no savepoint is needed to survive a taken code,
    as it would be for an IntegrityError.
    """
    return insert_text(TICKETS, columns, "ON CONFLICT DO NOTHING RETURNING id")


@cache
def _insert_ticket_with_history_statement(columns: tuple[str, ...]) -> TextClause:
    """PostgreSQL: the ticket and its first history line in one round trip (no row: the code was taken)."""
    return insert_text(
        TICKETS, columns, head="WITH ticket AS (",
        tail="ON CONFLICT DO NOTHING RETURNING id), "
             "first_change AS (INSERT INTO ticket_status_changes (ticket_id, changed_at, changed_by, from_status, "
             "to_status, forwarded_to, note) SELECT id, :created_at, :changed_by, NULL, :status, NULL, '' FROM ticket) "
             "SELECT id FROM ticket")


def _insert_new_ticket(connection: Connection, values: dict[str, Any], created_by: str) -> int | None:
    """The ticket with its first history line; None when its code (or its call) already has one."""
    if connection.dialect.name == "postgresql":
        ticket_id = connection.execute(_insert_ticket_with_history_statement(tuple(values)),
                                       {**values, "changed_by": created_by}).scalar()
        return None if ticket_id is None else int(ticket_id)
    ticket_id = connection.execute(_insert_ticket_statement(tuple(values)), values).scalar()
    if ticket_id is None:
        return None
    connection.execute(_FIRST_CHANGE, {"ticket_id": ticket_id, "changed_at": values["created_at"],
                                       "changed_by": created_by, "from_status": None,
                                       "to_status": values["status"], "forwarded_to": None, "note": ""})
    return int(ticket_id)


def insert_ticket(connection: Connection, *, now: datetime, channel: Channel, topic: Topic = Topic.OTHER,
                  summary: str = "", phone: str | None = None, email: str | None = None,
                  call_sid: str | None = None, created_by: str = SYSTEM, code_length: int = DEFAULT_CODE_LENGTH,
                  code: str | None = None, call_has_none: bool = False, language: str = "it") -> int:
    """`create_ticket` in SQL statements alone (no ORM unit of work): the new ticket's id, or the call's.

    The hot path of a call's confirmation step: the ticket and its first history line, one
    statement on PostgreSQL, two on SQLite, each compiled once.
    """
    if call_sid and not call_has_none:
        existing = connection.execute(_TICKET_OF_CALL, {"call_sid": call_sid}).scalar()
        if existing is not None:
            return int(existing)
    wanted = code if code and is_valid_code(code, code_length) else None
    for attempt in range(CODE_ATTEMPTS):
        chosen = wanted if attempt == 0 and wanted else generate_code(code_length)
        values = with_defaults(TICKETS, {
            "code": chosen, "channel": channel.value, "topic": topic.value, "status": TicketStatus.RECEIVED.value,
            "contact_phone": phone, "contact_email": email, "summary": summary, "call_sid": call_sid,
            "created_at": now, "status_changed_at": now, "language": language})
        ticket_id = _insert_new_ticket(connection, values, created_by)
        if ticket_id is not None:
            return ticket_id
        if call_sid:  # the code was taken, or the call's ticket was made meanwhile
            existing = connection.execute(_TICKET_OF_CALL, {"call_sid": call_sid}).scalar()
            if existing is not None:
                return int(existing)
    raise CodeSpaceExhausted(f"no free tracking code of length {code_length} after {CODE_ATTEMPTS} tries")


def create_ticket(session: Session, *, now: datetime, channel: Channel, topic: Topic = Topic.OTHER, summary: str = "",
                  phone: str | None = None, email: str | None = None, call_sid: str | None = None,
                  created_by: str = SYSTEM, code_length: int = DEFAULT_CODE_LENGTH, code: str | None = None,
                  call_has_none: bool = False, language: str = "it") -> Ticket:
    """A new ticket with a random unique code; for a call, the call's one ticket.

    `code`, when given and free, is used first: a code already told to the caller.
    `call_has_none` skips looking for the call's ticket, when the caller knows there is none.
    `language`: the citizen's ("it", "en"), for whoever calls them back.
    """
    session.flush()  # what the session holds reaches the connection first (the statements below bypass it)
    ticket_id = insert_ticket(session.connection(), now=now, channel=channel, topic=topic, summary=summary,
                              phone=phone, email=email, call_sid=call_sid, created_by=created_by,
                              code_length=code_length, code=code, call_has_none=call_has_none, language=language)
    return session.get_one(Ticket, ticket_id)


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
