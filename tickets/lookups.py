"""A citizen looks a request up by its code: validated first, rate limited, nothing personal returned.

Every wrong or unknown code is stored as a failure with a keyed hash of who typed it (the phone
number, the call when the number is withheld, or the web client's address, IPv6 by /64); a
requester is refused while its own failures fill its sliding window. Everybody's failures never
refuse anyone: past the global figure they raise an alert. A refused lookup is not a failure.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal, cast

from sqlalchemy import Row, Select, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from storage.models import LookupFailure, Ticket
from tickets.codes import is_valid_code, normalize_code
from tickets.ratelimit import Decision, LookupLimits, is_alert, is_allowed
from tickets.status import TicketStatus

LookupChannel = Literal["ivr", "web"]
Outcome = Literal["found", "invalid", "unknown", "refused"]
PURGE_BATCH = 200
# A counted attempt whose outcome is not known yet.
PENDING = "pending"
FAILURES: Final = cast(Table, LookupFailure.__table__)
TICKETS: Final = cast(Table, Ticket.__table__)
# The only columns a lookup ever reads from a ticket.
PUBLIC_COLUMNS = (TICKETS.c.code, TICKETS.c.status, TICKETS.c.forwarded_to, TICKETS.c.status_changed_at)


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
    refused_by: Literal["caller"] | None = None
    retry_after_s: int | None = None
    alert: bool = False


@dataclass(frozen=True)
class Requester:
    """Who is looking: a keyed hash of their number or address, and the channel they use."""

    key: str
    channel: LookupChannel


    @classmethod
    def phone(cls, e164: str | None, secret: str, call_sid: str = "") -> Requester:
        """A caller on the phone, by number; a withheld number is counted per call (never shared)."""
        identity = f"tel:{e164}" if e164 else f"call:{call_sid}"
        return cls(caller_key(identity, secret), "ivr")

    @classmethod
    def web(cls, address: str, secret: str) -> Requester:
        """A web client, by its network address; IPv6 by its /64, which one subscriber usually holds."""
        return cls(caller_key(f"ip:{address_block(address)}", secret), "web")


def address_block(address: str) -> str:
    """The block counted as one web client: an IPv4 address, or the /64 of an IPv6 one."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def caller_key(identity: str, secret: str) -> str:
    """A keyed SHA-256 of a phone number or an address: counted, never stored in clear."""
    if not secret:
        raise ValueError("refusing to hash callers' numbers with an empty key")
    return hmac.new(secret.encode(), identity.encode(), hashlib.sha256).hexdigest()


def _count_of(rows: Select[tuple[int]]) -> Select[tuple[int]]:
    """How many of `rows` there are, up to :cap (the count stops there)."""
    return select(func.count()).select_from(rows.limit(bindparam("cap")).subquery())


# Every statement of a lookup is built and compiled once: a found code runs three on PostgreSQL, four on SQLite.
_SINCE: Final = FAILURES.c.at >= bindparam("since")
_MINE: Final = FAILURES.c.caller_key == bindparam("key")
_COUNT_EVERYBODYS: Final = _count_of(select(FAILURES.c.id).where(_SINCE))
_COUNT_MINE: Final = _count_of(select(FAILURES.c.id).where(_SINCE, _MINE))
_COUNT_RECENT: Final = select(func.count()).select_from(FAILURES).where(_SINCE)
_FIRST_OF_MINE: Final = select(func.min(FAILURES.c.at)).where(_SINCE, _MINE)
_RESERVE: Final = (insert(FAILURES).values(at=bindparam("at"), caller_key=bindparam("key"),
                                           channel=bindparam("channel"), reason=PENDING)
                   .returning(FAILURES.c.id))
_FORGET: Final = delete(FAILURES).where(FAILURES.c.id == bindparam("row_id"))
_SET_REASON: Final = update(FAILURES).where(FAILURES.c.id == bindparam("row_id")).values(
    reason=bindparam("new_reason"))
_PURGE: Final = delete(FAILURES).where(FAILURES.c.id.in_(
    select(FAILURES.c.id).where(FAILURES.c.at < bindparam("cutoff")).limit(PURGE_BATCH)
    .with_for_update(skip_locked=True).scalar_subquery()))
_VIEW: Final = select(*PUBLIC_COLUMNS).where(TICKETS.c.code == bindparam("code"))
# PostgreSQL: the view, and the pending attempt forgotten when the code was found, in one round trip
# (a data-modifying CTE runs whether or not the query reads it; SQLite has none: two statements there).
_FOUND: Final = _VIEW.cte("found")
_VIEW_AND_FORGET: Final = select(*_FOUND.c).add_cte(
    delete(FAILURES).where(FAILURES.c.id == bindparam("row_id"), select(_FOUND.c.code).exists()).cte("forgotten"))


def _count_failures(session: Session, since: datetime, cap: int, key: str | None) -> int:
    """Failures since `since` (of `key`, or of everybody), counted up to `cap`."""
    if key is None:
        return session.execute(_COUNT_EVERYBODYS, {"since": since, "cap": cap}).scalar() or 0
    return session.execute(_COUNT_MINE, {"since": since, "cap": cap, "key": key}).scalar() or 0


