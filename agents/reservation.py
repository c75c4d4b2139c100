"""Reserving an operator for a call: the longest-idle free operator, atomically.

One guarded statement claims the operator: `UPDATE agents SET state='ringing' ... WHERE id =
(SELECT the longest-idle free operator) AND state='available' RETURNING ...`. On PostgreSQL the
inner SELECT takes the row with `FOR UPDATE SKIP LOCKED`, so concurrent callers each lock a
different operator instead of queueing on the same row. SQLite runs one writer at a time over the
whole database (the statement holds its write lock from start to end), and the guard
`state='available'` makes a claim on a row another process has just taken change nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, not_, or_, select, update
from sqlalchemy.orm import Session, aliased

from agents.presence import Presence, PresencePolicy
from agents.transitions import heal_expired, record_change
from storage.models.agents import Agent, AgentTopic

ANY_TOPIC = "other"


@dataclass(frozen=True)
class Reservation:
    """An operator reserved (ringing) for one attempt of one call."""

    token: str
    agent_id: int
    name: str
    phone: str | None
    client_identity: str | None


def reservation_token(call_sid: str, attempt: int) -> str:
    """The reservation's key: one per call and attempt, so a repeated webhook reserves nobody new."""
    if not call_sid:
        return uuid.uuid4().hex
    return f"{call_sid}:{attempt}"


def find_reservation(session: Session, token: str) -> Reservation | None:
    """The operator still ringing or on the call for `token`, if any."""
    agent = session.scalars(select(Agent).where(
        Agent.reservation == token,
        Agent.state.in_([Presence.RINGING.value, Presence.ON_CALL.value]),
    ).execution_options(populate_existing=True)).first()
    if agent is None:
        return None
    return Reservation(token, agent.id, agent.name, agent.phone, agent.client_identity)


def reserve(session: Session, token: str, call_sid: str, topic: str, policy: PresencePolicy, now: datetime,
            exclude: Collection[int] = ()) -> Reservation | None:
    """Reserve the longest-idle free operator for `topic` (else any free one), or None if nobody is free."""
    existing = find_reservation(session, token)
    if existing is not None:
        return existing
    heal_expired(session, policy, now)
    passes = [topic, ANY_TOPIC] if topic != ANY_TOPIC else [ANY_TOPIC]
    for wanted in passes:
        reservation = _claim(session, token, call_sid, wanted, now, exclude)
        if reservation is not None:
            return reservation
    return None


def _handles(candidate: type[Agent], topic: str) -> ColumnElement[bool]:
    """The operator handles `topic`: they list it, or they list no topic at all."""
    listed = exists().where(AgentTopic.agent_id == candidate.id)
    return or_(exists().where(AgentTopic.agent_id == candidate.id, AgentTopic.topic == topic), not_(listed))


def _claim(session: Session, token: str, call_sid: str, topic: str, now: datetime,
           exclude: Collection[int]) -> Reservation | None:
    """One atomic claim of the longest-idle free operator matching `topic`."""
    candidate = aliased(Agent)
    conditions = [candidate.state == Presence.AVAILABLE.value]
    if topic != ANY_TOPIC:
        conditions.append(_handles(candidate, topic))
    if exclude:
        conditions.append(candidate.id.not_in(list(exclude)))
    chosen = (select(candidate.id).where(*conditions)
              .order_by(candidate.available_since, candidate.id).limit(1))
    if session.get_bind().dialect.name == "postgresql":
        chosen = chosen.with_for_update(skip_locked=True, of=candidate)
    claim = (update(Agent)
             .where(Agent.id == chosen.scalar_subquery(), Agent.state == Presence.AVAILABLE.value)
             .values(state=Presence.RINGING.value, state_since=now, reservation=token, reserved_call_sid=call_sid)
             .returning(Agent.id, Agent.name, Agent.phone, Agent.client_identity, Agent.available_since)
             .execution_options(synchronize_session=False))
    row = session.execute(claim).first()
    if row is None:
        return None
    idle = (now - row.available_since).total_seconds() if row.available_since else 0.0
    record_change(session, row.id, Presence.AVAILABLE, Presence.RINGING, "reserved", now, idle, call_sid)
    return Reservation(token, row.id, row.name, row.phone, row.client_identity)
