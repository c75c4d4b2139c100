"""Limits per client address, counted atomically in the database; IPv6 clients are counted per /64.

A counter is a (key, window) row incremented by one upsert that returns the new count, so
concurrent requests each see a different count and at most `limit` of them pass in a window
(a client may spend a window's allowance at the end of one and the next at the start of the
following: at most twice the limit over any `window` span). Keys are keyed hashes: addresses
are never stored in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import bindparam, delete, text
from sqlalchemy.orm import Session

from storage.models import AddressCounter
from storage.types import UTCDateTime

IPV6_GROUP_PREFIX: Final = 64
_TAKE = text(
    "INSERT INTO address_counters (key, window_index, count, expires_at) "
    "VALUES (:key, :window_index, 1, :expires_at) "
    "ON CONFLICT (key, window_index) DO UPDATE SET count = address_counters.count + 1 "
    "RETURNING count").bindparams(bindparam("expires_at", type_=UTCDateTime()))


@dataclass(frozen=True)
class Limit:
    """At most `count` actions per `window_s` seconds."""

    count: int
    window_s: int

    def __post_init__(self) -> None:
        if self.count < 1 or self.window_s < 1:
            raise ValueError("a limit needs a positive count and window")


@dataclass(frozen=True)
class Allowance:
    """Whether the action may happen; when not, the seconds until the window ends."""

    allowed: bool
    count: int
    retry_after_s: int = 0


def client_network(address: str) -> str:
    """The unit a limit counts: the IPv4 address, or the IPv6 /64 (an IPv4-mapped address counts as IPv4)."""
    try:
        parsed = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return address.strip()[:100] or "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/{IPV6_GROUP_PREFIX}", strict=False))
    return str(parsed)


def limit_key(scope: str, identity: str, secret: str) -> str:
    """A keyed SHA-256 of what is counted (an address, a recipient), prefixed by the limit's scope."""
    digest = hmac.new(secret.encode(), f"{scope}:{identity}".encode(), hashlib.sha256).hexdigest()
    return f"{scope[:15]}:{digest}"


def take(session: Session, key: str, limit: Limit, *, now: datetime) -> Allowance:
    """Count one action of `key` in the current window and say whether it is within the limit.

    In the caller's transaction: a caller that rolls back (because the action was refused, or
    failed) gives the count back. On PostgreSQL the row stays locked until then, so concurrent
    actions of one key are counted one after the other.
    """
    seconds = int(now.timestamp())
    index = seconds // limit.window_s
    ends = (index + 1) * limit.window_s
    expires = now + timedelta(seconds=ends - seconds)
    count = int(session.execute(_TAKE, {"key": key, "window_index": index, "expires_at": expires}).scalar_one())
    if count <= limit.count:
        return Allowance(True, count)
    return Allowance(False, count, retry_after_s=max(1, ends - seconds))


def purge_expired(session: Session, *, now: datetime) -> None:
    """Drop the counters whose window is over (an index range that is nearly always empty)."""
    session.execute(delete(AddressCounter).where(AddressCounter.expires_at < now),
                    execution_options={"synchronize_session": False})
