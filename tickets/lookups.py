"""A citizen looks a request up by its code: validated first, rate limited, nothing personal returned.

Every wrong or unknown code is stored as a failure with a keyed hash of who typed it (the phone
number, or the web client's address); lookups are refused while the failures of that caller, or
of everybody, fill their sliding window. A refused lookup is not a failure: the window slides.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Literal

from sqlalchemy import Row, Select, bindparam, delete, func, literal, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.selectable import ScalarSelect

from storage.models import LookupFailure, Ticket
from tickets.codes import is_valid_code, normalize_code
from tickets.ratelimit import Decision, LookupLimits, is_allowed
from tickets.status import TicketStatus

LookupChannel = Literal["ivr", "web"]
Outcome = Literal["found", "invalid", "unknown", "refused"]
PURGE_BATCH = 200
# Callers who withhold their number share one key: they cannot dodge the per-caller limit.
WITHHELD_CALLER = "withheld"
# The only columns a lookup ever reads from a ticket.
PUBLIC_COLUMNS = (Ticket.code, Ticket.status, Ticket.forwarded_to, Ticket.status_changed_at)


@dataclass(frozen=True)
class StatusView:
    """What anyone holding the code may learn: the status and its date, never who asked or what."""

    code: str
    status: TicketStatus
    forwarded_to: str | None
    updated_at: datetime


@dataclass(frozen=True)
class LookupResult:
    """The outcome of one lookup; `view` when found, `refused_by` and `retry_after_s` when refused."""

    outcome: Outcome
    view: StatusView | None = None
    refused_by: Literal["caller", "global"] | None = None
    retry_after_s: int | None = None


@dataclass(frozen=True)
class Requester:
    """Who is looking: a keyed hash of their number or address, and the channel they use."""

    key: str
    channel: LookupChannel


    @classmethod
    def phone(cls, e164: str | None, secret: str) -> Requester:
        """A caller on the phone, by number; every withheld number is the same caller."""
        return cls(caller_key(f"tel:{e164 or WITHHELD_CALLER}", secret), "ivr")

    @classmethod
    def web(cls, address: str, secret: str) -> Requester:
        """A web client, by its network address."""
        return cls(caller_key(f"ip:{address}", secret), "web")


def caller_key(identity: str, secret: str) -> str:
    """A keyed SHA-256 of a phone number or an address: counted, never stored in clear."""
    return hmac.new(secret.encode(), identity.encode(), hashlib.sha256).hexdigest()


def _failures_since(since: str, cap: int, by_caller: bool) -> ScalarSelect[int]:
    """Failures since the parameter `since` (of the parameter `key`, or of everybody), counted up to `cap`."""
    rows = select(LookupFailure.id).where(LookupFailure.at >= bindparam(since))
    if by_caller:
        rows = rows.where(LookupFailure.caller_key == bindparam("key"))
    return select(func.count()).select_from(rows.limit(cap).subquery()).scalar_subquery()


@cache
def _counts_statement(limits: LookupLimits, with_ticket: bool) -> Select[Any]:
    """Both failure counts, and the public columns of the ticket with the parameter `code`; built once."""
    query = select(_failures_since("caller_since", limits.per_caller, by_caller=True).label("by_caller"),
                   _failures_since("global_since", limits.global_, by_caller=False).label("overall"))
    if not with_ticket:
        return query
    one_row = select(literal(1).label("one")).subquery()
    return query.add_columns(*PUBLIC_COLUMNS).select_from(one_row).outerjoin(Ticket, Ticket.code == bindparam("code"))


def _counts(session: Session, key: str, limits: LookupLimits, now: datetime, code: str | None = None) -> Row[Any]:
    """The failure counts of `key` and of everybody in their windows (with the ticket's columns for a code)."""
    parameters = {"key": key, "code": code,
                  "caller_since": now - timedelta(seconds=limits.per_caller_window_s),
                  "global_since": now - timedelta(seconds=limits.global_window_s)}
    return session.execute(_counts_statement(limits, code is not None), parameters).one()


def _retry_after(session: Session, window_s: int, now: datetime, key: str | None) -> int:
    """Seconds until the oldest failure in the window leaves it (at least 1)."""
    oldest = select(func.min(LookupFailure.at)).where(LookupFailure.at >= now - timedelta(seconds=window_s))
    if key is not None:
        oldest = oldest.where(LookupFailure.caller_key == key)
    first = session.scalar(oldest)
    if first is None:
        return 1
    return max(1, int((first + timedelta(seconds=window_s) - now).total_seconds()) + 1)


def _refusal(session: Session, counts: Row[Any], key: str, limits: LookupLimits, now: datetime) -> LookupResult | None:
    """None while the counts are below both limits; otherwise the refusal, with the seconds to wait."""
    decision: Decision = is_allowed(counts.by_caller, counts.overall, limits)
    if decision.allowed:
        return None
    if decision.reason == "global":
        wait = _retry_after(session, limits.global_window_s, now, None)
    else:
        wait = _retry_after(session, limits.per_caller_window_s, now, key)
    return LookupResult("refused", refused_by=decision.reason, retry_after_s=wait)


def check_limits(session: Session, key: str, limits: LookupLimits, now: datetime) -> LookupResult | None:
    """None while `key` may look a code up; otherwise the refusal, with the seconds to wait."""
    return _refusal(session, _counts(session, key, limits, now), key, limits, now)


def record_failure(session: Session, requester: Requester, reason: Literal["invalid", "unknown"],
                   limits: LookupLimits, now: datetime) -> None:
    """Store one failed lookup and drop a batch of failures older than every window."""
    session.add(LookupFailure(at=now, caller_key=requester.key, channel=requester.channel, reason=reason))
    cutoff = now - timedelta(seconds=max(limits.per_caller_window_s, limits.global_window_s))
    expired = (select(LookupFailure.id).where(LookupFailure.at < cutoff)
               .limit(PURGE_BATCH).with_for_update(skip_locked=True))
    session.execute(delete(LookupFailure).where(LookupFailure.id.in_(expired.scalar_subquery())),
                    execution_options={"synchronize_session": False})
    session.flush()


def _view(row: Row[Any]) -> StatusView:
    """The public view in a row of PUBLIC_COLUMNS."""
    return StatusView(code=row.code, status=TicketStatus(row.status), forwarded_to=row.forwarded_to,
                      updated_at=row.status_changed_at)


def status_view(session: Session, code: str) -> StatusView | None:
    """The public view of the ticket with exactly this code (only public columns are read)."""
    row = session.execute(select(*PUBLIC_COLUMNS).where(Ticket.code == code)).first()
    return None if row is None else _view(row)


def look_up(session: Session, raw_code: str, requester: Requester, limits: LookupLimits, code_length: int,
            now: datetime) -> LookupResult:
    """Refuse past the limits; a wrong check digit never reaches the tickets; failures are stored.

    The limit counts and the ticket come in one statement; a refused lookup returns nothing of it.
    """
    code = normalize_code(raw_code)
    valid = is_valid_code(code, code_length)
    row = _counts(session, requester.key, limits, now, code if valid else None)
    refusal = _refusal(session, row, requester.key, limits, now)
    if refusal is not None:
        return refusal
    if not valid:
        record_failure(session, requester, "invalid", limits, now)
        return LookupResult("invalid")
    if row.code is None:
        record_failure(session, requester, "unknown", limits, now)
        return LookupResult("unknown")
    return LookupResult("found", view=_view(row))


@contextmanager
def lookup_session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose statements commit one by one: a found code costs one statement, no BEGIN or COMMIT."""
    with sessions() as session:
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session
        session.commit()
