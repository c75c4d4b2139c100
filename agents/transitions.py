"""Presence changes in the database: compare-and-set moves with history, and self-healing.

Every move is a guarded UPDATE that succeeds only if the operator is still in the state (and
holds the reservation) it was read in, so concurrent webhooks, late callbacks and healers never
apply the same change twice, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, or_, select, update
from sqlalchemy.orm import Session

from agents.presence import Presence, PresencePolicy
from storage.models.agents import Agent, AgentPresenceChange

SNAPSHOT_COLUMNS = (Agent.id, Agent.state, Agent.state_since, Agent.reservation,
                    Agent.reserved_call_sid, Agent.missed_in_a_row)
EXPIRING_STATES = (Presence.RINGING, Presence.ON_CALL, Presence.WRAP_UP)


def snapshot_by_token(session: Session, token: str) -> Row[Any] | None:
    """The presence columns of the operator holding reservation `token`."""
    return session.execute(select(*SNAPSHOT_COLUMNS).where(Agent.reservation == token)).first()


def move(session: Session, seen: Row[Any], to: Presence, reason: str, at: datetime, *,
         keep_reservation: bool = False, missed_in_a_row: int | None = None) -> bool:
    """Move the operator read as `seen` to `to`, unless someone changed it meanwhile."""
    values: dict[str, Any] = {"state": to.value, "state_since": at}
    if to is Presence.AVAILABLE:
        values["available_since"] = at
    if not keep_reservation:
        values.update(reservation=None, reserved_call_sid=None)
    if missed_in_a_row is not None:
        values["missed_in_a_row"] = missed_in_a_row
    guarded = (update(Agent)
               .where(Agent.id == seen.id, Agent.state == seen.state, Agent.state_since == seen.state_since,
                      Agent.reservation == seen.reservation)
               .values(**values)
               .execution_options(synchronize_session=False))
    if session.execute(guarded).rowcount != 1:
        return False
    record_change(session, seen.id, Presence(seen.state), to, reason, at,
                  seconds=(at - seen.state_since).total_seconds(), call_sid=seen.reserved_call_sid)
    return True


def record_change(session: Session, agent_id: int, from_state: Presence, to: Presence, reason: str,
                  at: datetime, seconds: float, call_sid: str | None) -> None:
    """Append one step to the presence history."""
    session.add(AgentPresenceChange(agent_id=agent_id, changed_at=at, from_state=from_state.value,
                                    to_state=to.value, reason=reason,
                                    previous_state_seconds=max(int(seconds), 0), call_sid=call_sid))


def heal_expired(session: Session, policy: PresencePolicy, now: datetime) -> int:
    """Release every ringing, on-call or wrap-up state that outlived its limit; how many."""
    overdue = or_(*(and_(Agent.state == state.value, Agent.state_since <= now - limit)
                    for state in EXPIRING_STATES if (limit := policy.limit(state)) is not None))
    released = 0
    for seen in session.execute(select(*SNAPSHOT_COLUMNS).where(overdue)).all():
        state = Presence(seen.state)
        deadline = policy.deadline(state, seen.state_since) or now
        reason = "wrap_up_over" if state is Presence.WRAP_UP else f"{state.value}_expired"
        released += move(session, seen, Presence.AVAILABLE, reason, min(deadline, now))
    return released


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