def _retry_after(session: Session, window_s: int, now: datetime, key: str) -> int:
    """Seconds until the oldest failure of `key` in the window leaves it (at least 1)."""
    first = session.execute(_FIRST_OF_MINE, {"since": now - timedelta(seconds=window_s), "key": key}).scalar()
    if first is None:
        return 1
    return max(1, int((first + timedelta(seconds=window_s) - now).total_seconds()) + 1)


def global_alert(session: Session, limits: LookupLimits, now: datetime) -> bool:
    """Whether everybody's failures in the global window reached the alert figure (never a refusal)."""
    since = now - timedelta(seconds=limits.global_window_s)
    return is_alert(_count_failures(session, since, limits.global_, None), limits)


def recent_failures(session: Session, limits: LookupLimits, now: datetime) -> int:
    """Everybody's failed lookups in the global window (for the metrics)."""
    since = now - timedelta(seconds=limits.global_window_s)
    return session.execute(_COUNT_RECENT, {"since": since}).scalar() or 0


def check_limits(session: Session, key: str, limits: LookupLimits, now: datetime) -> LookupResult | None:
    """None while `key` may look a code up; otherwise the refusal, with the seconds to wait.

    Only the requester's own failures refuse; everybody's failures only raise the alert.
    """
    since = now - timedelta(seconds=limits.per_caller_window_s)
    decision: Decision = is_allowed(_count_failures(session, since, limits.per_caller, key), limits)
    if decision.allowed:
        return None
    return LookupResult("refused", refused_by="caller",
                        retry_after_s=_retry_after(session, limits.per_caller_window_s, now, key))


def _purge(session: Session, limits: LookupLimits, now: datetime) -> None:
    """Drop a batch of failures older than every window."""
    cutoff = now - timedelta(seconds=max(limits.per_caller_window_s, limits.global_window_s))
    session.execute(_PURGE, {"cutoff": cutoff})


def _reserve(session: Session, requester: Requester, limits: LookupLimits, now: datetime) -> tuple[int, bool]:
    """Count the attempt before looking: store it as pending, then count the requester's rows, its own included.

    In a lookup session every statement commits at once, so of any set of concurrent attempts the
    one stored last sees all the others: no more than the allowance ever gets past the count.
    """
    row_id = session.execute(_RESERVE, {"at": now, "key": requester.key, "channel": requester.channel}).scalar_one()
    since = now - timedelta(seconds=limits.per_caller_window_s)
    mine = _count_failures(session, since, limits.per_caller + 1, requester.key)
    return row_id, mine <= limits.per_caller


def _settle(session: Session, row_id: int, reason: str | None) -> None:
    """Turn the pending attempt into a failure with its reason, or forget it (`None`: found, or refused)."""
    if reason is None:
        session.execute(_FORGET, {"row_id": row_id})
    else:
        session.execute(_SET_REASON, {"row_id": row_id, "new_reason": reason})


def _view(row: Row[Any]) -> StatusView:
    """The public view in a row of PUBLIC_COLUMNS."""
    return StatusView(code=row.code, status=TicketStatus(row.status), forwarded_to=row.forwarded_to,
                      updated_at=row.status_changed_at)


def status_view(session: Session, code: str) -> StatusView | None:
    """The public view of the ticket with exactly this code (only public columns are read)."""
    row = session.execute(_VIEW, {"code": code}).first()
    return None if row is None else _view(row)


def _found_and_forgotten(session: Session, code: str, row_id: int) -> StatusView | None:
    """`status_view`, and a found code's pending attempt forgotten (a found code is no failure)."""
    if session.get_bind().dialect.name != "postgresql":
        view = status_view(session, code)
        if view is not None:
            _settle(session, row_id, None)
        return view
    row = session.execute(_VIEW_AND_FORGET, {"code": code, "row_id": row_id}).first()
    return None if row is None else _view(row)


def look_up(session: Session, raw_code: str, requester: Requester, limits: LookupLimits,
            code_length: int | Collection[int], now: datetime) -> LookupResult:
    """Refuse past the requester's own allowance; a wrong check digit never reaches the tickets.

    The attempt is counted before the lookup (check and count are one step); a found code and a
    refused attempt are not failures. Everybody's failures never refuse: past `limits.global_` in
    the global window the result carries `alert`, for the log line, the metric and the slowdown.
    """
    code = normalize_code(raw_code)
    valid = is_valid_code(code, code_length)
    row_id, allowed = _reserve(session, requester, limits, now)
    if not allowed:
        _settle(session, row_id, None)
        return LookupResult("refused", refused_by="caller",
                            retry_after_s=_retry_after(session, limits.per_caller_window_s, now, requester.key))
    view = _found_and_forgotten(session, code, row_id) if valid else None
    if view is not None:
        return LookupResult("found", view=view)
    _settle(session, row_id, "unknown" if valid else "invalid")
    _purge(session, limits, now)
    alert = global_alert(session, limits, now)
    return LookupResult("unknown" if valid else "invalid", alert=alert)


@contextmanager
def lookup_session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose statements commit one by one: a found code costs one statement, no BEGIN or COMMIT."""
    with sessions() as session:
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session
        session.commit()
