"""Sign-in throttling: growing delays per (name, address) and per address, never a lock a stranger can set.

A stranger elsewhere can only slow down their own address: the operator signing in from another
address is never delayed by them. Within the free attempts nothing waits; past them each further
attempt must wait 2, 4, 8... seconds after the last failure, up to `max_delay`. An attempt made
too early is refused like a wrong password, without being counted.

Check and count are one step: the attempt is stored (and, on PostgreSQL, the address's advisory
lock taken; SQLite holds its single write lock from that write) before the failures are counted,
so concurrent attempts from one address are counted one after the other and none slips past.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage.models import SignInFailure

MAX_ADDRESS_LENGTH = 64
_ADDRESS_LOCK_CLASS = 5_800_841  # namespace of the PostgreSQL advisory locks taken here


@dataclass(frozen=True)
class ThrottlePolicy:
    """Free failures per (name, address) and per address within `window`, then delays up to `max_delay`."""

    per_account_address: int = 5
    per_address: int = 20
    window: timedelta = timedelta(hours=1)
    max_delay: timedelta = timedelta(minutes=15)


def address_block(address: str) -> str:
    """The block counted as one client: an IPv4 address, or the /64 of an IPv6 one."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address[:MAX_ADDRESS_LENGTH]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def folded(name: str) -> str:
    """The name as counted: spaces collapsed, case folded (a stranger cannot dodge by changing case)."""
    return " ".join(name.split()).casefold()[:80]


def delay_after(failures: int, free: int, max_delay: timedelta) -> timedelta:
    """How long the next attempt waits after the last of `failures` failures: nothing within `free`."""
    if failures < free:
        return timedelta(0)
    return min(max_delay, timedelta(seconds=2 ** min(failures - free + 1, 30)))


def _wait(session: Session, policy: ThrottlePolicy, now: datetime, free: int, exclude: int | None,
          *conditions: object) -> timedelta:
    """The time still to wait for the failures matching `conditions` in the window (but `exclude`)."""
    query = select(func.count(), func.max(SignInFailure.at)).where(
        SignInFailure.at >= now - policy.window, *conditions)  # type: ignore[arg-type]
    if exclude is not None:
        query = query.where(SignInFailure.id != exclude)
    count, last = session.execute(query).one()
    if not count or last is None:
        return timedelta(0)
    return max(timedelta(0), last + delay_after(count, free, policy.max_delay) - now)


def wait_before_attempt(session: Session, name: str, address: str, policy: ThrottlePolicy,
                        now: datetime, exclude: int | None = None) -> timedelta:
    """How long this (name, address) must still wait; zero when it may try now."""
    address = address_block(address)
    by_pair = _wait(session, policy, now, policy.per_account_address, exclude,
                    SignInFailure.account == folded(name), SignInFailure.address == address)
    by_address = _wait(session, policy, now, policy.per_address, exclude, SignInFailure.address == address)
    return max(by_pair, by_address)


def reserve_attempt(session: Session, name: str, address: str, policy: ThrottlePolicy,
                    now: datetime) -> tuple[SignInFailure, timedelta]:
    """Store the attempt as a failure first, then the wait the earlier failures impose on it.

    The caller keeps the row when the attempt fails, and removes it (`release`) when the attempt
    was refused for its wait or succeeded. Until the transaction ends, other attempts from the
    same address wait for this one (an advisory lock on PostgreSQL, the write lock on SQLite).
    """
    block = address_block(address)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_ADDRESS_LOCK_CLASS, func.hashtext(block))))
    attempt = SignInFailure(at=now, account=folded(name), address=block)
    session.add(attempt)
    session.flush()
    return attempt, wait_before_attempt(session, name, address, policy, now, exclude=attempt.id)


def release(session: Session, attempt: SignInFailure) -> None:
    """Forget an attempt that was not a failure (refused for its wait, or signed in)."""
    session.delete(attempt)
    session.flush()


def purge(session: Session, policy: ThrottlePolicy, now: datetime) -> None:
    """Forget failures older than the window."""
    session.execute(delete(SignInFailure).where(SignInFailure.at < now - policy.window),
                    execution_options={"synchronize_session": False})


def forget(session: Session, name: str, address: str | None = None) -> int:
    """Clear the failures of `name` (from `address`, or from everywhere); how many were cleared."""
    query = delete(SignInFailure).where(SignInFailure.account == folded(name))
    if address is not None:
        query = query.where(SignInFailure.address == address_block(address))
    result = session.execute(query, execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)


def pending_delay(session: Session, name: str, policy: ThrottlePolicy, now: datetime) -> bool:
    """Whether `name` has failures that delay it from some address (what a supervisor can lift)."""
    return bool(session.scalar(select(func.count()).select_from(SignInFailure).where(
        SignInFailure.account == folded(name), SignInFailure.at >= now - policy.window)))
