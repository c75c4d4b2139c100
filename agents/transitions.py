"""Presence changes in the database: compare-and-set moves with history, and self-healing.

Every move is a guarded UPDATE that succeeds only if the operator is still in the state (and
holds the reservation) it was read in, so concurrent webhooks, late callbacks and healers never
apply the same change twice, on SQLite as on PostgreSQL. The statements are built once, with
bound parameters: they run on every routing decision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import CursorResult, Row, String, Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from agents.presence import Presence, PresencePolicy
from storage.models.agents import Agent, AgentPresenceChange
from storage.types import UTCDateTime

AGENTS = cast(Table, Agent.__table__)
CHANGES = cast(Table, AgentPresenceChange.__table__)
EXPIRING_STATES: Final = (Presence.RINGING, Presence.ON_CALL, Presence.WRAP_UP)

_SNAPSHOT = select(AGENTS.c.id, AGENTS.c.state, AGENTS.c.state_since, AGENTS.c.available_since,
                   AGENTS.c.reservation, AGENTS.c.reserved_call_sid, AGENTS.c.missed_in_a_row)
SNAPSHOT_BY_ID = _SNAPSHOT.where(AGENTS.c.id == bindparam("agent_id"))
_SNAPSHOT_BY_TOKEN = _SNAPSHOT.where(AGENTS.c.reservation == bindparam("token"))
OVERDUE = or_(*(
    and_(AGENTS.c.state == state.value, AGENTS.c.state_since <= bindparam(f"{state.value}_cutoff", type_=UTCDateTime()))
    for state in EXPIRING_STATES))
_OVERDUE = _SNAPSHOT.where(OVERDUE).order_by(AGENTS.c.id)  # one lock order for concurrent healers
_GUARDED_MOVE = (update(AGENTS)
                 .where(AGENTS.c.id == bindparam("seen_id"), AGENTS.c.state == bindparam("seen_state"),
                        AGENTS.c.state_since == bindparam("seen_since", type_=UTCDateTime()),
                        AGENTS.c.reservation.is_not_distinct_from(bindparam("seen_token", type_=String())))
                 .values(state=bindparam("to_state"), state_since=bindparam("at", type_=UTCDateTime()),
                         available_since=bindparam("available_at", type_=UTCDateTime()),
                         reservation=bindparam("token"), reserved_call_sid=bindparam("for_call"),
                         missed_in_a_row=bindparam("missed")))
_RECORD_CHANGE = insert(CHANGES)


def snapshot_by_token(session: Session, token: str) -> Row[Any] | None:
    """The presence columns of the operator holding reservation `token`."""
    return session.execute(_SNAPSHOT_BY_TOKEN, {"token": token}).first()


def move(session: Session, seen: Row[Any], to: Presence, reason: str, at: datetime, *,
         keep_reservation: bool = False, missed_in_a_row: int | None = None) -> bool:
    """Move the operator read as `seen` to `to`, unless someone changed it meanwhile."""
    moved = cast(CursorResult[Any], session.execute(_GUARDED_MOVE, {
        "seen_id": seen.id, "seen_state": seen.state, "seen_since": seen.state_since, "seen_token": seen.reservation,
        "to_state": to.value, "at": at,
        "available_at": at if to is Presence.AVAILABLE else seen.available_since,
        "token": seen.reservation if keep_reservation else None,
        "for_call": seen.reserved_call_sid if keep_reservation else None,
        "missed": seen.missed_in_a_row if missed_in_a_row is None else missed_in_a_row,
    }))
    if moved.rowcount != 1:
        return False
    record_change(session, seen.id, Presence(seen.state), to, reason, at,
                  seconds=(at - seen.state_since).total_seconds(), call_sid=seen.reserved_call_sid)
    return True


def record_change(session: Session, agent_id: int, from_state: Presence, to: Presence, reason: str,
                  at: datetime, seconds: float, call_sid: str | None) -> None:
    """Append one step to the presence history."""
    session.execute(_RECORD_CHANGE, {"agent_id": agent_id, "changed_at": at, "from_state": from_state.value,
                                     "to_state": to.value, "reason": reason,
                                     "previous_state_seconds": max(int(seconds), 0), "call_sid": call_sid})


def overdue_cutoffs(policy: PresencePolicy, now: datetime) -> dict[str, datetime]:
    """The parameters of OVERDUE: for each expiring state, the latest start that has not outlived its limit."""
    return {f"{state.value}_cutoff": now - limit for state, limit in policy.limits().items()}


def heal(session: Session, seen: Row[Any], policy: PresencePolicy, now: datetime) -> bool:
    """Release one operator read as overdue (ringing, on call or in wrap-up past its limit)."""
    state = Presence(seen.state)
    deadline = policy.deadline(state, seen.state_since) or now
    reason = "wrap_up_over" if state is Presence.WRAP_UP else f"{state.value}_expired"
    return move(session, seen, Presence.AVAILABLE, reason, min(deadline, now))


def heal_expired(session: Session, policy: PresencePolicy, now: datetime) -> int:
    """Release every ringing, on-call or wrap-up state that outlived its limit; how many."""
    overdue = session.execute(_OVERDUE, overdue_cutoffs(policy, now)).all()
    return sum(heal(session, seen, policy, now) for seen in overdue)


def mark_answered(session: Session, token: str, at: datetime) -> bool:
    """The operator holding `token` answered: ringing becomes on call."""
    seen = snapshot_by_token(session, token)
    if seen is None or seen.state != Presence.RINGING:
        return False
    return move(session, seen, Presence.ON_CALL, "answered", at, keep_reservation=True, missed_in_a_row=0)


def finish_call(session: Session, token: str, at: datetime) -> bool:
    """The call of the operator holding `token` ended after an answer: wrap-up starts."""
    seen = snapshot_by_token(session, token)
    if seen is None or seen.state not in (Presence.RINGING, Presence.ON_CALL):
        return False
    return move(session, seen, Presence.WRAP_UP, "call_ended", at, keep_reservation=True, missed_in_a_row=0)


def release_missed(session: Session, token: str, at: datetime, policy: PresencePolicy,
                   reason: str) -> Presence | None:
    """The operator holding `token` did not answer: free again, or away after too many misses."""
    seen = snapshot_by_token(session, token)
    if seen is None or seen.state != Presence.RINGING:
        return None
    missed = seen.missed_in_a_row + 1
    if missed >= policy.misses_before_away:
        moved = move(session, seen, Presence.AWAY, f"{reason}_repeated", at, missed_in_a_row=0)
        return Presence.AWAY if moved else None
    moved = move(session, seen, Presence.AVAILABLE, reason, at, missed_in_a_row=missed)
    return Presence.AVAILABLE if moved else None


def release(session: Session, token: str, at: datetime, reason: str) -> bool:
    """Free the operator holding `token` while still ringing, with no miss counted."""
    seen = snapshot_by_token(session, token)
    if seen is None or seen.state != Presence.RINGING:
        return False
    return move(session, seen, Presence.AVAILABLE, reason, at)
